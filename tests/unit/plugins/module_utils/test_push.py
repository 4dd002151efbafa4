# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pushing one image: the idempotence decision, retries with backoff, what reaches the logs (fake tools)."""

import json
import threading
import time

import pytest

from ansible_collections.tcib.images.plugins.module_utils import push, status

REF = "registry.example.com:5000/tcib/openstack-base:latest"
IMAGE_ID = "a" * 64
OTHER_ID = "c" * 64
SECRET = "s3cr3t-Pa55word"


def manifest(config_id):
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                  "digest": "sha256:" + config_id, "size": 1000},
                       "layers": []})


class FakeTools(object):
    """skopeo inspect and buildah push against an in-memory registry {ref: config id}."""

    def __init__(self, remote=None, push_failures=None, inspect_error=None):
        self.remote = dict(remote or {})
        # Messages for the next pushes to fail with, one per push.
        self.push_failures = list(push_failures or [])
        self.inspect_error = inspect_error
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, argv):
        with self.lock:
            self.calls.append(list(argv))
        ref = argv[-1].replace("docker://", "")
        if argv[1] == "inspect":
            if self.inspect_error:
                return 1, "", self.inspect_error
            if ref in self.remote:
                return 0, manifest(self.remote[ref]), ""
            return 1, "", 'level=fatal msg="reading manifest latest in %s: manifest unknown"' % ref
        if argv[1] == "push":
            if self.push_failures:
                return 125, "", self.push_failures.pop(0)
            self.remote[ref] = argv[-2]
            digestfile = argv[argv.index("--digestfile") + 1]
            with open(digestfile, "w") as handle:
                handle.write("sha256:" + "d" * 64)
            return 0, "", ""
        return 127, "", "unexpected command %s" % argv

    def pushes(self):
        return [argv for argv in self.calls if argv[1] == "push"]


def pusher(tools, sleeps, **kwargs):
    kwargs.setdefault("retry_delay", 1.0)
    options = push.PushOptions(sleep=sleeps, jitter=lambda: 0.5, **kwargs)
    return push.ImagePusher(push.Registry(tools, "buildah", "skopeo"), options)


def test_pushes_what_the_registry_lacks(tmp_path, sleeps):
    tools = FakeTools()
    log = tmp_path / "base-push.log"
    result = pusher(tools, sleeps, authfile="/etc/tcib/auth.json", tls_verify=False)("base", REF, IMAGE_ID, str(log))
    assert result["push_status"] == status.PUSHED
    assert result["push_attempts"] == 1
    assert result["push_registry"] == "registry.example.com:5000"
    assert result["push_digest"] == "sha256:" + "d" * 64
    assert tools.remote[REF] == IMAGE_ID
    inspect, pushed = tools.calls
    assert inspect == ["skopeo", "inspect", "--raw", "--tls-verify=false", "--authfile", "/etc/tcib/auth.json",
                       "docker://" + REF]
    # Pushed by id, so what was checked is what goes; buildah's own retries are off, ours back off.
    assert pushed[:2] == ["buildah", "push"] and pushed[-2:] == [IMAGE_ID, "docker://" + REF]
    assert pushed[pushed.index("--authfile") + 1] == "/etc/tcib/auth.json"
    assert "--tls-verify=false" in pushed and pushed[pushed.index("--retry") + 1] == "0"
    assert not sleeps
    assert "docker://" + REF in log.read_text()
    assert not (tmp_path / "base-push.log.digest").exists()


def test_same_config_digest_means_nothing_to_push(sleeps):
    tools = FakeTools(remote={REF: IMAGE_ID})
    result = pusher(tools, sleeps)("base", REF, "sha256:" + IMAGE_ID)
    assert result["push_status"] == status.ALREADY_PUSHED
    assert not tools.pushes()
    assert "--tls-verify=true" in tools.calls[0]


def test_other_image_under_the_name_is_replaced(sleeps):
    tools = FakeTools(remote={REF: OTHER_ID})
    result = pusher(tools, sleeps)("base", REF, IMAGE_ID)
    assert result["push_status"] == status.PUSHED
    assert tools.remote[REF] == IMAGE_ID


@pytest.mark.parametrize("raw, expected", [
    (manifest(IMAGE_ID), "sha256:" + IMAGE_ID),
    # A manifest list has no config of its own: never "up to date" against one image.
    (json.dumps({"schemaVersion": 2, "manifests": [{"digest": "sha256:" + IMAGE_ID}]}), None),
    ("not json", None),
    ("[]", None),
])
def test_config_digest(raw, expected):
    assert push.config_digest(raw) == expected


def test_up_to_date_decision():
    assert push.is_up_to_date("sha256:" + IMAGE_ID, IMAGE_ID)
    assert push.is_up_to_date("sha256:" + IMAGE_ID, "sha256:" + IMAGE_ID)
    assert not push.is_up_to_date("sha256:" + OTHER_ID, IMAGE_ID)
    assert not push.is_up_to_date(None, IMAGE_ID)


def test_transient_failures_are_retried_with_growing_delays(sleeps):
    refused = 'dial tcp 10.0.0.1:5000: connect: connection refused'
    tools = FakeTools(push_failures=[refused] * 3)
    retries = []
    image_pusher = pusher(tools, sleeps, retries=10)
    image_pusher.on_retry = lambda name, attempt, delay, message: retries.append((attempt, delay, message))
    result = image_pusher("base", REF, IMAGE_ID)
    assert result["push_status"] == status.PUSHED
    assert result["push_attempts"] == 4
    # Jitter fixed at the middle: 3/4 of 1, 2, 4 s.
    assert sleeps == [0.75, 1.5, 3.0]
    assert [attempt for attempt, _delay, _message in retries] == [1, 2, 3]
    assert retries[0][2] == refused
    # Each attempt reads the registry again: a push that landed despite an error is not repeated.
    assert [argv[1] for argv in tools.calls] == ["inspect", "push"] * 4


