"""Smoke tests of built images, from each image's own tcib_meta.smoke: its command runs, it runs as the
expected user, its key packages are installed, what tcib-stub keeps out is only an empty stand-in, and it
carries the labels that say what to mount.

The images checked are those named in TCIB_SMOKE_IMAGES (comma-separated, or `all` for every image of
the tree); by default the subset CI builds. Each must already be built (`make build SERVICE=...`); a
missing image fails.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CI_SUBSET = ("base", "os", "memcached", "keystone", "glance-api", "nova-api", "neutron-server")  # as Makefile's CI_IMAGES
# Images of another run (e.g. the tree benchmark's namespace) can be checked with TCIB_SMOKE_NAMESPACE.
IMAGE_PREFIX = "localhost/%s/openstack-" % os.environ.get("TCIB_SMOKE_NAMESPACE", "tcib")


def _tree_images():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import collection_path
    collection_path.install()
    from ansible_collections.tcib.images.plugins.module_utils import discovery
    return discovery.discover(str(REPO / "vars" / "tcib"))


IMAGES = _tree_images()
WANTED = os.environ.get("TCIB_SMOKE_IMAGES", ",".join(CI_SUBSET))
NAMES = sorted(IMAGES) if WANTED == "all" else [name.strip() for name in WANTED.split(",") if name.strip()]


def podman(*args):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False, timeout=300)


def in_image(ref, *command, user=None):
    argv = ["run", "--rm", "--network", "none", "--entrypoint", ""]
    if user:
        argv += ["--user", user]
    return podman(*argv, ref, *command)


STUB_VERSION = "999:0-tcib.stub"


def stubs(name):
    """Packages that `tcib-stub` keeps out of the image, by its actions and its ancestors'."""
    found = []
    while name:
        image = IMAGES[name]
        for action in image.variables.get("tcib_actions") or []:
            words = str(action.get("run", "")).split() if isinstance(action, dict) else []
            if words[:1] == ["tcib-stub"]:
                found += words[1:]
        name = image.parent
    return sorted(set(found))


@pytest.mark.parametrize("name", NAMES)
def test_image(name):
    assert name in IMAGES, "%s is not an image of vars/tcib" % name
    ref = IMAGE_PREFIX + name + ":latest"
    assert podman("image", "exists", ref).returncode == 0, "%s is not built" % ref
    variables = IMAGES[name].variables
    meta = variables.get("tcib_meta") or {}
    smoke = meta.get("smoke") or {}
    expected_user = smoke.get("user") or variables.get("tcib_user") or "root"
    assert in_image(ref, "id", "-un").stdout.strip() == expected_user
    if expected_user == "root" and name not in ("base", "os"):
        assert meta.get("root_reason"), "%s runs as root without tcib_meta.root_reason" % name
    if smoke.get("command"):
        run = in_image(ref, *smoke["command"])
        assert run.returncode == 0, run.stdout + run.stderr
    packages = smoke.get("packages") or []
    if packages:
        listed = in_image(ref, "dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\\n", *packages)
        installed = set(line.split()[0] for line in listed.stdout.splitlines() if line.split()[1:2] == ["ii"])
        assert installed == set(packages), listed.stdout + listed.stderr
    stubbed = stubs(name)
    if stubbed:
        listed = in_image(ref, "dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *stubbed)
        assert listed.stdout.split() == [word for package in stubbed for word in (package, STUB_VERSION)], \
            listed.stdout + listed.stderr
    labels = podman("image", "inspect", "--format", "{{json .Config.Labels}}", ref).stdout
    assert '"org.opencontainers.image.title":"openstack-%s"' % name in labels
    if meta.get("config"):
        assert '"tcib.images.config":"%s"' % ",".join(meta["config"]) in labels
    if meta.get("package"):
        assert '"org.opencontainers.image.version":"' in labels
    if variables.get("tcib_cmd") and name not in ("base", "os"):
        long_running = not smoke.get("oneshot")
        if long_running:
            health = podman("image", "inspect", "--format", "{{json .Config.Healthcheck}}", ref).stdout.strip()
            assert health not in ("", "null"), "%s has a command but no HEALTHCHECK" % name
