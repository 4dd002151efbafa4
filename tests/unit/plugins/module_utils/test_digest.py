# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inputs digest: what changes it, and what must not."""

import os
import re
from collections import OrderedDict

import pytest

from ansible_collections.tcib.images.plugins.module_utils.digest import LABEL, context_files, inputs_digest

CONTAINERFILE = "FROM localhost/tcib/openstack-os:latest\nRUN echo hello\n"
FROM_ID = "1" * 64


@pytest.fixture
def files(tmp_path):
    """A gathered file and a gathered directory with a nested file."""
    conf = tmp_path / "src" / "app.conf"
    conf.parent.mkdir()
    conf.write_text("key = value\n")
    scripts = tmp_path / "src" / "scripts"
    (scripts / "lib").mkdir(parents=True)
    (scripts / "run.sh").write_text("#!/bin/sh\nexec app\n")
    os.chmod(str(scripts / "run.sh"), 0o644)
    (scripts / "lib" / "helper.sh").write_text("helper() { :; }\n")
    os.chmod(str(scripts / "lib" / "helper.sh"), 0o644)
    return [str(conf), str(scripts)]


def digest(files, **kwargs):
    kwargs.setdefault("build_args", {"A": "1", "B": "2"})
    kwargs.setdefault("labels", {"vendor": "tcib", "release": "1"})
    kwargs.setdefault("volumes", ["/srv/cache:/var/cache/x", "/srv/other:/opt/y"])
    kwargs.setdefault("from_id", FROM_ID)
    return inputs_digest(kwargs.pop("containerfile", CONTAINERFILE), files, **kwargs)


def test_format_and_stable(files):
    first = digest(files)
    assert re.match(r"^sha256:[0-9a-f]{64}$", first)
    assert digest(files) == first


def test_defaults_are_accepted():
    assert inputs_digest(CONTAINERFILE) == inputs_digest(CONTAINERFILE, [], None, None, (), None)
    assert inputs_digest(CONTAINERFILE) != inputs_digest(CONTAINERFILE + "\n")


# --- what changes it -----------------------------------------------------------------------------

def test_containerfile_changes_it(files):
    assert digest(files, containerfile=CONTAINERFILE + "RUN echo more\n") != digest(files)


def test_gathered_file_content_changes_it(files):
    before = digest(files)
    with open(files[0], "a") as handle:
        handle.write("other = 1\n")
    assert digest(files) != before


def test_file_in_a_nested_directory_changes_it(files):
    before = digest(files)
    helper = os.path.join(files[1], "lib", "helper.sh")
    with open(helper, "w") as handle:
        handle.write("helper() { echo changed; }\n")
    assert digest(files) != before


def test_added_or_renamed_file_in_a_directory_changes_it(files):
    before = digest(files)
    extra = os.path.join(files[1], "lib", "deeper", "extra.txt")
    os.makedirs(os.path.dirname(extra))
    with open(extra, "w") as handle:
        handle.write("x\n")
    added = digest(files)
    assert added != before
    os.rename(extra, extra + ".renamed")
    assert digest(files) not in (before, added)


def test_executable_bit_changes_it(files):
    before = digest(files)
    run = os.path.join(files[1], "run.sh")
    os.chmod(run, 0o755)
    after = digest(files)
    assert after != before
    os.chmod(run, 0o644)
    assert digest(files) == before


def test_which_files_are_gathered_changes_it(files):
    assert digest(files[:1]) != digest(files)


@pytest.mark.parametrize("build_args", [
    {"A": "1", "B": "3"},
    {"A": "1"},
    {"A": "1", "B": "2", "C": "3"},
])
def test_build_args_change_it(files, build_args):
    assert digest(files, build_args=build_args) != digest(files)


@pytest.mark.parametrize("labels", [
    {"vendor": "tcib", "release": "2"},
    {"vendor": "tcib"},
    {"vendor": "tcib", "release": "1", "new": "x"},
])
def test_labels_change_it(files, labels):
    assert digest(files, labels=labels) != digest(files)


