# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bringing one image up to date, with a fake buildah/podman (nothing is built)."""

import dataclasses
import os

import pytest

from ansible_collections.tcib.images.plugins.module_utils import builder as builders
from ansible_collections.tcib.images.plugins.module_utils.builder import (
    BuildOptions, ImageBuilder, classify_failure, is_transient)
from ansible_collections.tcib.images.plugins.module_utils.buildah import BuildError
from ansible_collections.tcib.images.plugins.module_utils.digest import LABEL
from ansible_collections.tcib.images.plugins.module_utils.plan import PlanEntry
from ansible_collections.tcib.images.plugins.module_utils.scheduler import Scheduler

BASE_IMAGE = "docker.io/library/debian:13"
BASE_ID = "b" * 64


def ref(name):
    return "localhost/tcib/openstack-%s:latest" % name


class FakeBuilder(object):
    """Images by reference and by id; builds record their request and 'tag' a new image."""

    def __init__(self, images=None, pullable=None):
        self.images = dict(images or {})
        self.pullable = dict(pullable or {})
        self.requests = []
        self.inspected = []
        self.pulls = []
        self.forgotten = []
        self.failures = []  # BuildErrors to raise, one per build, before succeeding
        self.seen_volumes = []
        self.holdings = {}

    def inspect(self, image):
        self.inspected.append(image)
        return self.images.get(image)

    def build(self, request):
        self.requests.append(request)
        self.seen_volumes.append([(volume, os.path.isdir(volume.split(":")[0])) for volume in request.volumes])
        if self.failures:
            raise self.failures.pop(0)
        image_id = "%02d" % len(self.requests) + "0" * 62
        info = {"Id": image_id, "Size": 1000 + len(self.requests), "RepoTags": [request.image],
                "Config": {"Labels": dict(request.labels)}}
        old = self.images.get(request.image)
        if old is not None:
            old["RepoTags"] = []
        self.images[request.image] = info
        self.images[image_id] = info
        return {"image_id": image_id, "size": info["Size"], "duration": 2.5,
                "command": ["buildah", "bud", request.context_dir], "labels": dict(request.labels)}

    def pull(self, image):
        self.pulls.append(image)
        if image in self.pullable:
            self.images[image] = self.pullable[image]
            return True
        return False

    def forget_if_untagged(self, image_id):
        self.forgotten.append(image_id)

    def installed_packages(self, info, keep_path=None):
        """What each image 'holds': {package: version}, by image id (None: no bill of materials)."""
        return self.holdings.get(info["Id"], {"libc6": "2.41-12"})


def failure(log_tail, timed_out=False):
    result = {"log_tail": log_tail, "command": ["buildah", "bud"], "rc": 100}
    if timed_out:
        result["timed_out"] = True
    return BuildError("build of x failed with exit code 100; log: /x.log\n" + log_tail, result)


def entry(name, parent, containerfile=None, from_image=None, gather_sources=None):
    context = os.path.join("/work", name)
    from_image = from_image or (ref(parent) if parent else BASE_IMAGE)
    return PlanEntry(name=name, image=ref(name), parent=parent, from_image=from_image, relpath=name, files=[],
                     containerfile=containerfile or "FROM %s\nRUN echo %s\n" % (from_image, name),
                     gather_sources=gather_sources or [], context_dir=context,
                     containerfile_path=os.path.join(context, "Containerfile"),
                     log_path=os.path.join(context, "%s-build.log" % name))


@pytest.fixture
def options(sleeps):
    def make(**kwargs):
        kwargs.setdefault("retry_delay", 5.0)
        return BuildOptions(sleep=sleeps, **kwargs)
    return make


@pytest.fixture
def fake():
    return FakeBuilder(images={BASE_IMAGE: {"Id": BASE_ID, "Size": 1}})


def two_images():
    return [entry("base", None), entry("os", "base")]


def run_all(builder, entries, opts):
    image_builder = ImageBuilder(builder, entries, opts)
    return image_builder, [image_builder(e.name) for e in entries]


# --- up to date or not ---------------------------------------------------------------------------------

