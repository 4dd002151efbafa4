"""Updates from a real apt repository, end to end, without mocks.

The test makes Debian packages with dpkg-deb, indexes them with apt-ftparchive, signs the index with a
throwaway gpg key and serves the repository with python's http.server on 127.0.0.1. build.yml then builds
base -> os -> memcached on a root image of the test's own (``localhost/<namespace>/debian:trixie``, never
the shared ``localhost/tcib/debian:trixie``), with the repository as an ``apt_repositories`` entry, the
root image holding ``tcib-rootprobe`` and memcached ``tcib-probe`` (an ``extra_config`` image override).
Publishing a new version of a package then rebuilds exactly what holds it, and its descendants:

1. the first run builds everything; the packages are inside and every bill of materials validates against
   CycloneDX 1.6 with cyclonedx's own validator;
2. a second run changes nothing;
3. ``tcib-probe`` 1.1-1 rebuilds memcached only, saying ``updates: tcib-probe 1.0-1 -> 1.1-1``;
4. ``tcib-rootprobe`` 2.0-1 rebuilds the root image and so every image;
5. with the repository down, ``check_updates=false`` still runs (offline) and finds everything up to date,
   while the default check fails naming the source.

Sources that are wrongly signed, unreachable or unsigned fail before anything is built, naming the source;
one signed by a detached Release.gpg (no InRelease) is read, as apt reads it. The packages of the signed
repository are Architecture: all and listed in its binary-all Packages only, as apt reads many repositories
that are not Debian's (Debian's own layout is read by every run).

Debian's own sources are read too: an update Debian publishes for a package of the root image while the
test runs (a few minutes) rebuilds more than the test expects, and fails it.
"""

import json
import lzma
import os
import shutil
import socket
import subprocess
import textwrap
import threading
import time
import uuid
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from conftest import REPO, TEST_NAMESPACE, ansible_playbook, images_named, podman, recap

NAMESPACE = "%s-updates" % TEST_NAMESPACE
ROOT = "localhost/%s/debian:trixie" % NAMESPACE
LEAF = "localhost/%s/openstack-memcached:latest" % NAMESPACE
CHAIN = ("base", "os", "memcached")
SUITE = "tcib-updates"
# Tools the test needs on the host, beside what build.yml installs (`make integration` installs them too).
TOOLS = {"apt-ftparchive": "apt-utils", "gpg": "gnupg", "dpkg-deb": "dpkg"}
# Reproducible .deb files: a version is the same bytes in every run of the test (the package proxy keeps
# pool/ files by their URL, as Debian never changes a file there).
SOURCE_DATE_EPOCH = "1700000000"


@pytest.fixture(scope="module", autouse=True)
def tools():
    missing = sorted(set(package for command, package in TOOLS.items() if not shutil.which(command)))
    if missing:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for argv in (["apt-get", "update", "-q"],
                     ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing):
            subprocess.run(argv + ["-o", "DPkg::Lock::Timeout=600"], env=env, check=True, capture_output=True,
                           timeout=1200)


def run(argv, **kwargs):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, **kwargs)
    assert done.returncode == 0, "%s failed: %s%s" % (" ".join(argv), done.stdout, done.stderr)
    return done.stdout


class Keyring(object):
    """A throwaway gpg home with one signing key without passphrase; ``public`` is its exported key."""

    def __init__(self, directory, name):
        self.home = directory / "gnupg"
        self.home.mkdir(parents=True, mode=0o700)
        self.env = dict(os.environ, GNUPGHOME=str(self.home))
        run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "%s <%s@example.invalid>" % (name, name),
             "default", "sign", "never"], env=self.env)
        self.public = directory / ("%s.asc" % name)
        self.public.write_text(run(["gpg", "--armor", "--export"], env=self.env))
        listing = run(["gpg", "--with-colons", "--fingerprint"], env=self.env).splitlines()
        self.fingerprint = [line.split(":")[9] for line in listing if line.startswith("fpr:")][0]

    def sign(self, release, detached=False):
        """InRelease beside a Release, or its detached signature Release.gpg (as older repositories have)."""
        if detached:
            target, how = release.with_name("Release.gpg"), "--detach-sign"
        else:
            target, how = release.with_name("InRelease"), "--clearsign"
        run(["gpg", "--batch", "--yes", "--armor", how, "--output", str(target), str(release)], env=self.env)

    def close(self):
        # gpg started an agent for this home: it goes with it.
        subprocess.run(["gpgconf", "--kill", "all"], env=self.env, capture_output=True, check=False, timeout=60)


