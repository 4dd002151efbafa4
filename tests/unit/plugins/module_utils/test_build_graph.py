# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A whole run with pushes, on a fake host (podman, buildah, skopeo answered in memory; nothing is built)."""

import json
import os
import tempfile
import threading
import time

import pytest

from ansible_collections.tcib.images.plugins.module_utils import build_graph, status, workdir

REGISTRY = "registry.example.com:5000"
BASE_IMAGE = "docker.io/library/debian:13"
DPKG_STATUS = """Package: base-files
Status: install ok installed
Architecture: amd64
Version: 13.8
"""
# Long enough for a scheduling bug to show, short enough that a failing test ends quickly.
WAIT = 5.0


def ref(name):
    return "%s/tcib/openstack-%s:latest" % (REGISTRY, name)


class FakeHost(object):
    """The commands a run sends, answered from dicts: local images, registry content, hooks per step."""

    def __init__(self):
        self.images = {BASE_IMAGE: {"Id": "b" * 64, "Size": 1}}
        self.remote = {}
        self.lock = threading.Lock()
        self.log = []
        self.push_error = None
        # name -> callable run before that image's build or push returns
        self.before_build = {}
        self.before_push = {}
        self.counter = 0
        self.containers = {}
        # Mount points of the working containers; removed with the host.
        self.scratch = tempfile.TemporaryDirectory(prefix="fake-mount-")

    def by_id(self, image_id):
        return [info for info in self.images.values() if info["Id"] == image_id][0]

    def _record(self, *event):
        with self.lock:
            self.log.append(event)

    def __call__(self, argv):
        tool, verb = os.path.basename(argv[0]), argv[1]
        if tool == "podman" and argv[1:3] == ["image", "inspect"]:
            info = self.images.get(argv[3])
            return (0, json.dumps([info]), "") if info else (125, "", "image not known")
        if tool == "buildah" and verb == "bud":
            return self._build(argv)
        if tool == "buildah" and verb == "tag":
            self.images[argv[3]] = self.images.get(argv[2]) or self.by_id(argv[2])
            return 0, "", ""
        if tool == "buildah" and verb == "rmi":
            self.images.pop(argv[2], None)
            return 0, "", ""
        if tool == "skopeo":
            name = argv[-1].replace("docker://", "")
            if name in self.remote:
                return 0, json.dumps({"schemaVersion": 2, "config": {"digest": "sha256:" + self.remote[name]}}), ""
            return 1, "", "manifest unknown"
        if tool == "buildah" and verb == "push":
            return self._push(argv)
        if tool == "buildah" and verb in ("from", "mount", "config", "commit", "rm"):
            return self._bill_step(verb, argv)
        return 127, "", "unexpected %s" % argv

    def _bill_step(self, verb, argv):
        """The steps that add a bill of materials: a working container, its mount, labels, a commit."""
        if verb == "from":
            self.containers[argv[argv.index("--name") + 1]] = {"from": argv[-1], "labels": {}}
            return 0, argv[argv.index("--name") + 1] + "\n", ""
        # commit names the container, then the image to make
        container = self.containers[argv[-2] if verb == "commit" else argv[-1]]
        if verb == "mount":
            root = tempfile.mkdtemp(dir=self.scratch.name)
            os.makedirs(os.path.join(root, "var/lib/dpkg"))
            with open(os.path.join(root, "var/lib/dpkg/status"), "w") as handle:
                handle.write(DPKG_STATUS)
            return 0, root + "\n", ""
        if verb == "config":
            container["labels"].update(argv[i + 1].split("=", 1) for i, arg in enumerate(argv) if arg == "--label")
            return 0, "", ""
        if verb == "commit":
            base = self.images[container["from"]]
            labels = dict((base.get("Config") or {}).get("Labels") or {}, **container["labels"])
            image_id = "c" + base["Id"][1:]
            self.images[image_id] = self.images[argv[-1]] = {"Id": image_id, "Size": 11, "Config": {"Labels": labels}}
            return 0, image_id + "\n", ""
        return 0, "", ""

    def _build(self, argv):
        temp = argv[argv.index("--tag") + 1]
        name = os.path.basename(os.path.dirname(argv[argv.index("--file") + 1]))
        self._record("build start", name)
        if name in self.before_build:
            self.before_build[name]()
        labels = dict(argv[i + 1].split("=", 1) for i, arg in enumerate(argv) if arg == "--label")
        with self.lock:
            self.counter += 1
            image_id = "%02d" % self.counter + "0" * 62
        self.images[temp] = self.images[image_id] = {"Id": image_id, "Size": 10, "Config": {"Labels": labels}}
        with open(argv[argv.index("--iidfile") + 1], "w") as handle:
            handle.write("sha256:" + image_id)
        self._record("build end", name)
        return 0, "", ""

    def _push(self, argv):
        name = argv[-1].replace("docker://", "")
        short = name.rsplit("/", 1)[-1].split(":")[0].replace("openstack-", "")
        self._record("push start", short)
        if short in self.before_push:
            self.before_push[short]()
        if self.push_error:
            self._record("push failed", short)
            return 125, "", self.push_error
        self.remote[name] = argv[-2]
        self._record("push end", short)
        return 0, "", ""

    def index(self, *event):
        return self.log.index(event)