def test_pending_updates_rebuild_the_image_and_through_its_id_its_children(fake, options):
    run_all(fake, two_images(), options())
    base_id = fake.images[ref("base")]["Id"]
    fake.holdings[base_id] = {"libc6": "2.41-12", "libssl3t64": "3.5.1-1"}
    candidates = {"libc6": "2.41-12", "libssl3t64": "3.5.1-1+deb13u1"}
    _image_builder, checked = run_all(fake, two_images(), options(candidates=candidates, check=True))
    assert [r["status"] for r in checked] == ["would build", "would build"]
    assert checked[0]["pending_updates"] == [{"package": "libssl3t64", "installed": "3.5.1-1",
                                              "candidate": "3.5.1-1+deb13u1"}]
    assert checked[1]["reason"] == "parent base would be rebuilt"
    _image_builder, results = run_all(fake, two_images(), options(candidates=candidates))
    assert [r["status"] for r in results] == ["built", "built"]
    assert results[0]["reason"] == "updates: libssl3t64 3.5.1-1 -> 3.5.1-1+deb13u1"
    assert results[1]["reason"] == "inputs changed"
    # The rebuilt image holds the update: nothing is pending any more.
    _image_builder, again = run_all(fake, two_images(), options(candidates=candidates))
    assert [r["status"] for r in again] == ["up to date", "up to date"]


def test_an_image_without_a_bill_of_materials_is_rebuilt_when_updates_are_checked(fake, options):
    run_all(fake, two_images(), options())
    fake.holdings[fake.images[ref("os")]["Id"]] = None
    _image_builder, results = run_all(fake, two_images(), options(candidates={}))
    assert [(r["status"], r["reason"]) for r in results] == [("up to date", "inputs unchanged"),
                                                             ("built", "no bill of materials")]
    _image_builder, unchecked = run_all(fake, two_images(), options())
    assert [r["status"] for r in unchecked] == ["up to date", "up to date"]


def test_missing_image_is_built_with_the_digest_label(fake, options):
    opts = options(labels={"vendor": "tcib"})
    image_builder, results = run_all(fake, two_images(), opts)
    assert [r["status"] for r in results] == ["built", "built"]
    assert [r["reason"] for r in results] == ["not built yet", "not built yet"]
    assert len(fake.requests) == 2
    request = fake.requests[0]
    assert request.image == ref("base")
    assert request.labels[LABEL] == results[0]["digest"]
    assert results[0]["digest"].startswith("sha256:")
    assert request.labels["vendor"] == "tcib"
    assert opts.labels == {"vendor": "tcib"}  # the options are not changed
    assert results[0]["image_id"] == fake.images[ref("base")]["Id"]
    assert results[0]["attempts"] == 1
    assert results[0]["build_seconds"] == 2.5
    # The child starts from the id its parent was just built as.
    assert image_builder.ids["base"] == results[0]["image_id"]
    assert fake.forgotten == []


def test_up_to_date_when_the_label_matches(fake, options):
    run_all(fake, two_images(), options())
    requests = len(fake.requests)
    _image_builder, results = run_all(fake, two_images(), options())
    assert [r["status"] for r in results] == ["up to date", "up to date"]
    assert [r["reason"] for r in results] == ["inputs unchanged", "inputs unchanged"]
    assert len(fake.requests) == requests  # no build call
    assert results[1]["image_id"] == fake.images[ref("os")]["Id"]
    assert results[1]["size"] == fake.images[ref("os")]["Size"]


def test_up_to_date_with_a_preexisting_labelled_image(fake, options):
    base = entry("base", None)
    digest = ImageBuilder(fake, [base], options()).inputs_digest(base, BASE_ID)
    fake.images[ref("base")] = {"Id": "e" * 64, "Size": 5, "Config": {"Labels": {LABEL: digest}}}
    result = ImageBuilder(fake, [base], options())("base")
    assert result["status"] == "up to date"
    assert result["image_id"] == "e" * 64
    assert fake.requests == []


def test_labels_at_the_top_level_of_inspect_are_read_too(fake, options):
    base = entry("base", None)
    digest = ImageBuilder(fake, [base], options()).inputs_digest(base, BASE_ID)
    fake.images[ref("base")] = {"Id": "e" * 64, "Labels": {LABEL: digest}}
    assert ImageBuilder(fake, [base], options())("base")["status"] == "up to date"


