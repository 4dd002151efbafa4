"""Helpers for integration tests: they run the real playbook, buildah and podman on this host."""

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
# Images built by tests that use their own trees live under this namespace, apart from the real ones
# (TCIB_TEST_NAMESPACE gives a run of the tests a namespace of its own).
TEST_NAMESPACE = os.environ.get("TCIB_TEST_NAMESPACE", "tcib-test")
# The real tree's images that the session builds (built_memcached) and the tests of them read live under
# this namespace; TCIB_IMAGE_NAMESPACE gives a run of the tests its own, leaving the `tcib` images alone.
IMAGE_NAMESPACE = os.environ.get("TCIB_IMAGE_NAMESPACE", "tcib")


def real_image(name):
    """Reference of an image of the real tree, as built_memcached builds it."""
    return "localhost/%s/openstack-%s:latest" % (IMAGE_NAMESPACE, name)


def ansible_playbook(playbook, *extra_vars, check=False, tags=None, inventory=None, timeout=3600):
    """Run ansible-playbook from the checkout; returns the CompletedProcess (output as text)."""
    binary = VENV_BIN / "ansible-playbook"
    argv = [str(binary if binary.exists() else "ansible-playbook"), str(playbook)]
    if inventory:
        argv += ["--inventory", str(inventory)]
    for item in extra_vars:
        argv += ["-e", item if isinstance(item, str) else json.dumps(item)]
    if check:
        argv.append("--check")
    if tags:
        argv += ["--tags", tags]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def podman(*args, check=True):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check, timeout=600)


def image_exists(ref):
    return podman("image", "exists", ref, check=False).returncode == 0


def images_named(prefix):
    # podman's listing fails (125) when another process removes an image while it reads: ask again.
    for _attempt in range(3):
        listing = podman("images", "--format", "{{.Repository}}:{{.Tag}}", check=False)
        if listing.returncode == 0:
            break
    else:
        raise AssertionError("podman images failed: %s" % listing.stderr)
    return [name for name in listing.stdout.split() if name.startswith(prefix)]


def recap(output):
    """The localhost counters of the PLAY RECAP line, e.g. {'ok': 9, 'changed': 0, 'failed': 0}."""
    line = [ln for ln in output.splitlines() if ln.startswith("localhost") and "ok=" in ln][-1]
    return dict((key, int(value)) for key, value in (part.split("=") for part in line.split()[2:]))


@pytest.fixture(scope="session")
def built_memcached(tmp_path_factory):
    """base -> os -> memcached built once for the session through build.yml."""
    work_dir = tmp_path_factory.mktemp("work")
    result = ansible_playbook(REPO / "build.yml", "service=memcached", "work_dir=%s" % work_dir,
                              "image_namespace=%s" % IMAGE_NAMESPACE)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return {"work_dir": work_dir, "output": result.stdout}


def copy_base_tree(root):
    """Copy the real base and os images (variable files and files) to ``root`` (a new directory)."""
    shutil.copytree(REPO / "vars" / "tcib" / "base" / "files", root / "base" / "files")
    shutil.copy(REPO / "vars" / "tcib" / "base" / "base.yaml", root / "base" / "base.yaml")
    (root / "base" / "os").mkdir()
    shutil.copy(REPO / "vars" / "tcib" / "base" / "os" / "os.yaml", root / "base" / "os" / "os.yaml")
    return root


@pytest.fixture
def namespace():
    """An image namespace of the test's own; its images are removed afterwards."""
    name = "%s-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    yield name
    for ref in images_named("localhost/%s/" % name):
        podman("rmi", "-f", ref, check=False)


@pytest.fixture
def tree(tmp_path):
    """A copy of the real base/os tree that a test can break."""
    return copy_base_tree(tmp_path / "tcib")
