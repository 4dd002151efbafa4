"""push=true against a real registry (Debian's docker-registry, on 127.0.0.1 only, started and stopped here):
a fresh push, a run that pushes nothing, check mode (reads the registry, pushes nothing), credentials through an
authfile that never show, a registry that is down.

The tests run in order on one build of base and os: the images' names hold the registry's address, so every
registry of this file listens on the same port (restarted with auth, then stopped).
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import REPO, TEST_NAMESPACE, ansible_playbook, copy_base_tree, image_exists, images_named, podman, recap

# command -> Debian package
TOOLS = {"docker-registry": "docker-registry", "htpasswd": "apache2-utils", "skopeo": "skopeo"}
USER = "tcib-push"
PASSWORD = "Pa55-%s" % uuid.uuid4().hex
MANIFEST_TYPES = ", ".join(["application/vnd.docker.distribution.manifest.v2+json",
                            "application/vnd.oci.image.manifest.v1+json"])


def install_missing_tools():
    missing = sorted(set(package for command, package in TOOLS.items() if not shutil.which(command)))
    if not missing:
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True, env=env, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing, check=True,
                   capture_output=True, env=env, timeout=600)
    if "docker-registry" in missing and os.path.isdir("/run/systemd/system"):
        # The package starts a system-wide registry on :5000 where systemd runs: not ours, not wanted.
        subprocess.run(["systemctl", "disable", "--now", "docker-registry"], check=False, capture_output=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Registry(object):
    """`docker-registry serve` on 127.0.0.1:port, storing under a directory of the test."""

    def __init__(self, root, port):
        self.root = root
        self.port = port
        self.address = "127.0.0.1:%d" % port
        self.process = None
        self.auth = None

    def start(self, storage, htpasswd=None):
        config = {"version": 0.1, "log": {"level": "warn"},
                  "storage": {"filesystem": {"rootdirectory": str(self.root / storage)}},
                  "http": {"addr": self.address, "secret": uuid.uuid4().hex}}
        if htpasswd:
            config["auth"] = {"htpasswd": {"realm": "tcib-test", "path": str(htpasswd)}}
        path = self.root / ("%s.yml" % storage)
        path.write_text(json.dumps(config))  # JSON is YAML
        self.log = open(self.root / ("%s.log" % storage), "a")
        self.process = subprocess.Popen(["docker-registry", "serve", str(path)], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            assert self.process.poll() is None, (self.root / ("%s.log" % storage)).read_text()
            try:
                urllib.request.urlopen("http://%s/v2/" % self.address, timeout=2)
                return
            except urllib.error.HTTPError:
                return  # 401: up, and wants credentials
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise AssertionError("the registry did not answer on %s" % self.address)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def get(self, path, accept=None):
        request = urllib.request.Request("http://%s%s" % (self.address, path))
        if accept:
            request.add_header("Accept", accept)
        if self.auth:
            token = base64.b64encode(("%s:%s" % self.auth).encode()).decode()
            request.add_header("Authorization", "Basic " + token)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    install_missing_tools()
    root = tmp_path_factory.mktemp("push")
    registry = Registry(root, free_port())
    registry.start("store")
    namespace = "%s-push-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    context = {"registry": registry, "namespace": namespace, "root": root,
               "tree": copy_base_tree(root / "tcib"), "work": root / "work"}
    try:
        yield context
    finally:
        registry.stop()
        for ref in images_named("%s/%s/" % (registry.address, namespace)):
            podman("rmi", "-f", ref, check=False)


def run_build_yml(setup, *extra, check=False):
    """build.yml with push=true on this file's tree, work_dir, namespace and registry."""
    return ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % setup["tree"], "work_dir=%s" % setup["work"],
                            "namespace=%s" % setup["namespace"], "registry=%s" % setup["registry"].address,
                            "push=true", "tls_verify=false", "push_retry_delay=0.05", *extra, check=check)


def build(setup, *extra):
    result = run_build_yml(setup, *extra)
    summary_path = setup["work"] / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {"images": []}
    images = dict((item["name"], item) for item in summary["images"])
    print(result.stdout[-3000:])
    return result, images


def local_id(setup, name):
    ref = "%s/%s/openstack-%s:latest" % (setup["registry"].address, setup["namespace"], name)
    return podman("image", "inspect", "--format", "{{.Id}}", ref).stdout.strip()


def registry_config_digest(setup, name):
    manifest = setup["registry"].get("/v2/%s/openstack-%s/manifests/latest" % (setup["namespace"], name),
                                     accept=MANIFEST_TYPES)
    return manifest["config"]["digest"]