def test_changed_inputs_rebuild_and_forget_the_old_image(fake, options):
    run_all(fake, two_images(), options())
    old_os = fake.images[ref("os")]["Id"]
    entries = two_images()
    entries[1] = dataclasses.replace(entries[1], containerfile=entries[1].containerfile + "RUN echo changed\n")
    image_builder, results = run_all(fake, entries, options())
    assert [r["status"] for r in results] == ["up to date", "built"]
    assert results[1]["reason"] == "inputs changed"
    assert results[1]["image_id"] != old_os
    # Forgotten once the whole run is done, not while children may still use it.
    assert fake.forgotten == []
    image_builder.forget_replaced()
    assert fake.forgotten == [old_os]
    image_builder.forget_replaced()
    assert fake.forgotten == [old_os]  # only once


def test_replaced_images_are_forgotten_children_first(fake, options):
    run_all(fake, two_images() + [entry("keystone", "os")], options())
    old = dict((name, fake.images[ref(name)]["Id"]) for name in ("base", "os", "keystone"))
    entries = two_images() + [entry("keystone", "os")]
    entries[0] = dataclasses.replace(entries[0], containerfile=entries[0].containerfile + "RUN echo changed\n")
    image_builder, results = run_all(fake, entries, options())
    assert [r["status"] for r in results] == ["built", "built", "built"]
    image_builder.forget_replaced()
    # An old parent is only removable once its old children are gone.
    assert fake.forgotten == [old["keystone"], old["os"], old["base"]]


def test_a_rebuilt_parent_rebuilds_its_children(fake, options):
    run_all(fake, two_images(), options())
    entries = two_images()
    entries[0] = dataclasses.replace(entries[0], containerfile=entries[0].containerfile + "RUN echo changed\n")
    _image_builder, results = run_all(fake, entries, options())
    assert [r["status"] for r in results] == ["built", "built"]
    assert results[1]["reason"] == "inputs changed"  # its parent's id changed


def test_changed_gathered_file_rebuilds(fake, options, tmp_path):
    conf = tmp_path / "app.conf"
    conf.write_text("a = 1\n")
    run_all(fake, [entry("base", None, gather_sources=[str(conf)])], options())
    _image_builder, results = run_all(fake, [entry("base", None, gather_sources=[str(conf)])], options())
    assert results[0]["status"] == "up to date"
    conf.write_text("a = 2\n")
    _image_builder, results = run_all(fake, [entry("base", None, gather_sources=[str(conf)])], options())
    assert results[0]["status"] == "built"
    assert results[0]["reason"] == "inputs changed"


def test_changed_build_args_rebuild(fake, options):
    run_all(fake, two_images(), options(build_args={"A": "1"}))
    _image_builder, results = run_all(fake, two_images(), options(build_args={"A": "2"}))
    assert [r["status"] for r in results] == ["built", "built"]
    assert fake.requests[-1].build_args == {"A": "2"}


def test_changed_base_image_rebuilds(fake, options):
    run_all(fake, two_images(), options())
    fake.images[BASE_IMAGE] = {"Id": "c" * 64}
    _image_builder, results = run_all(fake, two_images(), options())
    assert [r["status"] for r in results] == ["built", "built"]


def test_forced_rebuilds_everything(fake, options):
    run_all(fake, two_images(), options())
    _image_builder, results = run_all(fake, two_images(), options(force=True))
    assert [r["status"] for r in results] == ["built", "built"]
    assert [r["reason"] for r in results] == ["forced", "forced"]


def test_image_without_a_digest_label_is_rebuilt(fake, options):
    fake.images[ref("base")] = {"Id": "e" * 64, "Config": {"Labels": None}}
    image_builder = ImageBuilder(fake, [entry("base", None)], options())
    result = image_builder("base")
    assert result["status"] == "built"
    assert result["reason"] == "no inputs digest"
    image_builder.forget_replaced()
    assert fake.forgotten == ["e" * 64]


def test_same_id_after_rebuild_is_not_forgotten(fake, options):
    fake.images[ref("base")] = {"Id": "01" + "0" * 62}  # what the fake's first build returns
    image_builder = ImageBuilder(fake, [entry("base", None)], options(force=True))
    result = image_builder("base")
    assert result["status"] == "built"
    image_builder.forget_replaced()
    assert fake.forgotten == []