def test_a_push_that_landed_despite_an_error_counts_as_pushed(sleeps):
    tools = FakeTools()
    real_call = tools.__call__

    def lands_then_fails(argv):
        rc, out, err = real_call(argv)
        if argv[1] == "push" and len(tools.pushes()) == 1:
            return 125, "", "Error: writing manifest: read: connection reset by peer"
        return rc, out, err
    image_pusher = pusher(lands_then_fails, sleeps)
    result = image_pusher("base", REF, IMAGE_ID)
    assert result["push_status"] == status.PUSHED
    assert result["push_attempts"] == 2
    assert len(tools.pushes()) == 1


def test_gives_up_after_the_retries_naming_the_registry(sleeps):
    tools = FakeTools(push_failures=["connect: connection refused"] * 10)
    result = pusher(tools, sleeps, retries=2)("base", REF, IMAGE_ID)
    assert result["push_status"] == status.PUSH_FAILED
    assert result["push_attempts"] == 3
    assert len(sleeps) == 2
    assert result["push_reason"] == ("push to registry.example.com:5000 failed after 3 attempts: "
                                     "connect: connection refused")


def test_refused_credentials_are_not_retried(sleeps):
    tools = FakeTools(push_failures=["Error: unauthorized: authentication required"] * 5)
    result = pusher(tools, sleeps, retries=5)("base", REF, IMAGE_ID)
    assert result["push_status"] == status.PUSH_FAILED
    assert result["push_attempts"] == 1
    assert not sleeps


def test_credentials_never_reach_logs_or_results(tmp_path, sleeps):
    leaky = ("time=x level=debug msg=\"Authorization: Basic dXNlcjpzM2NyM3QtUGE1NXdvcmQ=\"\n"
             "Error: pushing to https://user:%s@registry.example.com:5000/v2/: password=%s denied: nope"
             % (SECRET, SECRET))
    tools = FakeTools(push_failures=[leaky])
    log = tmp_path / "base-push.log"
    result = pusher(tools, sleeps, authfile=str(tmp_path / "auth.json"))("base", REF, IMAGE_ID, str(log))
    assert result["push_status"] == status.PUSH_FAILED
    text = log.read_text() + json.dumps(result)
    assert SECRET not in text
    assert "dXNlcjpzM2NyM3QtUGE1NXdvcmQ=" not in text
    assert "user:***@registry.example.com" in text
    # Only the path of the auth file is ever on a command line.
    assert all(SECRET not in " ".join(argv) for argv in tools.calls)


@pytest.mark.parametrize("ref, registry", [
    (REF, "registry.example.com:5000"),
    ("127.0.0.1:5000/ns/x:latest", "127.0.0.1:5000"),
    ("localhost/tcib/x:latest", "localhost"),
    ("quay.io/x/y", "quay.io"),
    ("tcib/x:latest", "docker.io"),
])
def test_registry_of(ref, registry):
    assert push.registry_of(ref) == registry


def test_pool_pushes_in_parallel_and_reports_each(sleeps):
    both_running = threading.Barrier(2, timeout=5)

    def slow_push(name, ref, image_id, log_path=None):
        both_running.wait()  # raises BrokenBarrierError unless two pushes run at once
        return {"push_status": status.PUSHED, "push_duration": 0.0}

    events = []
    pool = push.PushPool(slow_push, 2, lambda kind, name, result: events.append((kind, name)))
    pool.submit("a", REF, IMAGE_ID)
    pool.submit("b", REF, OTHER_ID)
    results = pool.wait()
    assert set(results) == {"a", "b"}
    assert all(result["push_status"] == status.PUSHED for result in results.values())
    assert sorted(events) == [("push", "a"), ("push", "b")]


def test_pool_turns_a_crash_into_a_failed_push():
    def broken(name, ref, image_id, log_path=None):
        raise RuntimeError("boom")

    pool = push.PushPool(broken, 1)
    pool.submit("a", REF, IMAGE_ID)
    started = time.time()
    result = pool.wait()["a"]
    assert time.time() - started < 5
    assert result["push_status"] == status.PUSH_FAILED
    assert "registry.example.com:5000" in result["push_reason"] and "boom" in result["push_reason"]


@pytest.mark.parametrize("output, short", [
    ('Error: pushing image "2f03" to "docker://r:5000/t/x:latest": trying to reuse blob: unauthorized',
     "trying to reuse blob: unauthorized"),
    ('time="2026" level=warning msg="retrying"\ntime="2026" level=fatal msg="reading manifest: connection refused"',
     "reading manifest: connection refused"),
    ('Error: pushing image "c705" to "docker://127.0.0.1:1/t/os:latest": trying to reuse blob sha256:ac0e at '
     'destination: checking whether a blob sha256:ac0e exists in 127.0.0.1:1/t/os: unauthorized: authentication '
     'required', "unauthorized: authentication required"),
    ('Error: pushing image "c705" to "docker://127.0.0.1:1/t/os:latest": trying to reuse blob sha256:ac0e at '
     'destination: pinging container registry 127.0.0.1:1: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: '
     'connect: connection refused', 'pinging container registry 127.0.0.1:1: Get "http://127.0.0.1:1/v2/": '
     'dial tcp 127.0.0.1:1: connect: connection refused'),
    ("", ""),
])
def test_short_error(output, short):
    assert push.short_error(output) == short