class Repository(object):
    """A dists/ apt repository of one suite and component, under ``root``; ``url`` once served.

    With ``binary_all``, its Architecture: all packages are only in binary-all/Packages (the Release lists
    ``all``; the host architecture's Packages is empty), as apt reads many repositories that are not
    Debian's; else they are in the host architecture's Packages, as in Debian's archive."""

    def __init__(self, root, keyring=None, binary_all=False, detached=False):
        self.root = root
        self.keyring = keyring
        self.binary_all = binary_all
        self.detached = detached
        self.arch = run(["dpkg", "--print-architecture"]).strip()
        self.url = None
        (root / "pool" / "main").mkdir(parents=True)

    def publish(self, name, version):
        """Build ``name`` ``version`` (installing /usr/share/NAME/version), add it to the pool, re-index and
        re-sign."""
        package = self.root.parent / ("build-%s-%s" % (name, version))
        (package / "DEBIAN").mkdir(parents=True)
        (package / "usr" / "share" / name).mkdir(parents=True)
        (package / "usr" / "share" / name / "version").write_text(version + "\n")
        (package / "DEBIAN" / "control").write_text(textwrap.dedent("""\
            Package: %s
            Version: %s
            Architecture: all
            Maintainer: tcib.images tests <tests@example.invalid>
            Section: misc
            Priority: optional
            Description: probe of the update tests
             Installs /usr/share/%s/version, holding its version.
            """ % (name, version, name)))
        deb = self.root / "pool" / "main" / ("%s_%s_all.deb" % (name, version))
        run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(package), str(deb)],
            env=dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH))
        shutil.rmtree(package)
        self.index()

    def index(self):
        dists = self.root / "dists" / SUITE
        if dists.exists():
            shutil.rmtree(dists)
        packages = run(["apt-ftparchive", "packages", "pool"], cwd=self.root).encode("utf-8")
        indices = {self.arch: b"", "all": packages} if self.binary_all else {self.arch: packages}
        for arch, text in indices.items():
            binary = dists / "main" / ("binary-%s" % arch)
            binary.mkdir(parents=True)
            (binary / "Packages").write_bytes(text)
            (binary / "Packages.xz").write_bytes(lzma.compress(text))
        release = run(["apt-ftparchive", "-o", "APT::FTPArchive::Release::Suite=%s" % SUITE,
                       "-o", "APT::FTPArchive::Release::Codename=%s" % SUITE,
                       "-o", "APT::FTPArchive::Release::Components=main",
                       "-o", "APT::FTPArchive::Release::Architectures=%s" % " ".join(indices),
                       "release", "."], cwd=dists)
        (dists / "Release").write_text(release)
        if self.keyring:
            self.keyring.sign(dists / "Release", self.detached)

    def setting(self, name, signed_by):
        return {"name": name, "uris": self.url, "suites": [SUITE], "components": ["main"],
                "signed_by": str(signed_by)}


class Server(object):
    """python's http.server on 127.0.0.1 (a free port), in a thread of the test process."""

    def __init__(self, directory):
        self.directory = directory
        self.port = 0
        self.httpd = self.thread = None
        self.start()

    def start(self):
        """Listen (again: on the same port, so that the sources stay the same)."""
        handler = partial(QuietHandler, directory=str(self.directory))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="tcib-test-apt-repository", daemon=True)
        self.thread.start()

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=10)
            self.httpd = None


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


