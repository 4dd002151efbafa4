"""The real python-tripleoclient builds our tree through roles/tripleo_container_image_build.

`openstack tripleo container image build` (python-tripleoclient 20.0.0, tripleo-common 18.0.0, tripleo-ansible
6.0.0 from PyPI, in a virtualenv of its own cached under /var/tmp by the pinned versions) renders every image of
vars/tcib exactly as tcib-build renders it from the same options, builds base, os and memcached with buildah,
takes a tree of its own through --extra-config, and fails naming a broken variable file.
"""

import difflib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import (REPO, TEST_NAMESPACE, VENV_BIN, ansible_playbook, copy_base_tree, image_exists, images_named,
                      podman)

# What the README's recipe installs. validations-libs (a dependency of the client) pulls ansible 2.9, whose
# files clash with ansible-core's: it is uninstalled and ansible-core installed after it.
PINS = ["python-tripleoclient==20.0.0", "tripleo-common==18.0.0", "tripleo-ansible==6.0.0", "setuptools<70"]
ANSIBLE_CORE = "ansible-core==2.19.14"
VENV_CACHE = Path("/var/tmp")
BASE = "localhost/tcib/debian:trixie"
# The options both commands take alike.
COMMON = ["--config-path", REPO / "vars", "--base", BASE, "--distro", "debian", "--release", "13"]
# tripleoclient always bind-mounts this into builds (its --volume default): it must exist on the host.
RPM_GPG = Path("/etc/pki/rpm-gpg")
LEAF = ("tcib_actions:\n"
        "  - run: echo {% if tcib_site is defined %}{{ tcib_site }}{% else %}none{% endif %} > /site\n")


def run(argv, **kwargs):
    return subprocess.run([str(arg) for arg in argv], capture_output=True, text=True, check=False, **kwargs)


def tree_images(root):
    """Directories of the tree holding variable files: its images, by relative path."""
    return sorted(Path(directory).relative_to(root) for directory, _dirs, files in os.walk(root)
                  if any(name.endswith((".yaml", ".yml")) for name in files))


def containerfiles(root):
    return dict((path.parent.relative_to(root), path.read_text()) for path in Path(root).rglob("Containerfile"))