def test_package_cache_is_a_per_build_volume_outside_the_digest(fake, options, tmp_path):
    pool = str(tmp_path / "pool")
    opts = options(package_cache=pool, volumes=["/srv/x:/x"])
    _image_builder, results = run_all(fake, two_images(), opts)
    assert [r["status"] for r in results] == ["built", "built"]
    for volumes in fake.seen_volumes:
        assert volumes[0][0] == "/srv/x:/x"
        cache, existed = volumes[1]
        assert cache.endswith(":/var/cache/apt/archives")
        assert cache.startswith(pool + os.sep)
        assert existed  # present during the build...
        assert not os.path.exists(cache.split(":")[0])  # ...and gone after
    assert opts.volumes == ["/srv/x:/x"]
    # Another run with other per-build directories: still up to date.
    _image_builder, results = run_all(fake, two_images(), opts)
    assert [r["status"] for r in results] == ["up to date", "up to date"]


def test_on_build_is_told_about_real_builds_only(fake, options):
    told = []
    run_all(fake, two_images(), options())
    entries = two_images()
    entries[1] = dataclasses.replace(entries[1], containerfile=entries[1].containerfile + "RUN echo changed\n")
    image_builder = ImageBuilder(fake, entries, options(), on_build=lambda name, reason: told.append((name, reason)))
    assert [image_builder(e.name)["status"] for e in entries] == ["up to date", "built"]
    assert told == [("os", "inputs changed")]
    checking = ImageBuilder(fake, [entry("base", None, containerfile="FROM x\n")], options(check=True),
                            on_build=lambda name, reason: told.append((name, reason)))
    assert checking("base")["status"] == "would build"
    assert told == [("os", "inputs changed")]


# --- check mode ------------------------------------------------------------------------------------------

def test_check_mode_would_build_and_children_say_why(fake, options):
    _image_builder, results = run_all(fake, two_images(), options(check=True))
    assert [r["status"] for r in results] == ["would build", "would build"]
    assert results[0]["reason"] == "not built yet"
    assert results[1]["reason"] == "parent base would be rebuilt"
    assert fake.requests == []
    assert fake.pulls == []


def test_check_mode_up_to_date(fake, options):
    run_all(fake, two_images(), options())
    entries = two_images()
    entries[1] = dataclasses.replace(entries[1], containerfile=entries[1].containerfile + "RUN echo changed\n")
    _image_builder, results = run_all(fake, entries, options(check=True))
    assert [r["status"] for r in results] == ["up to date", "would build"]
    assert results[1]["reason"] == "inputs changed"
    assert len(fake.requests) == 2  # only the first run built


def test_check_mode_through_the_scheduler(fake, options):
    entries = two_images() + [entry("keystone", "os")]
    image_builder = ImageBuilder(fake, entries, options(check=True))
    parents = dict((e.name, e.parent) for e in entries)
    results = Scheduler(parents, [e.name for e in entries], image_builder, max_parallel=2).run()
    assert [r["status"] for r in results] == ["would build"] * 3
    assert results[2]["reason"] == "parent os would be rebuilt"


# --- missing FROM image ------------------------------------------------------------------------------------

def test_missing_from_image_fails_clearly(options):
    fake = FakeBuilder()
    results = run_all(fake, [entry("base", None)], options())[1]
    assert results[0]["status"] == "failed"
    assert results[0]["reason"] == ("image %s to build base from is not present and cannot be pulled"
                                    % BASE_IMAGE)
    assert fake.pulls == [BASE_IMAGE]
    assert fake.requests == []


def test_missing_from_image_is_pulled(options):
    fake = FakeBuilder(pullable={BASE_IMAGE: {"Id": BASE_ID}})
    result = ImageBuilder(fake, [entry("base", None)], options())("base")
    assert result["status"] == "built"
    assert fake.pulls == [BASE_IMAGE]


def test_local_from_images_are_not_pulled(options):
    fake = FakeBuilder()
    base = entry("keystone", None, from_image="localhost/tcib/openstack-os:latest")
    result = ImageBuilder(fake, [base], options())("keystone")
    assert result["status"] == "failed"
    assert "localhost/tcib/openstack-os:latest" in result["reason"]
    assert fake.pulls == []