def closed_port():
    """A port of 127.0.0.1 nothing listens on (bound then released: the kernel gives it out again late)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def apt(tmp_path_factory):
    """The signed repository ``good`` (tcib-probe 1.0-1, tcib-rootprobe 1.0-1), an unsigned one, and a key
    that signs neither, served by one server; each test run gets a path of its own under it."""
    top = tmp_path_factory.mktemp("apt")
    keyring, stranger = Keyring(top / "keys", "tcib-updates"), Keyring(top / "stranger", "stranger")
    www = top / "www"
    run_path = uuid.uuid4().hex[:12]
    good = Repository(www / run_path / "good", keyring, binary_all=True)
    unsigned = Repository(www / run_path / "unsigned")
    detached = Repository(www / run_path / "detached", keyring, detached=True)
    good.publish("tcib-probe", "1.0-1")
    good.publish("tcib-rootprobe", "1.0-1")
    unsigned.publish("tcib-probe", "1.0-1")
    detached.publish("tcib-probe", "1.0-1")
    server = Server(www)
    for repository in (good, unsigned, detached):
        repository.url = "http://127.0.0.1:%d/%s/%s" % (server.port, run_path, repository.root.name)
    yield {"good": good, "unsigned": unsigned, "detached": detached, "key": keyring.public, "fingerprint": keyring.fingerprint,
           "stranger": stranger.public, "server": server}
    server.stop()
    keyring.close()
    stranger.close()


def remove_namespace(namespace):
    """Images of ``namespace`` (the root image too) and containers left from them."""
    listing = podman("ps", "--all", "--format", "{{.ID}} {{.Image}}", check=False).stdout.splitlines()
    for line in listing:
        container, _space, image = line.partition(" ")
        if image.startswith("localhost/%s/" % namespace):
            podman("rm", "-f", container, check=False)
    listing = subprocess.run(["buildah", "containers", "--format", "{{.ContainerID}} {{.ImageName}}"],
                             capture_output=True, text=True, check=False, timeout=120).stdout.splitlines()
    for line in listing:
        container, _space, image = line.partition(" ")
        if image.startswith("localhost/%s/" % namespace):
            subprocess.run(["buildah", "rm", container], capture_output=True, check=False, timeout=120)
    for ref in images_named("localhost/%s/" % namespace):
        podman("rmi", "-f", ref, check=False)


@pytest.fixture(scope="module")
def namespace():
    remove_namespace(NAMESPACE)
    yield NAMESPACE
    remove_namespace(NAMESPACE)


def flat(text):
    return " ".join(text.split())


class Runs(object):
    """build.yml on base -> os -> memcached, in one work_dir, with the namespace's own root image."""

    def __init__(self, work_dir, namespace, repositories, extra_config):
        self.work_dir = work_dir
        self.namespace = namespace
        self.repositories = repositories
        self.extra_config = extra_config
        self.seconds = {}

    def __call__(self, label, *extra, check=False):
        started = time.time()
        result = ansible_playbook(
            REPO / "build.yml", "service=memcached", "work_dir=%s" % self.work_dir,
            "image_namespace=%s" % self.namespace, "base_image=localhost/%s/debian:trixie" % self.namespace,
            "extra_config=%s" % self.extra_config,
            {"apt_repositories": self.repositories, "base_image_packages": ["ca-certificates", "tcib-rootprobe"]},
            *extra, check=check)
        self.seconds[label] = round(time.time() - started)
        summary_path = self.work_dir / "summary.json"
        # Only this run's summary: a run that fails before building leaves the previous one.
        written = summary_path.exists() and summary_path.stat().st_mtime >= started
        summary = json.loads(summary_path.read_text()) if written else {"images": []}
        result.images = dict((item["name"], item) for item in summary["images"])
        result.statuses = dict((name, item["status"]) for name, item in result.images.items())
        result.text = flat(result.stdout + result.stderr)
        return result


