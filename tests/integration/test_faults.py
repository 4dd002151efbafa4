"""Faults, for real: runs killed mid-build, concurrent runs on the same names, a flaky and a dead mirror.

Every case asserts the exit code, the message, and what buildah/podman and the file system hold afterwards.
The base and os images are built once for the module; the mirror cases build their own root image from a
mirror relay on 127.0.0.1 (and are the slow part).
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import collection_path  # noqa: E402  (found through the line above)

collection_path.install()
from ansible_collections.tcib.images.plugins.module_utils import leftovers  # noqa: E402
from ansible_collections.tcib.images.plugins.module_utils.lifeline import descendants  # noqa: E402

from conftest import REPO, TEST_NAMESPACE, VENV_BIN, ansible_playbook, copy_base_tree, podman  # noqa: E402

PACKAGE_CACHE = "/var/cache/tcib/apt-archives"
SLOW_LEAF = "tcib_actions:\n  - run: sleep 300\n"
QUICK_LEAF = "tcib_actions:\n  - run: echo done > /leaf\n"


def names(prefix):
    """Image names starting with prefix (read even when podman also reports an image that another
    process removed meanwhile)."""
    listed = podman("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout.split()
    return [name for name in listed if name.startswith(prefix)]


def owner_ended(name):
    """True when the owner process named in ``name`` (p<pid>-<start>) is no longer running."""
    return leftovers.owner_of(name) is not None and leftovers.is_left_over(name)


def leaked(work_dir):
    """What runs that ended left: working containers, temporary images, files and build processes."""
    containers = podman("ps", "-a", "--external", "--format", "{{.Names}}").stdout.split()
    left = ["container " + name for name in containers if name.startswith("tcib-images-") and owner_ended(name)]
    left += ["image " + ref for ref in names("localhost/tcib-build-in-progress/") if owner_ended(ref)]
    left += ["file " + name for name in os.listdir(str(work_dir)) if name.startswith("apt-proxy-")]
    for parent, prefix in ((PACKAGE_CACHE, ".build-"), (os.path.join(PACKAGE_CACHE, "mirror"), ".run-")):
        left += ["directory " + name for name in os.listdir(parent) if name.startswith(prefix) and owner_ended(name)]
    left += ["process %d" % pid for pid in processes_mentioning(str(work_dir))]
    return left


def processes_mentioning(text):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as handle:
                    if text.encode() in handle.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def wait_until(predicate, seconds, step=0.5):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def playbook_argv(tree, work_dir, namespace, *extra):
    argv = [str(VENV_BIN / "ansible-playbook"), str(REPO / "build.yml"), "-e", "tcib_tree=%s" % tree,
            "-e", "work_dir=%s" % work_dir, "-e", "namespace=%s" % namespace]
    for item in extra:
        argv += ["-e", item]
    return argv


def start(tree, work_dir, namespace, *extra):
    """ansible-playbook in a session of its own (so that a test can signal it as a terminal would)."""
    log = open(str(work_dir) + ".log", "w")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    process = subprocess.Popen(playbook_argv(tree, work_dir, namespace, *extra), cwd=str(REPO), env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.log_path = str(work_dir) + ".log"
    return process


def output(process):
    with open(process.log_path) as handle:
        return handle.read()


def summary(work_dir):
    path = work_dir / "summary.json"
    return json.loads(path.read_text()) if path.exists() else {}


def statuses(work_dir):
    return dict((item["name"], item["status"]) for item in summary(work_dir).get("images", []))


def image_id(ref):
    return podman("image", "inspect", "--format", "{{.Id}}", ref, check=False).stdout.strip()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """base and os, built once in a namespace of the module's own, and a tree with a slow leaf."""
    root = tmp_path_factory.mktemp("faults")
    tree = copy_base_tree(root / "tcib")
    (tree / "base" / "os" / "slow").mkdir()
    (tree / "base" / "os" / "slow" / "slow.yaml").write_text(QUICK_LEAF)
    namespace = "%s-faults-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    work = root / "work"
    result = ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % tree, "work_dir=%s" % work,
                              "namespace=%s" % namespace)
    assert result.returncode == 0, result.stdout[-3000:]
    (tree / "base" / "os" / "slow" / "slow.yaml").write_text(SLOW_LEAF)
    yield {"tree": tree, "namespace": namespace, "root": root}
    for ref in names("localhost/%s/" % namespace):
        podman("rmi", "-f", ref, check=False)


