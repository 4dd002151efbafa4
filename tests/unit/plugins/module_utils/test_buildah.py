# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The buildah command line for a build request, the log tail, and inspecting (nothing is run)."""

import json
import os

import pytest

from ansible_collections.tcib.images.plugins.module_utils.buildah import (
    LOG_TAIL_LINES, Buildah, BuildRequest, build_command, log_tail)

TEMP_REF = "localhost/tcib-build-in-progress/openstack-nova-api:abc123"
IIDFILE = "/work/nova-api/nova-api-build.log.iid"


def option_values(argv, flag):
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == flag]


def request(**kwargs):
    kwargs.setdefault("context_dir", "/work/base/os/nova-base/nova-api")
    return BuildRequest("localhost/tcib/openstack-nova-api:latest", **kwargs)


def test_minimal_command():
    argv = build_command("buildah", request(), TEMP_REF, IIDFILE)
    assert argv == [
        "buildah", "bud", "--format", "docker",
        "--file", "/work/base/os/nova-base/nova-api/Containerfile",
        "--tag", TEMP_REF, "--iidfile", IIDFILE,
        "--logfile", "/work/base/os/nova-base/nova-api/build.log",
        "--network", "host",
        "/work/base/os/nova-base/nova-api",
    ]


def test_full_command():
    req = request(
        containerfile="/elsewhere/Containerfile",
        log_path="/logs/nova-api-build.log",
        build_args={"Z_ARG": "z", "A_ARG": "a b", "M_ARG": "m=1"},
        labels={"version": "1", "build-date": "today", "name": "nova-api"},
        volumes=["/cache/apt:/var/cache/apt:z", "/cache/pip:/root/.cache/pip"],
        isolation="chroot",
        network="none",
        image_format="oci",
        extra_args=["--layers", "--pull=never"],
    )
    argv = build_command("/usr/bin/buildah", req, TEMP_REF, IIDFILE)
    assert argv[:2] == ["/usr/bin/buildah", "bud"]
    assert option_values(argv, "--tag") == [TEMP_REF]
    assert option_values(argv, "--iidfile") == [IIDFILE]
    assert option_values(argv, "--logfile") == ["/logs/nova-api-build.log"]
    assert option_values(argv, "--file") == ["/elsewhere/Containerfile"]
    assert option_values(argv, "--format") == ["oci"]
    assert option_values(argv, "--network") == ["none"]
    assert option_values(argv, "--isolation") == ["chroot"]
    # Sorted by key whatever the order given, so the same request gives the same argv.
    assert option_values(argv, "--build-arg") == ["A_ARG=a b", "M_ARG=m=1", "Z_ARG=z"]
    assert option_values(argv, "--label") == ["build-date=today", "name=nova-api", "version=1"]
    assert option_values(argv, "--volume") == ["/cache/apt:/var/cache/apt:z", "/cache/pip:/root/.cache/pip"]
    # Extra arguments go last but before the context directory, which ends the command.
    assert argv[-3:] == ["--layers", "--pull=never", "/work/base/os/nova-base/nova-api"]
    assert "timeout" not in argv


def test_the_final_tag_is_never_given_to_bud():
    argv = build_command("buildah", request(), TEMP_REF, IIDFILE)
    assert "localhost/tcib/openstack-nova-api:latest" not in argv


@pytest.mark.parametrize("isolation, network", [(None, None), ("", "")])
def test_no_isolation_or_network_options_when_unset(isolation, network):
    argv = build_command("buildah", request(isolation=isolation, network=network), TEMP_REF, IIDFILE)
    assert "--isolation" not in argv
    assert "--network" not in argv


@pytest.mark.parametrize("timeout, seconds", [(3600, "3600"), (90.7, "90"), ("120", "120")])
def test_timeout_wraps_the_command(timeout, seconds):
    plain = build_command("buildah", request(), TEMP_REF, IIDFILE)
    argv = build_command("buildah", request(timeout=timeout), TEMP_REF, IIDFILE)
    assert argv[:3] == ["timeout", "--kill-after=30", seconds]
    assert argv[3:] == plain


@pytest.mark.parametrize("timeout", [None, 0])
def test_no_timeout_no_wrapper(timeout):
    argv = build_command("buildah", request(timeout=timeout), TEMP_REF, IIDFILE)
    assert argv[0] == "buildah"


def test_request_mappings_are_not_modified():
    args = {"b": "2", "a": "1"}
    build_command("buildah", request(build_args=args), TEMP_REF, IIDFILE)
    assert list(args) == ["b", "a"]


def test_log_tail_returns_the_last_lines(tmp_path):
    log = tmp_path / "build.log"
    log.write_text("".join("line %d\n" % i for i in range(100)))
    assert log_tail(str(log), 3) == "line 97\nline 98\nline 99\n"
    default = log_tail(str(log))
    assert default.splitlines() == ["line %d" % i for i in range(100 - LOG_TAIL_LINES, 100)]


def test_log_tail_of_a_short_file_is_the_whole_file(tmp_path):
    log = tmp_path / "build.log"
    log.write_text("only\nthree\nlines")
    assert log_tail(str(log), 10) == "only\nthree\nlines"