def image_id(ref):
    return podman("image", "inspect", "--format", "{{.Id}}", ref).stdout.strip()


def ids(namespace):
    return dict((ref, image_id(ref)) for ref in images_named("localhost/%s/" % namespace))


def in_image(ref, *argv):
    return podman("run", "--rm", "--user", "root", "--entrypoint", "", ref, *argv).stdout


def sbom_path(work_dir, name):
    relpath = {"base": "base", "os": "base/os", "memcached": "base/os/memcached"}[name]
    return work_dir / relpath / ("%s.sbom.json" % name)


def packages_of(path):
    """{package: version} of a bill of materials, after validating it against CycloneDX 1.6."""
    text = path.read_text()
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, "%s is not valid CycloneDX 1.6: %s" % (path, str(error)[:2000])
    data = json.loads(text)
    assert data["specVersion"] == "1.6"
    return dict((item["name"], item["version"]) for item in data["components"] if item["type"] == "library")


def assert_ok(result):
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_updates_rebuild_exactly_what_holds_the_package(apt, namespace, tmp_path):
    good = apt["good"]
    extra_config = tmp_path / "site.yaml"
    extra_config.write_text("image_overrides:\n  memcached:\n    packages_append: [tcib-probe]\n")
    work_dir = tmp_path / "work"
    build = Runs(work_dir, namespace, [good.setting("tcibtest", apt["key"])], extra_config)
    root_sbom = work_dir / "debian-trixie.sbom.json"

    # 1. Everything is built: the root image from the mirror and the repository, then the chain.
    result = build("first")
    assert_ok(result)
    assert "%s built: not built yet" % ROOT in result.text
    assert result.statuses == dict((name, "built") for name in CHAIN), result.stdout[-3000:]
    assert in_image(LEAF, "cat", "/usr/share/tcib-probe/version").strip() == "1.0-1"
    assert in_image(LEAF, "cat", "/usr/share/tcib-rootprobe/version").strip() == "1.0-1"
    assert packages_of(root_sbom)["tcib-rootprobe"] == "1.0-1"
    assert "tcib-probe" not in packages_of(root_sbom)
    for name in ("base", "os"):
        assert packages_of(sbom_path(work_dir, name))["tcib-rootprobe"] == "1.0-1"
        assert "tcib-probe" not in packages_of(sbom_path(work_dir, name))
    leaf_packages = packages_of(sbom_path(work_dir, "memcached"))
    assert leaf_packages["tcib-probe"] == "1.0-1" and leaf_packages["tcib-rootprobe"] == "1.0-1"
    # The image's own bill of materials is the one kept in the work_dir; it names the image, its label the
    # document.
    inside = json.loads(in_image(LEAF, "cat", "/usr/share/tcib/sbom.cdx.json"))
    assert inside == json.loads(sbom_path(work_dir, "memcached").read_text())
    assert inside["metadata"]["component"]["name"] == LEAF.rsplit(":", 1)[0]
    labels = json.loads(podman("image", "inspect", "--format", "{{json .Labels}}", LEAF).stdout)
    assert labels["tcib.images.sbom.serial"] == inside["serialNumber"]
    assert labels["tcib.images.sbom.path"] == "/usr/share/tcib/sbom.cdx.json"
    # The sources, with the repository's key inline, are in the images for apt.
    sources = in_image(LEAF, "cat", "/etc/apt/sources.list.d/0000tcib.sources")
    assert good.url in sources and "Signed-By:" in sources
    before = ids(namespace)
    assert ROOT in before and "localhost/tcib/debian:trixie" not in before

    # 2. Nothing changed: nothing is rebuilt, nothing reports a change.
    result = build("no change")
    assert_ok(result)
    assert result.statuses == dict((name, "up to date") for name in CHAIN), result.stdout[-3000:]
    assert recap(result.stdout)["changed"] == 0
    assert ids(namespace) == before

    # 3. A new version of a package of the leaf rebuilds the leaf only. A check run lists it first.
    good.publish("tcib-probe", "1.1-1")
    result = build("check", check=True)
    assert_ok(result)
    plan = dict((item["name"], item) for item in json.loads((work_dir / "check-plan.json").read_text())["images"])
    assert dict((name, plan[name]["status"]) for name in CHAIN) == {
        "base": "up to date", "os": "up to date", "memcached": "would build"}
    assert plan["memcached"]["reason"] == "updates: tcib-probe 1.0-1 -> 1.1-1"
    assert plan["memcached"]["pending_updates"] == [
        {"package": "tcib-probe", "installed": "1.0-1", "candidate": "1.1-1"}]
    assert ids(namespace) == before
    result = build("leaf update")
    assert_ok(result)
    assert result.statuses == {"base": "up to date", "os": "up to date", "memcached": "built"}, result.stdout[-3000:]
    assert result.images["memcached"]["reason"] == "updates: tcib-probe 1.0-1 -> 1.1-1"
    assert result.images["memcached"]["pending_updates"] == [
        {"package": "tcib-probe", "installed": "1.0-1", "candidate": "1.1-1"}]
    assert "updates: tcib-probe 1.0-1 -> 1.1-1" in result.text
    assert in_image(LEAF, "cat", "/usr/share/tcib-probe/version").strip() == "1.1-1"
    assert packages_of(sbom_path(work_dir, "memcached"))["tcib-probe"] == "1.1-1"
    after = ids(namespace)
    assert after[LEAF] != before[LEAF]
    assert dict((ref, value) for ref, value in after.items() if ref != LEAF) == \
        dict((ref, value) for ref, value in before.items() if ref != LEAF)

    # 4. A new version of a package of the root image rebuilds the root, and so every image.
    good.publish("tcib-rootprobe", "2.0-1")
    result = build("root update")
    assert_ok(result)
    assert result.statuses == dict((name, "built") for name in CHAIN), result.stdout[-3000:]
    # Their inputs digest holds their parent's image id.
    assert dict((name, result.images[name]["reason"]) for name in CHAIN) == dict(
        (name, "inputs changed") for name in CHAIN)
    assert "%s built: updates: tcib-rootprobe 1.0-1 -> 2.0-1" % ROOT in result.text
    index = json.loads((work_dir / "package-index.json").read_text())
    assert index["root"]["image"] == ROOT
    assert index["root"]["pending_updates"] == [
        {"package": "tcib-rootprobe", "installed": "1.0-1", "candidate": "2.0-1"}]
    assert packages_of(root_sbom)["tcib-rootprobe"] == "2.0-1"
    rebuilt = ids(namespace)
    assert all(rebuilt[ref] != after[ref] for ref in after), (after, rebuilt)
    assert in_image(LEAF, "cat", "/usr/share/tcib-rootprobe/version").strip() == "2.0-1"
    assert in_image(LEAF, "cat", "/usr/share/tcib-probe/version").strip() == "1.1-1"
    for name in CHAIN:
        assert packages_of(sbom_path(work_dir, name))["tcib-rootprobe"] == "2.0-1"

    # 5. The repository goes away (its server restarts afterwards, on the same port, for the other tests).
    apt["server"].stop()
    try:
        offline(build, good, namespace, rebuilt)
    finally:
        apt["server"].start()
    print("\nbuild.yml runs (s): %s" % build.seconds)