def test_check_mode_does_not_pull(options):
    fake = FakeBuilder(pullable={BASE_IMAGE: {"Id": BASE_ID}})
    result = ImageBuilder(fake, [entry("base", None)], options(check=True))("base")
    assert result["status"] == "would build"
    assert result["reason"] == "FROM image %s is not present" % BASE_IMAGE
    assert fake.pulls == []


def test_parent_outside_the_plan_is_inspected_by_reference(fake, options):
    # os is planned alone: base is not an entry, its image must exist already.
    os_entry = entry("os", "base")
    result = ImageBuilder(fake, [os_entry], options())("os")
    assert result["status"] == "failed"
    assert ref("base") in result["reason"]
    fake.images[ref("base")] = {"Id": "d" * 64}
    result = ImageBuilder(fake, [os_entry], options())("os")
    assert result["status"] == "built"


# --- retries ------------------------------------------------------------------------------------------------

TRANSIENT = "Err:1 http://deb.debian.org/debian trixie InRelease\n  Temporary failure resolving 'deb.debian.org'\n"
DETERMINISTIC = "E: Unable to locate package foo\n"


def test_transient_failures_are_retried_with_growing_delays(fake, options, sleeps):
    fake.failures = [failure(TRANSIENT), failure(TRANSIENT)]
    result = ImageBuilder(fake, [entry("base", None)], options(retries=2, retry_delay=5.0))("base")
    assert result["status"] == "built"
    assert result["attempts"] == 3
    assert len(fake.requests) == 3
    assert len(sleeps) == 2
    assert 5.0 <= sleeps[0] < 10.0
    assert 10.0 <= sleeps[1] < 20.0
    assert sleeps[1] > sleeps[0]


def test_transient_failures_give_up_after_the_retries(fake, options, sleeps):
    fake.failures = [failure(TRANSIENT) for attempt in range(5)]
    result = ImageBuilder(fake, [entry("base", None)], options(retries=3, retry_delay=1.0))("base")
    assert result["status"] == "failed"
    assert result["attempts"] == 4
    assert len(fake.requests) == 4
    assert len(sleeps) == 3
    assert sleeps == sorted(sleeps) and len(set(sleeps)) == 3
    # An outage must not read as a broken image: the summary names the mirror.
    assert result["reason"] == ("mirror unreachable after 4 attempts (Temporary failure resolving 'deb.debian.org'); "
                                "build of x failed with exit code 100; log: /x.log")
    assert "Temporary failure resolving" in result["log_tail"]


def test_no_retries_means_one_attempt(fake, options, sleeps):
    fake.failures = [failure(TRANSIENT)]
    result = ImageBuilder(fake, [entry("base", None)], options(retries=0))("base")
    assert result["status"] == "failed"
    assert result["attempts"] == 1
    assert sleeps == []


def test_deterministic_failures_fail_after_one_attempt(fake, options, sleeps):
    fake.failures = [failure(DETERMINISTIC), failure(DETERMINISTIC)]
    result = ImageBuilder(fake, [entry("base", None)], options(retries=5))("base")
    assert result["status"] == "failed"
    assert result["attempts"] == 1
    assert len(fake.requests) == 1
    assert sleeps == []
    assert "Unable to locate package foo" in result["log_tail"]
    assert result["command"] == ["buildah", "bud"]


def test_timed_out_builds_are_not_retried(fake, options, sleeps):
    fake.failures = [failure(TRANSIENT, timed_out=True)]
    result = ImageBuilder(fake, [entry("base", None)], options(retries=5, timeout=60))("base")
    assert result["status"] == "failed"
    assert result["attempts"] == 1
    assert sleeps == []
    assert fake.requests[0].timeout == 60


def test_a_failed_parent_leaves_the_old_image(fake, options):
    run_all(fake, two_images(), options())
    old = fake.images[ref("base")]["Id"]
    entries = two_images()
    entries[0] = dataclasses.replace(entries[0], containerfile=entries[0].containerfile + "RUN false\n")
    fake.failures = [failure("RUN false: exit status 1\n")]
    image_builder = ImageBuilder(fake, entries, options())
    result = image_builder("base")
    assert result["status"] == "failed"
    assert fake.images[ref("base")]["Id"] == old
    image_builder.forget_replaced()
    assert fake.forgotten == []


