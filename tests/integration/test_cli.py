"""The real tcib-build command on a small tree: --list, --skip-build, a real build, and its exit codes."""

import json
import os
import subprocess
import uuid

import pytest

from conftest import TEST_NAMESPACE, VENV_BIN, image_exists, images_named, podman

LEAF = ("tcib_actions:\n"
        "  - run: echo {% if tcib_site is defined %}{{ tcib_site }}{% else %}none{% endif %} > /site\n")


def tcib_build(*argv, cwd=None):
    binary = VENV_BIN / "tcib-build"
    if not binary.exists():
        pytest.fail("%s is missing: `make venv` installs it (requirements.txt: -e .)" % binary)
    env = dict(os.environ)
    # As a person would run it: the virtualenv is not active.
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep)
                                  if not part.startswith(str(VENV_BIN)))
    result = subprocess.run([str(binary)] + [str(arg) for arg in argv], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=3600, check=False)
    print(result.stdout[-3000:], result.stderr[-2000:])
    return result


@pytest.fixture
def small(tree, tmp_path):
    leaf = tree / "base" / "os" / "leaf"
    leaf.mkdir()
    (leaf / "leaf.yaml").write_text(LEAF)
    broken = tree / "base" / "os" / "broken"
    broken.mkdir()
    (broken / "broken.yaml").write_text("tcib_actions:\n  - run: tcib-install tcib-no-such-package\n")
    namespace = "%s-cli-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    try:
        yield {"config_path": tree.parent, "namespace": namespace, "work": tmp_path / "work",
               "common": ["--config-path", tree.parent, "--namespace", namespace, "--work-dir", tmp_path / "work"]}
    finally:
        for ref in images_named("localhost/%s/" % namespace):
            podman("rmi", "-f", ref, check=False)


def test_list(small):
    result = tcib_build(*small["common"], "--list", "--service", "leaf")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert [row[:2] for row in rows] == [["IMAGE", "PARENT"], ["base", "-"], ["os", "base"], ["leaf", "os"]]
    assert rows[3][2] == "localhost/%s/openstack-leaf:latest" % small["namespace"]

    result = tcib_build(*small["common"], "--list", "--service", "lef")
    assert result.returncode == 2
    assert "unknown service 'lef'; closest known: leaf" in result.stderr


def test_skip_build_renders_and_builds_nothing(small):
    result = tcib_build(*small["common"], "--skip-build", "--service", "leaf", "--tcib-extras", "tcib_site=lab-1")
    assert result.returncode == 0, result.stdout[-3000:]
    work = small["work"]
    assert "RUN echo lab-1 > /site" in (work / "base" / "os" / "leaf" / "Containerfile").read_text()
    assert "[3/3] leaf would be built" in result.stdout
    assert "tcib-build: plan: %s" % (work / "check-plan.json") in result.stdout
    assert not images_named("localhost/%s/" % small["namespace"])


def test_build_exit_codes(small):
    work = small["work"]
    result = tcib_build(*small["common"], "--service", "leaf", "--tcib-extras", "tcib_site=lab-1",
                        "--label", "com.example.site=lab-1", "--jobs", "2")
    assert result.returncode == 0, result.stdout[-3000:]
    # Progress lines reach the terminal as the images finish, then the summary path.
    assert "[3/3] leaf built in" in result.stdout
    assert result.stdout.rstrip().splitlines()[-2] == "tcib-build: summary: %s" % (work / "summary.json")
    summary = json.loads((work / "summary.json").read_text())
    assert [(item["name"], item["status"]) for item in summary["images"]] \
        == [("base", "built"), ("os", "built"), ("leaf", "built")]
    ref = "localhost/%s/openstack-leaf:latest" % small["namespace"]
    assert podman("run", "--rm", ref, "cat", "/site").stdout.strip() == "lab-1"
    labels = json.loads(podman("image", "inspect", "--format", "{{json .Config.Labels}}", ref).stdout)
    assert labels["com.example.site"] == "lab-1"

    # A failing image: non-zero, the summary still named; what could be built is there.
    result = tcib_build(*small["common"], "--include", "broken", "--service", "leaf", "--tcib-extras",
                        "tcib_site=lab-1", "--label", "com.example.site=lab-1")
    assert result.returncode != 0
    assert "tcib-build: summary: %s" % (work / "summary.json") in result.stdout
    statuses = dict((item["name"], item["status"]) for item in json.loads((work / "summary.json").read_text())["images"])
    assert statuses == {"base": "up to date", "os": "up to date", "leaf": "up to date", "broken": "failed"}
    assert image_exists(ref)

    # An unknown image: non-zero before anything is built.
    result = tcib_build(*small["common"], "--service", "no-such-image")
    assert result.returncode != 0
    assert "unknown service 'no-such-image'" in result.stdout