def write_plan(tmp_path, parents):
    entries = []
    for name, parent in parents:
        context = tmp_path / "work" / name
        context.mkdir(parents=True)
        entries.append({"name": name, "image": ref(name), "parent": parent,
                        "from": ref(parent) if parent else BASE_IMAGE,
                        "containerfile": "FROM x\nRUN echo %s\n" % name, "gather_sources": [],
                        "context_dir": str(context), "containerfile_path": str(context / "Containerfile"),
                        "log_path": str(context / ("%s-build.log" % name))})
    plan = tmp_path / "work" / "plan.json"
    plan.write_text(json.dumps({"images": entries}))
    return str(plan)


def params(plan, **kwargs):
    values = dict((key, spec.get("default")) for key, spec in build_graph.ARGUMENT_SPEC.items())
    values.update(plan=plan, package_proxy=False, push=True, push_retry_delay=0.001, max_parallel=2)
    values.update(kwargs)
    return values


TREE = [("base", None), ("os", "base"), ("keystone", "os"), ("memcached", "os")]


def test_a_childs_build_does_not_wait_for_its_parents_push(tmp_path):
    host = FakeHost()
    os_built = threading.Event()
    host.before_push["base"] = lambda: os_built.wait(WAIT)
    host.before_build["keystone"] = os_built.set
    events = []
    results, summary = build_graph.build_plan(
        params(write_plan(tmp_path, TREE)), host, on_event=lambda kind, name, result, counts: events.append(
            (kind, name)))
    assert os_built.is_set()
    # base's push was still going when its grandchild's build started.
    assert host.index("push start", "base") < host.index("build start", "keystone") < host.index("push end", "base")
    assert [item["push_status"] for item in results] == [status.PUSHED] * 4
    assert summary["push_counts"] == {status.PUSHED: 4}
    assert set(host.remote) == set(ref(name) for name, _parent in TREE)
    assert ("push", "base") in events
    assert not build_graph.failed(summary) and build_graph.changed(results)
    # The summary waits for every push.
    assert summary["wall_seconds"] >= 0 and "PUSH" in summary["table"].splitlines()[0]


def test_pushes_do_not_wait_for_unrelated_builds(tmp_path):
    host = FakeHost()
    memcached_pushed = threading.Event()
    # keystone's build goes on until memcached (a sibling) is pushed: pushes must not wait for builds.
    host.before_build["keystone"] = lambda: memcached_pushed.wait(WAIT)
    host.before_push["memcached"] = memcached_pushed.set
    started = time.time()
    results, _summary = build_graph.build_plan(params(write_plan(tmp_path, TREE), max_parallel=2), host)
    assert memcached_pushed.is_set() and time.time() - started < WAIT
    assert host.index("push start", "memcached") < host.index("build end", "keystone")
    assert all(item["status"] == "built" for item in results)