def test_package_cache_is_checked_in_after_a_failed_attempt(fake, options, tmp_path):
    pool = tmp_path / "pool"
    fake.failures = [failure(TRANSIENT)]
    result = ImageBuilder(fake, [entry("base", None)], options(package_cache=str(pool)))("base")
    assert result["status"] == "built"
    assert [name for name in os.listdir(str(pool)) if name.startswith(".build-")] == []
    dirs = [volumes[-1][0] for volumes in fake.seen_volumes]
    assert len(dirs) == 2 and dirs[0] != dirs[1]


@pytest.mark.parametrize("log, expected", [
    ("Temporary failure resolving 'deb.debian.org'", True),
    ("Could not resolve 'deb.debian.org'", True),
    ("Could not connect to deb.debian.org:80", True),
    ("E: Failed to fetch http://deb.debian.org/pool/x.deb  Hash Sum mismatch", True),
    ("E: Unable to fetch some archives, maybe run apt-get update", True),
    ("503  Service Unavailable", True),
    ("Error: committing container for step: error committing container: database is locked", True),
    ("E: Could not get lock /var/lib/dpkg/lock-frontend", True),
    ("net/http: TLS handshake timeout", True),
    ("read tcp 10.0.0.1:443: i/o timeout", True),
    ("E: Unable to locate package foo", False),
    ("E: Package 'foo' has no installation candidate", False),
    ("Err:1 http://deb.debian.org/debian x.deb 404  Not Found", False),
    ("/bin/sh: 1: nova-manage: command not found", False),
    ("error building at STEP \"RUN x\": exit status 1", False),
    ("", False),
    # A deterministic error wins over a transient one in the same log...
    ("E: Unable to fetch some archives\nE: Unable to locate package foo", False),
    ("E: Failed to fetch http://x/y.deb  404  Not Found", False),
    # ...but not over a mirror that failed: without its index apt cannot locate any package.
    ("Temporary failure resolving 'x'\nE: Unable to locate package foo", True),
])
def test_is_transient(log, expected):
    assert is_transient(log) is expected


MIRROR_OUTAGE = """Err:1 http://deb.debian.org/debian trixie InRelease
  502  Bad Gateway [IP: 127.0.0.1 3142]
W: Some index files failed to download. They have been ignored, or old ones used instead.
E: Unable to locate package memcached
"""


@pytest.mark.parametrize("log, kind", [
    (MIRROR_OUTAGE, builders.MIRROR),
    ("E: Unable to locate package foo\n", builders.PERMANENT),
    ("E: Could not get lock /var/lib/dpkg/lock-frontend\n", builders.TRANSIENT),
    ("E: Failed to fetch http://deb.debian.org/x.deb  503  Service Unavailable\n", builders.MIRROR),
    ("", builders.PERMANENT),
])
def test_classify_failure(log, kind):
    assert classify_failure(log) == kind


def test_mirror_outage_is_retried_then_named_in_the_reason(fake, options, sleeps):
    fake.failures = [failure(MIRROR_OUTAGE), failure(MIRROR_OUTAGE)]
    result = ImageBuilder(fake, [entry("base", None)], options(retries=1, retry_delay=1.0))("base")
    assert result["status"] == "failed"
    assert result["attempts"] == 2 and len(sleeps) == 1
    assert result["reason"].startswith("mirror unreachable after 2 attempts (502 Bad Gateway [IP: 127.0.0.1 3142]); ")
    fake.failures = [failure(MIRROR_OUTAGE)]
    assert ImageBuilder(fake, [entry("base", None)], options(retries=1, retry_delay=1.0))("base")["status"] == "built"


def test_build_is_made_from_the_exact_parent_id_its_digest_names(fake, options):
    _image_builder, results = run_all(fake, two_images(), options())
    base_id = fake.images[ref("base")]["Id"]
    assert [request.from_image for request in fake.requests] == [BASE_ID, base_id]
    assert results[1]["image_id"] != base_id