def test_log_tail_missing_file_is_empty(tmp_path):
    assert log_tail(str(tmp_path / "absent.log")) == ""


def test_log_tail_survives_invalid_utf8(tmp_path):
    log = tmp_path / "build.log"
    log.write_bytes(b"ok\n\xff\xfe broken\nend\n")
    tail = log_tail(str(log), 2)
    assert tail.startswith("\ufffd") and tail.endswith("broken\nend\n")


def test_prefetch_inspects_many_images_in_one_call_and_answers_each_once():
    calls = []
    known = {"localhost/tcib/openstack-os:latest": {"Id": "1" * 64, "RepoTags": ["localhost/tcib/openstack-os:latest"]},
             "localhost/tcib/debian:trixie": {"Id": "2" * 64, "RepoTags": ["localhost/tcib/debian:trixie"]}}

    def run(argv):
        calls.append(argv)
        found = [known[ref] for ref in argv[3:] if ref in known]
        return (0 if len(found) == len(argv) - 3 else 125), json.dumps(found), ""

    builder = Buildah(run, "buildah", "podman")
    builder.prefetch(["localhost/tcib/openstack-os:latest", "localhost/tcib/openstack-new:latest",
                      "localhost/tcib/debian:trixie"])
    assert len(calls) == 1
    assert builder.inspect("localhost/tcib/openstack-os:latest")["Id"] == "1" * 64
    assert builder.inspect("localhost/tcib/debian:trixie")["Id"] == "2" * 64
    assert len(calls) == 1
    # Not in podman's answer: asked again on its own (it may be named otherwise), and absent.
    assert builder.inspect("localhost/tcib/openstack-new:latest") is None
    assert len(calls) == 2
    # Answered once: later inspections see what builds made since.
    builder.inspect("localhost/tcib/openstack-os:latest")
    assert len(calls) == 3


def test_prefetch_of_many_images_lists_the_store_and_inspects_only_what_the_cache_lacks(tmp_path):
    names = ["localhost/t/openstack-i%02d:latest" % number for number in range(45)]
    infos = dict((name, {"Id": "%064d" % number, "RepoTags": [name], "Size": number})
                 for number, name in enumerate(names))
    calls = []

    def run(argv):
        calls.append(argv[:2])
        if argv[:2] == ["buildah", "images"]:
            # One line per name; an image without a name is left out of the answer.
            lines = ["sha256:%s   %s" % (infos[name]["Id"], name) for name in names]
            return 0, "\n".join(lines + ["sha256:%064d   <none>:<none>" % 99]) + "\n", ""
        return 0, json.dumps([infos[ref] for ref in argv[3:] if ref in infos]), ""

    cache = str(tmp_path / "image-inspect-cache.json")
    first = Buildah(run, "buildah", "podman")
    first.prefetch(names + ["localhost/t/openstack-absent:latest"], cache_path=cache)
    assert calls == [["buildah", "images"], ["podman", "image"]]
    assert first.inspect(names[3])["Size"] == 3
    # The next run asks podman nothing: every listed id is in the cache, which is not written again.
    calls.clear()
    # (A rewrite renames a new file over it: another inode.)
    written = os.stat(cache).st_ino
    second = Buildah(run, "buildah", "podman")
    second.prefetch(names, cache_path=cache)
    assert calls == [["buildah", "images"]]
    assert second.inspect(names[7]) == infos[names[7]]
    assert os.stat(cache).st_ino == written
    # A rebuilt image has a new id: inspected again, alone.
    infos[names[5]] = {"Id": "f" * 64, "RepoTags": [names[5]], "Size": 555}
    calls.clear()
    third = Buildah(run, "buildah", "podman")
    third.prefetch(names, cache_path=cache, update_cache=False)
    assert calls == [["buildah", "images"], ["podman", "image"]]
    assert third.inspect(names[5])["Size"] == 555
    assert os.stat(cache).st_ino == written, "a check writes no cache"
    Buildah(run, "buildah", "podman").prefetch(names, cache_path=cache)
    assert os.stat(cache).st_ino != written and "f" * 64 in open(cache).read()
    # Few images: one inspect of them is cheaper than a listing.
    calls.clear()
    Buildah(run, "buildah", "podman").prefetch(names[:3], cache_path=cache)
    assert calls == [["podman", "image"]]


def test_siblings_share_one_temporary_name_of_their_parent():
    calls = []
    builder = Buildah(lambda argv: calls.append(argv[1:]) or (0, "", ""), "buildah", "podman")
    first = builder.pin("a" * 64, "localhost/tcib/openstack-os:latest", "localhost/tcib/openstack-nova-base:latest")
    second = builder.pin("a" * 64, "localhost/tcib/openstack-os:latest", "localhost/tcib/openstack-glance-api:latest")
    other = builder.pin("b" * 64, "localhost/tcib/openstack-base:latest", "localhost/tcib/openstack-os:latest")
    assert first == second != other
    assert first.startswith("localhost/tcib-build-in-progress/tcib-images-p")
    assert "-from-openstack-os:" in first
    assert [call[0] for call in calls] == ["tag", "tag"]
    builder.unpin_all()
    assert sorted(call[1] for call in calls[2:]) == sorted([first, other])
    assert [call[0] for call in calls[2:]] == ["rmi", "rmi"]