def offline(build, good, namespace, rebuilt):
    """With the repository server stopped: the update check fails, naming the source, and builds nothing;
    an offline run (check_updates=false) finds everything up to date."""
    result = build("source down")
    assert result.returncode != 0
    assert "apt source 'tcibtest' (%s %s): unreachable" % (good.url, SUITE) in result.text, result.text[-3000:]
    assert result.statuses == {}
    assert ids(namespace) == rebuilt
    result = build("offline", "check_updates=false")
    assert_ok(result)
    assert result.statuses == dict((name, "up to date") for name in CHAIN), result.stdout[-3000:]
    assert recap(result.stdout)["changed"] == 0
    assert ids(namespace) == rebuilt


BAD_NAMESPACE = "%s-updates-bad" % TEST_NAMESPACE
BAD_PREFIX = "bad-source"


def bad_source_leftovers():
    """Images (final or temporary) and buildah containers of the bad-source runs: none may exist."""
    images = podman("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    containers = subprocess.run(["buildah", "containers", "--format", "{{.ContainerName}} {{.ImageName}}"],
                                capture_output=True, text=True, check=True, timeout=120).stdout.splitlines()
    return ([name for name in images if BAD_NAMESPACE in name or "/%s-" % BAD_PREFIX in name]
            + [line for line in containers if BAD_NAMESPACE in line or "%s-" % BAD_PREFIX in line])