def kill_while_building(built, name, stop):
    """Start a run that rebuilds the slow leaf, stop it with ``stop(process)`` once the leaf's RUN step
    is running; returns (work_dir, the leaf's id before, the process)."""
    work = built["root"] / name
    leaf = "localhost/%s/openstack-slow:latest" % built["namespace"]
    before = image_id(leaf)
    process = start(built["tree"], work, built["namespace"])
    assert wait_until(lambda: "slow building" in output(process), 300), output(process)[-3000:]
    # The RUN step (sleep 300) is running once buildah's log shows the step.
    log = work / "base" / "os" / "slow"
    assert wait_until(lambda: any("sleep 300" in path.read_text() for path in log.glob("*build.log")), 120)
    time.sleep(2)
    stop(process)
    return work, before, process


@pytest.mark.parametrize("how", ["ctrl-c", "kill -9 ansible-playbook"])
def test_a_stopped_run_stops_its_builds_and_leaves_nothing(built, how):
    def stop(process):
        if how == "ctrl-c":
            os.killpg(process.pid, signal.SIGINT)  # what the terminal sends to its foreground group
        else:
            process.kill()

    work, before, process = kill_while_building(built, how.replace(" ", "_"), stop)
    process.wait(timeout=60)
    # The run's builds end with it (within the lifeline's poll and buildah's own cleanup).
    assert wait_until(lambda: not processes_mentioning(str(work)), 60), processes_mentioning(str(work))
    wait_until(lambda: not leaked(work), 30)  # buildah's own cleanup may take a moment
    assert leaked(work) == []
    assert image_id("localhost/%s/openstack-slow:latest" % built["namespace"]) == before
    assert not names("localhost/tcib-build-in-progress/openstack-slow")


def test_the_next_run_cleans_what_a_run_killed_outright_left(built):
    def kill_everything(process):
        # Power-cut style: every process of the run at once, so nothing of it can clean up.
        pids = [process.pid] + descendants(process.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    work, before, process = kill_while_building(built, "killed_outright", kill_everything)
    process.wait(timeout=60)

    def slow_container_left():
        left = leaked(work)
        return left if any(item.startswith("container tcib-images-") and "-from-openstack-os" in item
                           for item in left) else None

    assert wait_until(slow_container_left, 30), leaked(work)
    # Fixed leaf, same work_dir: the run removes what the killed one left, then builds.
    (built["tree"] / "base" / "os" / "slow" / "slow.yaml").write_text(QUICK_LEAF + "tcib_envs:\n  FIXED: '1'\n")
    try:
        result = ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % built["tree"], "work_dir=%s" % work,
                                  "namespace=%s" % built["namespace"])
    finally:
        (built["tree"] / "base" / "os" / "slow" / "slow.yaml").write_text(SLOW_LEAF)
    assert result.returncode == 0, result.stdout[-3000:]
    cleaned = summary(work)["cleaned"]
    assert any("-from-openstack-os" in name for name in cleaned["containers"]), cleaned
    assert statuses(work)["slow"] == "built"
    assert [item for item in leaked(work) if not item.startswith("process")] == []


def test_concurrent_runs_on_the_same_names_take_turns_and_tag_consistently(built):
    tree = built["tree"]
    (tree / "base" / "os" / "slow" / "slow.yaml").write_text(QUICK_LEAF)
    os_file = tree / "base" / "os" / "os.yaml"
    original = os_file.read_text()
    assert "tcib_envs:" not in original
    os_file.write_text(original + "\ntcib_envs:\n  CONCURRENCY_TEST: '%s'\n" % uuid.uuid4().hex)
    try:
        first = start(tree, built["root"] / "concurrent-1", built["namespace"])
        second = start(tree, built["root"] / "concurrent-2", built["namespace"])
        assert first.wait(timeout=900) == 0, output(first)[-3000:]
        assert second.wait(timeout=900) == 0, output(second)[-3000:]
    finally:
        os_file.write_text(original)
        (tree / "base" / "os" / "slow" / "slow.yaml").write_text(SLOW_LEAF)
    both = output(first) + output(second)
    assert "waiting for another run that builds the same image names" in both
    runs = [statuses(built["root"] / "concurrent-1"), statuses(built["root"] / "concurrent-2")]
    # One run built os and its children; the other, after its turn, found them up to date.
    assert sorted(run["os"] for run in runs) == ["built", "up to date"], runs
    assert sorted(run["slow"] for run in runs) == ["built", "up to date"], runs
    # Each child is built on the very parent that is tagged: the parent's layers start the child's.
    namespace = built["namespace"]
    for parent, child in (("base", "os"), ("os", "slow")):
        layers = dict((name, json.loads(podman("image", "inspect", "localhost/%s/openstack-%s:latest" % (
            namespace, name)).stdout)[0]["RootFS"]["Layers"]) for name in (parent, child))
        assert layers[child][:len(layers[parent])] == layers[parent], (parent, child)