def test_second_run_pushes_nothing(tmp_path):
    host = FakeHost()
    plan = write_plan(tmp_path, TREE)
    build_graph.build_plan(params(plan), host)
    pushes = [event for event in host.log if event[0] == "push start"]
    results, summary = build_graph.build_plan(params(plan), host)
    assert [item["status"] for item in results] == ["up to date"] * 4
    assert [item["push_status"] for item in results] == [status.ALREADY_PUSHED] * 4
    assert [event for event in host.log if event[0] == "push start"] == pushes
    assert not build_graph.changed(results)
    assert summary["push_counts"] == {status.ALREADY_PUSHED: 4}


def test_push_failure_fails_the_run_naming_the_registry_and_keeps_the_images(tmp_path):
    host = FakeHost()
    host.push_error = "dial tcp 127.0.0.1:5000: connect: connection refused"
    sleeps = []
    results, summary = build_graph.build_plan(params(write_plan(tmp_path, TREE), push_retries=2), host,
                                              sleep=sleeps.append)
    assert [item["status"] for item in results] == ["built"] * 4
    assert [item["push_status"] for item in results] == [status.PUSH_FAILED] * 4
    assert [item["push_attempts"] for item in results] == [3] * 4
    # Tiny delays: 2 retries per image, each below 2 * push_retry_delay * 2**(attempt - 1).
    assert len(sleeps) == 8 and max(sleeps) <= 0.004
    assert build_graph.failed(summary)
    message = build_graph.failure_message(summary)
    assert "push to %s failed for 4 images; the built images stay tagged locally" % REGISTRY in message
    assert "%s: push to %s failed after 3 attempts: dial tcp" % (ref("keystone"), REGISTRY) in message
    assert all(ref(name) in host.images for name, _parent in TREE)
    assert json.load(open(summary["summary_path"]))["images"][0]["push_status"] == status.PUSH_FAILED


def test_images_that_were_not_built_are_not_pushed(tmp_path):
    host = FakeHost()

    def fail_os():
        raise RuntimeError("no space left")
    host.before_build["os"] = fail_os
    results, summary = build_graph.build_plan(params(write_plan(tmp_path, TREE)), host)
    statuses = dict((item["name"], (item["status"], item["push_status"])) for item in results)
    assert statuses["base"] == ("built", status.PUSHED)
    assert statuses["os"][1] == statuses["keystone"][1] == "not pushed"
    assert "some images were not built: os, keystone, memcached" in build_graph.failure_message(summary)


def test_no_push_unless_asked_and_no_push_column(tmp_path):
    host = FakeHost()
    results, summary = build_graph.build_plan(params(write_plan(tmp_path, TREE), push=False), host)
    assert not [event for event in host.log if event[0].startswith("push")]
    assert "push_status" not in results[0] and "push_counts" not in summary
    assert "PUSH" not in summary["table"]


def test_check_mode_pushes_nothing_and_says_what_would_be_pushed(tmp_path):
    host = FakeHost()
    plan = write_plan(tmp_path, TREE)
    results, summary = build_graph.build_plan(params(plan), host, check_mode=True)
    assert not [event for event in host.log if event[0].startswith("push")]
    assert [item["push_status"] for item in results] == [status.WOULD_PUSH] * 4
    assert results[0]["push_reason"] == "pushed once built"
    assert summary["push_counts"] == {status.WOULD_PUSH: 4}
    assert "would push" in summary["table"]
    assert build_graph.changed(results)
    # The preview beside the plan carries the statuses; the plan a real run builds from stays as it was.
    assert summary["summary_path"] == os.path.join(os.path.dirname(plan), "check-plan.json")
    assert [entry["push_status"] for entry in json.load(open(summary["summary_path"]))["images"]] \
        == [status.WOULD_PUSH] * 4
    assert "push_status" not in open(plan).read()