@pytest.mark.parametrize("case", ["wrong key", "unreachable", "unsigned"])
def test_bad_source_fails_before_anything_is_built_naming_it(apt, case, tmp_path):
    good, unsigned = apt["good"], apt["unsigned"]
    also = ""
    if case == "wrong key":
        repository = good.setting("wrongkey", apt["stranger"])
        # It names the key that signed it, which the user can then ask for.
        expected = "apt source 'wrongkey' (%s %s): InRelease is not signed by its signed_by key (it is signed " \
            "with " % (good.url, SUITE)
        also = " key %s; gpgv: Can't check signature: No public key)" % apt["fingerprint"]
    elif case == "unreachable":
        repository = dict(good.setting("gone", apt["key"]), uris="http://127.0.0.1:%d/debian" % closed_port())
        expected = "apt source 'gone' (%s %s): unreachable: cannot fetch %s/dists/%s/InRelease" % (
            repository["uris"], SUITE, repository["uris"], SUITE)
    else:
        repository = unsigned.setting("unsigned", apt["key"])
        expected = "apt source 'unsigned' (%s %s): cannot fetch %s/dists/%s/InRelease: 404" % (
            unsigned.url, SUITE, unsigned.url, SUITE)
        also = "nor %s/dists/%s/Release.gpg: 404 File not found (an unsigned repository, or a wrong suite?)" % (
            unsigned.url, SUITE)
    assert not bad_source_leftovers()
    result = ansible_playbook(
        REPO / "build.yml", "service=memcached", "work_dir=%s" % (tmp_path / "work"),
        "image_namespace=%s" % BAD_NAMESPACE, "prefix=%s" % BAD_PREFIX,
        "base_image=localhost/%s/debian:trixie" % BAD_NAMESPACE, {"apt_repositories": [repository]},
        timeout=600)
    text = flat(result.stdout + result.stderr)
    assert result.returncode != 0, text[-3000:]
    assert expected in text and also in text, text[-3000:]
    assert "Traceback" not in text
    assert not (tmp_path / "work" / "summary.json").exists()
    assert not bad_source_leftovers()


def test_a_repository_signed_by_release_gpg_alone_is_read(apt, tmp_path):
    """No InRelease, a Release signed by Release.gpg: apt reads such a repository, and so does the check."""
    detached = apt["detached"]
    work_dir = tmp_path / "work"
    result = ansible_playbook(
        REPO / "build.yml", "service=memcached", "work_dir=%s" % work_dir, "image_namespace=%s" % BAD_NAMESPACE,
        "prefix=%s" % BAD_PREFIX, "base_image=localhost/%s/debian:trixie" % BAD_NAMESPACE,
        {"apt_repositories": [detached.setting("detached", apt["key"])]}, check=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    index = json.loads((work_dir / "package-index.json").read_text())
    assert {"source": "detached", "suite": SUITE} in [
        {"source": item["source"], "suite": item["suite"]} for item in index["releases"]]
    assert index["candidates"]["tcib-probe"] == "1.0-1"
    assert not bad_source_leftovers()