@pytest.mark.parametrize("volumes", [
    ["/srv/cache:/var/cache/x"],
    ["/srv/cache:/var/cache/x", "/srv/other:/opt/z"],
    [],
])
def test_volumes_change_it(files, volumes):
    assert digest(files, volumes=volumes) != digest(files)


def test_from_id_changes_it(files):
    assert digest(files, from_id="2" * 64) != digest(files)
    assert digest(files, from_id=None) != digest(files)


# --- what does not change it ---------------------------------------------------------------------------

def test_mtimes_do_not_change_it(files):
    before = digest(files)
    for directory, _dirs, names in os.walk(files[1]):
        for name in names:
            os.utime(os.path.join(directory, name), (1000000000, 1000000000))
    os.utime(files[0], (2000000000, 2000000000))
    os.utime(files[1], (1500000000, 1500000000))
    assert digest(files) == before


def test_key_order_of_build_args_and_labels_does_not_change_it(files):
    before = digest(files, build_args=OrderedDict([("A", "1"), ("B", "2")]),
                    labels=OrderedDict([("vendor", "tcib"), ("release", "1")]))
    after = digest(files, build_args=OrderedDict([("B", "2"), ("A", "1")]),
                   labels=OrderedDict([("release", "1"), ("vendor", "tcib")]))
    assert before == after


def test_volume_order_does_not_change_it(files):
    assert digest(files, volumes=["/srv/other:/opt/y", "/srv/cache:/var/cache/x"]) == digest(files)
    assert digest(files, volumes=("/srv/other:/opt/y", "/srv/cache:/var/cache/x")) == digest(files)


def test_the_digest_label_itself_does_not_change_it(files):
    before = digest(files)
    labels = {"vendor": "tcib", "release": "1", LABEL: "sha256:" + "f" * 64}
    assert digest(files, labels=labels) == before
    labels[LABEL] = "sha256:" + "0" * 64
    assert digest(files, labels=labels) == before


def test_where_the_files_live_does_not_change_it(files, tmp_path):
    # The same names and contents elsewhere (the build context copy): the same digest.
    import shutil
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.copy2(files[0], str(other / "app.conf"))
    shutil.copytree(files[1], str(other / "scripts"))
    assert digest([str(other / "app.conf"), str(other / "scripts")]) == digest(files)


# --- context_files ---------------------------------------------------------------------------------------

def test_context_files_walks_directories_recursively(files):
    listed = context_files(files)
    assert [item[0] for item in listed] == [
        "app.conf",
        os.path.join("scripts", "lib", "helper.sh"),
        os.path.join("scripts", "run.sh"),
    ]
    assert all(item[1] is False for item in listed)
    assert all(re.match(r"^[0-9a-f]{64}$", item[2]) for item in listed)
    os.chmod(os.path.join(files[1], "run.sh"), 0o755)
    assert dict((item[0], item[1]) for item in context_files(files))[os.path.join("scripts", "run.sh")] is True


@pytest.mark.parametrize("arguments, reason", [
    ({"force": True, "built": False}, "forced"),
    ({"built": False}, "not built yet"),
    ({"recorded": None}, "no inputs digest"),
    ({"recorded": "sha256:old"}, "inputs changed"),
    ({"recorded": "sha256:old", "changed": "sources or packages changed"}, "sources or packages changed"),
    ({"has_bill": False}, "no bill of materials"),
    ({"pending": [{"package": "libssl3t64", "installed": "3.5.1-1", "candidate": "3.5.1-1+deb13u1"}]},
     "updates: libssl3t64 3.5.1-1 -> 3.5.1-1+deb13u1"),
    ({}, None),
])
def test_rebuild_reason_one_set_of_rules_in_one_order(arguments, reason):
    from ansible_collections.tcib.images.plugins.module_utils.digest import rebuild_reason
    given = dict({"recorded": "sha256:new", "wanted": "sha256:new"}, **arguments)
    assert rebuild_reason(**given) == reason