@pytest.fixture(scope="session")
def client_venv():
    """The client's virtualenv, made once per set of pinned versions (and Python) and reused after."""
    key = hashlib.sha256("\n".join(PINS + [ANSIBLE_CORE, sys.version]).encode()).hexdigest()[:12]
    venv = VENV_CACHE / ("tcib-tripleoclient-venv-" + key)
    stamp = venv / ".tcib-complete"
    with open("%s.lock" % venv, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            shutil.rmtree(str(venv), ignore_errors=True)
            pip = venv / "bin" / "pip"
            for argv in ([sys.executable, "-m", "venv", venv], [pip, "install", "-q"] + PINS,
                         [pip, "uninstall", "-q", "-y", "ansible"], [pip, "install", "-q", ANSIBLE_CORE]):
                result = run(argv, timeout=1200)
                assert result.returncode == 0, (argv, result.stdout[-2000:], result.stderr[-4000:])
            stamp.write_text("\n".join(PINS + [ANSIBLE_CORE]) + "\n")
    return venv


class Client(object):
    """`openstack tripleo container image build` with the README's environment."""

    def __init__(self, venv, scratch):
        self.repo_dir = scratch / "repos"
        self.repo_dir.mkdir()
        home = scratch / "home"
        home.mkdir()
        bin_dir = scratch / "bin"
        bin_dir.mkdir()
        if not shutil.which("sudo"):
            # The client runs `sudo buildah ...`; we are root already.
            (bin_dir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
            (bin_dir / "sudo").chmod(0o755)
        self.argv = [venv / "bin" / "openstack", "tripleo", "container", "image", "build"]
        self.cwd = scratch
        # As a person would run it: no settings of ours (ANSIBLE_CONFIG from the Makefile), our venv not active.
        env = dict((key, value) for key, value in os.environ.items()
                   if not key.startswith("ANSIBLE_") and key != "VIRTUAL_ENV")
        path = [part for part in env.get("PATH", "").split(os.pathsep) if part and Path(part) != VENV_BIN]
        env.update({
            "PATH": os.pathsep.join([str(venv / "bin"), str(bin_dir)] + path),
            # The client writes ~/.tripleo and its Ansible log (in the passwd home, whatever HOME says):
            # keep them out of root's home.
            "HOME": str(home),
            "ANSIBLE_LOG_PATH": str(home / "ansible.log"),
            "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
            "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".venv" / "collections"),
            "ANSIBLE_CALLBACK_PLUGINS": str(venv / "share" / "ansible" / "plugins" / "callback"),
            "ANSIBLE_NOCOLOR": "1",
        })
        self.env = env

    def build(self, *args):
        result = run(self.argv + list(args), env=self.env, cwd=self.cwd, timeout=1800)
        print(result.stdout[-6000:], result.stderr[-6000:])
        result.output = result.stdout + result.stderr
        return result


@pytest.fixture(scope="session")
def client(client_venv, tmp_path_factory):
    return Client(client_venv, tmp_path_factory.mktemp("tripleoclient"))


@pytest.fixture(scope="session")
def base_image(tmp_path_factory):
    """The Debian base image the tree's root is built from (earlier tests have usually made it)."""
    if not image_exists(BASE):
        namespace = "%s-tco-base" % TEST_NAMESPACE
        result = ansible_playbook(REPO / "build.yml", "service=base", "namespace=%s" % namespace,
                                  "work_dir=%s" % tmp_path_factory.mktemp("base-work"))
        for ref in images_named("localhost/%s/" % namespace):
            podman("rmi", "-f", ref, check=False)
        assert result.returncode == 0, result.stdout[-4000:]
    assert image_exists(BASE)
    return BASE


@pytest.fixture
def rpm_gpg():
    """The host directory the client mounts into every build; made for the test when missing, then removed."""
    made = [path for path in (RPM_GPG.parent, RPM_GPG) if not path.exists()]
    RPM_GPG.mkdir(parents=True, exist_ok=True)
    yield RPM_GPG
    for path in reversed(made):
        try:
            path.rmdir()
        except OSError:
            pass


def one_run_dir(work_dir):
    """The client writes each run under <work-dir>/<uuid>/, mirroring the tree."""
    runs = list(Path(work_dir).iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def assert_same(theirs, ours):
    for relpath in sorted(ours):
        assert theirs[relpath] == ours[relpath], "%s differs:\n%s" % (relpath, "".join(difflib.unified_diff(
            ours[relpath].splitlines(True), theirs[relpath].splitlines(True), "tcib-build", "tripleoclient")))


def test_skip_build_renders_every_image_as_tcib_build_does(client, tmp_path):
    # A snapshot of vars/, so both commands read the same tree even while it is being edited; the
    # client's role is told where it is by our extra config, as the README says for another config path.
    conf = tmp_path / "conf"
    shutil.copytree(str(REPO / "vars" / "tcib"), str(conf / "tcib"), symlinks=True)
    extra = conf / "tripleoclient.yaml"
    extra.write_text((REPO / "vars" / "tripleoclient.yaml").read_text()
                     + "tripleo_container_image_build_tree: %s\n" % (conf / "tcib"))
    namespace = "%s-tco-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    args = ["--config-path", conf] + COMMON[2:] + ["--namespace", namespace, "--tag", "tco", "--skip-build"]
    result = client.build(*(args + ["--extra-config", extra, "--work-dir", tmp_path / "client"]))
    assert result.returncode == 0, result.output[-6000:]
    run_dir = one_run_dir(tmp_path / "client")
    theirs = containerfiles(run_dir)

    ours = run([VENV_BIN / "tcib-build"] + args + ["--work-dir", tmp_path / "ours"], timeout=600)
    assert ours.returncode == 0, ours.stdout[-4000:] + ours.stderr[-2000:]
    ours = containerfiles(tmp_path / "ours")

    images = tree_images(conf / "tcib")
    assert len(images) >= 106
    # One Containerfile per image, where the client builds it, each as tcib-build renders it.
    assert sorted(theirs) == sorted(ours) == images
    assert_same(theirs, ours)
    print("%d Containerfiles, all as tcib-build renders them" % len(theirs))

    # What they say, not only that they agree.
    base = theirs[Path("base")].splitlines()
    assert base[:2] == ["FROM %s" % BASE, 'LABEL org.opencontainers.image.title="openstack-base"']
    assert any(line.startswith("COPY tcib-install ") for line in base)
    memcached = theirs[Path("base/os/memcached")].splitlines()
    assert memcached[:2] == ["FROM localhost/%s/openstack-os:tco" % namespace,
                             'LABEL org.opencontainers.image.title="openstack-memcached"']
    # Its actions in one RUN, as build.yml merges them.
    assert [line for line in memcached if line.startswith("RUN ")] == ["RUN tcib-stub perl \\"]
    assert any(line.strip().startswith("&& tcib-install memcached") for line in memcached)
    assert memcached[-1] == "USER memcache"
    keystone = theirs[Path("base/os/oslo/keystone")]
    assert 'LABEL tcib.images.config="/etc/keystone/keystone.conf"\n' in keystone
    assert "    && tcib-install keystone \\\n" in keystone
    nova_api = theirs[Path("base/os/oslo/nova-base/nova-api")]
    assert nova_api.startswith("FROM localhost/%s/openstack-nova-base:tco\n" % namespace)
    # The base image's files are gathered into its build directory.
    for name in ("tcib-install", "tcib-users", "tcib-healthcheck", "policy-rc.d", "users"):
        assert (run_dir / "base" / name).read_bytes() == (conf / "tcib/base/files" / name).read_bytes()


def test_builds_base_os_and_memcached(client, base_image, rpm_gpg, tmp_path):
    namespace = "%s-tco-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    refs = dict((name, "localhost/%s/openstack-%s:tco" % (namespace, name)) for name in ("base", "os", "memcached"))
    config_file = tmp_path / "containers.yaml"
    config_file.write_text("container_images:\n" + "".join(
        "  - imagename: %s\n    image_source: tripleo\n" % ref for ref in refs.values()))
    try:
        # --exclude files: the client takes every directory of the tree for an image to build, vars/tcib/base/files too.
        result = client.build(*(COMMON + ["--config-file", config_file, "--namespace", namespace, "--tag", "tco",
                                          "--work-dir", tmp_path / "work", "--repo-dir", client.repo_dir,
                                          "--exclude", "files"]))
        assert result.returncode == 0, result.output[-6000:]
        for name, ref in refs.items():
            assert "Building %s image with: sudo buildah bud" % name in result.output
            assert image_exists(ref), ref
        assert sorted(images_named("localhost/%s/" % namespace)) == sorted(refs.values())
        run_dir = one_run_dir(tmp_path / "work")
        assert "Successfully tagged %s" % refs["memcached"] in \
            (run_dir / "base/os/memcached/memcached-build.log").read_text()

        memcached = refs["memcached"]
        assert podman("run", "--rm", memcached, "memcached", "--version").stdout.startswith("memcached 1.")
        assert podman("run", "--rm", memcached, "id", "-un").stdout.strip() == "memcache"
        assert "procps-ng" in podman("run", "--rm", refs["os"], "ps", "--version").stdout
        assert podman("run", "--rm", refs["base"], "sh", "-c", "command -v tcib-install && command -v dumb-init"
                      ).stdout.split() == ["/usr/local/bin/tcib-install", "/usr/bin/dumb-init"]
        labels = podman("image", "inspect", "--format", "{{json .Config.Labels}}", memcached).stdout
        assert '"org.opencontainers.image.title":"openstack-memcached"' in labels
        assert '"maintainer":"tcib.images"' in labels
    finally:
        for ref in images_named("localhost/%s/" % namespace):
            podman("rmi", "-f", ref, check=False)


def test_own_tree_through_extra_config_with_extras_and_errors(client, tmp_path):
    conf = tmp_path / "conf"
    tree = copy_base_tree(conf / "tcib")
    leaf = tree / "base" / "os" / "leaf"
    leaf.mkdir()
    (leaf / "leaf.yaml").write_text(LEAF)
    installer = tree / "base" / "files" / "tcib-install"
    installer.write_text(installer.read_text() + "# this tree's copy\n")
    # The top of the config path holds a YAML file: this one, the role's settings.
    extra = conf / "extra.yaml"
    extra.write_text("tripleo_container_image_build_tree: %s\ntripleo_container_image_build_prefix: lab\n"
                     % (conf / "tcib"))
    args = ["--config-path", conf, "--base", BASE, "--distro", "debian", "--release", "13", "--skip-build",
            "--extra-config", extra, "--prefix", "lab", "--namespace", "site", "--tcib-extras", "tcib_site=lab-1"]

    result = client.build(*(args + ["--work-dir", tmp_path / "w1"]))
    assert result.returncode == 0, result.output[-6000:]
    run_dir = one_run_dir(tmp_path / "w1")
    assert (run_dir / "base" / "os" / "leaf" / "Containerfile").read_text().splitlines() == [
        "FROM localhost/site/lab-os:latest",
        'LABEL org.opencontainers.image.title="lab-leaf"',
        "USER root",
        "RUN echo lab-1 > /site",
    ]
    assert (run_dir / "base" / "tcib-install").read_text().endswith("# this tree's copy\n")

    # A wrong name in a variable file fails the run, naming the file and the key.
    os_file = tree / "base" / "os" / "os.yaml"
    os_file.write_text(os_file.read_text() + "tcib_usr: root\n")
    result = client.build(*(args + ["--work-dir", tmp_path / "w2"]))
    assert result.returncode != 0
    assert "%s: tcib_usr: unknown variable" % os_file in result.output

    # build.yml's per-image overrides are refused by the role, not silently left out.
    extra.write_text(extra.read_text() + "image_overrides:\n  leaf:\n    packages_append: [curl]\n")
    os_file.write_text(os_file.read_text().replace("tcib_usr: root\n", ""))
    result = client.build(*(args + ["--work-dir", tmp_path / "w3"]))
    assert result.returncode != 0
    assert "image_overrides and extra_config are settings of build.yml and tcib-build" in result.output