def test_check_mode_reads_the_registry_for_images_already_built(tmp_path):
    host = FakeHost()
    plan = write_plan(tmp_path, TREE)
    build_graph.build_plan(params(plan, push=False), host)
    # The registry holds base as built, another image under os's name, and nothing else.
    host.remote[ref("base")] = host.images[ref("base")]["Id"]
    host.remote[ref("os")] = "f" * 64
    results, summary = build_graph.build_plan(params(plan), host, check_mode=True)
    pushes = dict((item["name"], (item["push_status"], item["push_reason"])) for item in results)
    assert pushes["base"] == (status.ALREADY_PUSHED, "the registry holds this image")
    assert pushes["os"] == (status.WOULD_PUSH, "the registry holds another image under this name")
    assert pushes["keystone"] == (status.WOULD_PUSH, "not read from the registry: manifest unknown")
    assert not [event for event in host.log if event[0].startswith("push")]
    assert summary["push_counts"] == {status.ALREADY_PUSHED: 1, status.WOULD_PUSH: 3}


def test_check_mode_with_every_image_in_the_registry_changes_nothing(tmp_path):
    host = FakeHost()
    plan = write_plan(tmp_path, TREE)
    build_graph.build_plan(params(plan), host)
    results, _summary = build_graph.build_plan(params(plan), host, check_mode=True)
    assert [item["push_status"] for item in results] == [status.ALREADY_PUSHED] * 4
    assert not build_graph.changed(results)


def test_refuses_local_names_and_a_missing_authfile_before_building(tmp_path):
    host = FakeHost()
    plan = write_plan(tmp_path, TREE)
    data = json.load(open(plan))
    data["images"][0]["image"] = "localhost/tcib/openstack-base:latest"
    with open(plan, "w") as handle:
        json.dump(data, handle)
    with pytest.raises(ValueError, match="push needs a registry: localhost/tcib/openstack-base:latest"):
        build_graph.build_plan(params(plan), host)
    plan = write_plan(tmp_path / "other", TREE)
    with pytest.raises(ValueError, match="authfile /nonexistent/auth.json is not a file"):
        build_graph.build_plan(params(plan, authfile="/nonexistent/auth.json"), host)
    assert not host.log


def test_a_plan_replaced_by_another_run_is_refused_before_building(tmp_path):
    host = FakeHost()
    plan = write_plan(tmp_path, TREE)
    data = json.load(open(plan))
    data["plan_id"] = "theirs"
    with open(plan, "w") as handle:
        json.dump(data, handle)
    with pytest.raises(ValueError, match="replaced by another run's plan after this run planned"):
        build_graph.build_plan(params(plan, plan_id="ours"), host)
    assert not host.log
    results, _summary = build_graph.build_plan(params(plan, plan_id="theirs", push=False), host)
    assert [item["status"] for item in results] == ["built"] * 4


def test_a_run_is_refused_while_another_holds_the_work_dir(tmp_path):
    host = FakeHost()
    plan = write_plan(tmp_path, TREE)
    with workdir.exclusive(os.path.dirname(plan), "building"):
        with pytest.raises(workdir.WorkDirBusy, match="is in use by another run"):
            build_graph.build_plan(params(plan), host)
    assert not host.log


def test_a_check_takes_no_lock_and_leaves_the_plan_and_summary_alone(tmp_path):
    host = FakeHost()
    plan = write_plan(tmp_path, TREE)
    before = open(plan).read()
    # A real run holds the work_dir: the check still runs, and writes only its preview.
    with workdir.exclusive(os.path.dirname(plan), "building"):
        results, summary = build_graph.build_plan(params(plan, push=False), host, check_mode=True)
    assert [item["status"] for item in results] == ["would build"] * 4
    assert open(plan).read() == before
    assert not os.path.exists(os.path.join(os.path.dirname(plan), "summary.json"))
    preview = json.load(open(summary["summary_path"]))
    assert [(item["name"], item["status"]) for item in preview["images"]] == [
        (name, "would build") for name, _parent in TREE]