def test_fresh_push(setup):
    result, images = build(setup)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert [(images[name]["status"], images[name]["push_status"]) for name in ("base", "os")] \
        == [("built", "pushed")] * 2
    for name in ("base", "os"):
        tags = setup["registry"].get("/v2/%s/openstack-%s/tags/list" % (setup["namespace"], name))
        assert tags["tags"] == ["latest"]
        # The registry holds exactly the local image: its config digest is the image id.
        assert registry_config_digest(setup, name) == "sha256:" + local_id(setup, name)
    assert "[push 1/2] base pushed in" in result.stdout
    assert "PUSH" in result.stdout
    print("push seconds:", dict((name, images[name]["push_duration"]) for name in images))


def test_second_run_pushes_nothing(setup):
    before = dict((name, registry_config_digest(setup, name)) for name in ("base", "os"))
    result, images = build(setup)
    assert result.returncode == 0, result.stdout[-4000:]
    assert [(images[name]["status"], images[name]["push_status"]) for name in ("base", "os")] \
        == [("up to date", "pushed: up to date")] * 2
    assert recap(result.stdout)["changed"] == 0
    assert before == dict((name, registry_config_digest(setup, name)) for name in ("base", "os"))


def check_run(setup):
    result = run_build_yml(setup, check=True)
    plan = json.loads((setup["work"] / "check-plan.json").read_text())
    print(result.stdout[-3000:])
    return result, dict((entry["name"], entry) for entry in plan["images"])


def test_check_mode_reads_the_registry_and_pushes_nothing(setup):
    registry = setup["registry"]
    result, entries = check_run(setup)
    assert result.returncode == 0, result.stdout[-4000:]
    assert [entries[name]["push_status"] for name in ("base", "os")] == ["pushed: up to date"] * 2
    assert recap(result.stdout)["changed"] == 0

    # The same images against an empty registry: each would be pushed, and nothing is.
    registry.stop()
    registry.start("store-empty")
    result, entries = check_run(setup)
    assert result.returncode == 0, result.stdout[-4000:]
    assert [(entries[name]["status"], entries[name]["push_status"]) for name in ("base", "os")] \
        == [("up to date", "would push")] * 2
    assert "manifest unknown" in entries["os"]["push_reason"]
    assert recap(result.stdout)["changed"] == 1
    assert registry.get("/v2/_catalog")["repositories"] == []


def test_credentials_from_an_authfile_never_show(setup):
    registry = setup["registry"]
    registry.stop()
    htpasswd = setup["root"] / "htpasswd"
    line = subprocess.run(["htpasswd", "-niB", "-C", "4", USER], input=PASSWORD, capture_output=True, text=True,
                          check=True).stdout
    htpasswd.write_text(line)
    registry.start("store-auth", htpasswd=htpasswd)

    # Without credentials the registry refuses: no retries for that, and the run fails naming it.
    result, images = build(setup, "push_retries=3")
    assert result.returncode != 0
    assert images["base"]["push_status"] == "push failed"
    assert images["base"]["push_attempts"] == 1
    assert "push to %s failed" % registry.address in result.stdout

    secret = base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
    authfile = setup["root"] / "auth.json"
    authfile.write_text(json.dumps({"auths": {registry.address: {"auth": secret}}}))
    authfile.chmod(0o600)
    result, images = build(setup, "authfile=%s" % authfile)
    assert result.returncode == 0, result.stdout[-4000:]
    assert [images[name]["push_status"] for name in ("base", "os")] == ["pushed"] * 2
    registry.auth = (USER, PASSWORD)
    assert registry_config_digest(setup, "os") == "sha256:" + local_id(setup, "os")
    written = [result.stdout, result.stderr]
    for directory, _dirs, files in os.walk(setup["work"]):
        written += [open(os.path.join(directory, name), errors="replace").read() for name in files
                    if name.endswith((".log", ".json"))]
    assert not [text for text in written if PASSWORD in text or secret in text]
    assert str(authfile) in (setup["work"] / "base" / "base-push.log").read_text()


def test_registry_down_fails_after_the_retries_and_keeps_the_images(setup):
    registry = setup["registry"]
    registry.stop()
    started = time.time()
    result, images = build(setup, "push_retries=3")
    elapsed = time.time() - started
    assert result.returncode != 0
    for name in ("base", "os"):
        assert images[name]["status"] == "up to date"
        assert images[name]["push_status"] == "push failed"
        assert images[name]["push_attempts"] == 4
        assert images[name]["push_reason"].startswith("push to %s failed after 4 attempts: " % registry.address)
    assert "push to %s failed for 2 images; the built images stay tagged locally" % registry.address \
        in result.stdout
    assert "[push 0/2] base attempt 1 failed, retrying in" in result.stdout \
        or "base attempt 1 failed, retrying in" in result.stdout
    for name in ("base", "os"):
        assert image_exists("%s/%s/openstack-%s:latest" % (registry.address, setup["namespace"], name))
    print("registry down: run took %.1f s; push seconds %s" % (
        elapsed, dict((name, images[name]["push_duration"]) for name in images)))