class MirrorRelay(object):
    """deb.debian.org behind a relay on 127.0.0.1 that fails the first ``failures`` requests (503), or
    every one while ``down``."""

    def __init__(self, failures):
        self.failures, self.down, self.requests, self.failed = failures, False, 0, 0
        self.lock = threading.Lock()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                with relay.lock:
                    relay.requests += 1
                    fail = relay.down or relay.requests <= relay.failures
                    relay.failed += fail
                if fail:
                    return self._answer(503, b"mirror busy\n")
                try:
                    upstream = urllib.request.urlopen("http://deb.debian.org" + self.path, timeout=60)
                    body = upstream.read()
                except urllib.error.HTTPError as exc:
                    return self._answer(exc.code, b"")
                return self._answer(200, body)

            def _answer(self, code, body):
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]


@pytest.fixture(scope="module")
def relayed(built):
    relay = MirrorRelay(failures=14)
    namespace = built["namespace"] + "-mirror"
    settings = ["distro_mirror=%s/debian" % relay.url, "distro_security_mirror=%s/debian-security" % relay.url,
                "base_image=localhost/%s/debian:trixie" % namespace]
    yield relay, namespace, settings
    relay.server.shutdown()
    relay.server.server_close()
    for ref in names("localhost/%s/" % namespace):
        podman("rmi", "-f", ref, check=False)


def test_a_flaky_mirror_is_retried_to_success(built, relayed):
    relay, namespace, settings = relayed
    work = built["root"] / "flaky"
    (built["tree"] / "base" / "os" / "slow" / "slow.yaml").write_text(QUICK_LEAF)
    try:
        result = ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % built["tree"], "work_dir=%s" % work,
                                  "namespace=%s" % namespace, *settings)
    finally:
        (built["tree"] / "base" / "os" / "slow" / "slow.yaml").write_text(SLOW_LEAF)
    assert result.returncode == 0, result.stdout[-4000:]
    assert relay.failed == 14
    assert set(statuses(work).values()) == {"built"}
    assert image_id("localhost/%s/debian:trixie" % namespace)


def test_a_dead_mirror_is_a_clear_failure_and_changes_nothing(built, relayed):
    relay, namespace, settings = relayed
    ids = dict((ref, image_id(ref)) for ref in names("localhost/%s/" % namespace))
    assert ids, "test_a_flaky_mirror_is_retried_to_success builds these images first"
    relay.down = True
    try:
        # With the update check on, the run stops while reading the sources' indices: before any build.
        work = built["root"] / "dead-check"
        result = ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % built["tree"], "work_dir=%s" % work,
                                  "namespace=%s" % namespace, *settings)
        assert result.returncode != 0
        assert "503" in result.stdout and relay.url in result.stdout, result.stdout[-3000:]
        assert not (work / "summary.json").exists()
        # Offline mode does not read the mirror; a build that needs it fails, naming the mirror.
        (built["tree"] / "base" / "os" / "slow" / "slow.yaml").write_text(
            "tcib_actions:\n  - run: tcib-install less\n")
        work = built["root"] / "dead-offline"
        result = ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % built["tree"], "work_dir=%s" % work,
                                  "namespace=%s" % namespace, "check_updates=false", "build_retries=1",
                                  *settings)
    finally:
        relay.down = False
        (built["tree"] / "base" / "os" / "slow" / "slow.yaml").write_text(SLOW_LEAF)
    assert result.returncode != 0
    slow = [item for item in summary(work)["images"] if item["name"] == "slow"][0]
    assert slow["status"] == "failed"
    assert slow["reason"].startswith("mirror unreachable after 2 attempts"), slow["reason"]
    assert "mirror unreachable" in result.stdout
    assert dict((ref, image_id(ref)) for ref in ids) == ids
    assert leaked(work) == []
