"""Smoke tests of built images, from each image's own tcib_meta.smoke: its command runs, it runs as the
expected user, its key packages are installed, what tcib-stub keeps out is only an empty stand-in, and it
carries the labels that say what to mount. And every image keeps a sound dpkg database: `apt-get check`
passes, and as root `apt-get update && apt-get install -y less` works in it.

The images checked are those named in TCIB_SMOKE_IMAGES (comma-separated, or `all` for every image of
the tree); by default the subset CI builds. Each must already be built (`make build SERVICE=...`); a
missing image fails.

The install reaches the mirror as the builds do: through the collection's package proxy, started on
127.0.0.1 for the session over the shared package cache (TCIB_SMOKE_PACKAGE_CACHE, by default the builds'
/var/cache/tcib/apt-archives), so a throwaway container on the host's network (`--network host`) with an
apt.conf naming the proxy is the only one that gets out; every other check runs with `--network none`.
TCIB_SMOKE_APT_PACKAGE names another package to install (one that no image holds).
"""

import os
import re
import shlex
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
from ansible_collections.tcib.images.plugins.module_utils.aptproxy import AptProxy  # noqa: E402 (needs the path)

PACKAGE_CACHE = os.environ.get("TCIB_SMOKE_PACKAGE_CACHE", "/var/cache/tcib/apt-archives")
APT_PACKAGE = os.environ.get("TCIB_SMOKE_APT_PACKAGE", "less")
WANTED = os.environ.get("TCIB_SMOKE_IMAGES", ",".join(CI_SUBSET))
NAMES = sorted(IMAGES) if WANTED == "all" else [name.strip() for name in WANTED.split(",") if name.strip()]


def podman(*args):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False, timeout=300)


def in_image(ref, *command, user=None, network="none", volumes=()):
    argv = ["run", "--rm", "--network", network, "--no-healthcheck", "--entrypoint", ""]
    if user:
        argv += ["--user", user]
    for volume in volumes:
        argv += ["--volume", volume]
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
                found += [word for word in words[1:] if not word.startswith("-")]  # --replace
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


@pytest.fixture(scope="session")
def apt_proxy(tmp_path_factory):
    """The package proxy for the session: (proxy, path of an apt.conf file naming it)."""
    proxy = AptProxy(os.path.join(PACKAGE_CACHE, "mirror"), [])
    conf = tmp_path_factory.mktemp("apt") / "00tcib-proxy"
    conf.write_text('Acquire::http::Proxy "http://127.0.0.1:%d";\nAcquire::https::Proxy "DIRECT";\n'
                    % proxy.start())
    conf.chmod(0o644)
    try:
        yield proxy, str(conf)
    finally:
        proxy.stop()


def http_hosts(ref):
    """The hosts of the image's http apt sources (deb822 URIs and one-line `deb` entries)."""
    listed = in_image(ref, "sh", "-c", "cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null")
    return set(re.findall(r"http://([^/:\s]+)", listed.stdout))


@pytest.mark.parametrize("name", NAMES)
def test_apt_works_in_image(name, apt_proxy):
    """dpkg's database is sound: apt finds every dependency met and, as root, installs a package."""
    ref = IMAGE_PREFIX + name + ":latest"
    assert podman("image", "exists", ref).returncode == 0, "%s is not built" % ref
    check = in_image(ref, "apt-get", "check", user="root")
    assert check.returncode == 0, "apt-get check fails in %s:\n%s%s" % (name, check.stdout, check.stderr)
    held = in_image(ref, "dpkg-query", "-W", "-f", "${db:Status-Abbrev}", APT_PACKAGE)
    assert not held.stdout.startswith("ii"), \
        "%s holds %s already: name another with TCIB_SMOKE_APT_PACKAGE" % (name, APT_PACKAGE)
    proxy, conf = apt_proxy
    proxy.allowed_hosts.update(http_hosts(ref))
    package = shlex.quote(APT_PACKAGE)
    install = in_image(ref, "sh", "-c",
                       "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q %s"
                       " && dpkg-query -W -f '${db:Status-Abbrev}' %s" % (package, package),
                       user="root", network="host", volumes=["%s:/etc/apt/apt.conf.d/00tcib-proxy:ro" % conf])
    assert install.returncode == 0 and install.stdout.endswith("ii "), \
        "apt-get install -y %s fails in %s:\n%s%s" % (APT_PACKAGE, name, install.stdout[-3000:],
                                                      install.stderr[-3000:])
