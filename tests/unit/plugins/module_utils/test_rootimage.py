from ansible_collections.tcib.images.plugins.module_utils import aptsources, rootimage
from ansible_collections.tcib.images.plugins.module_utils.digest import LABEL

SOURCES = aptsources.debian_sources("trixie", "http://deb.debian.org/debian", "http://deb.debian.org/debian-security")


class FakeBuilder(object):
    podman, buildah = "podman", "buildah"

    def __init__(self, holdings):
        self.holdings = holdings

    def installed_packages(self, info, keep_path=None):
        return self.holdings


def root(ref="localhost/tcib/debian:trixie", holdings=None, force=False, packages=("ca-certificates",)):
    settings = rootimage.RootSettings(ref, "trixie", SOURCES, list(packages), "/work", "/cache")
    builder = FakeBuilder({"libc6": "2.41-12"} if holdings is None else holdings)
    return rootimage.RootImage(settings, builder, run=None, force=force), settings


def image(settings, digest=None):
    return {"Id": "a" * 64, "Config": {"Labels": {LABEL: digest or settings.inputs_digest()}}}


def test_absent_current_and_updated_roots():
    current, settings = root()
    assert current.decide(None, {})[:2] == (True, "not built yet")
    assert current.decide(image(settings), {"libc6": "2.41-12"}) == (False, "up to date with its sources", [])
    needed, reason, pending = current.decide(image(settings), {"libc6": "2.41-12+deb13u1"})
    assert (needed, reason) == (True, "updates: libc6 2.41-12 -> 2.41-12+deb13u1")
    assert pending == [{"package": "libc6", "installed": "2.41-12", "candidate": "2.41-12+deb13u1"}]
    # Offline (no candidates): only the settings decide.
    assert current.decide(image(settings), None)[:2] == (False, "up to date with its sources")


def test_changed_sources_or_packages_rebuild():
    current, settings = root()
    more, more_settings = root(packages=("ca-certificates", "tzdata"))
    assert settings.inputs_digest() != more_settings.inputs_digest()
    assert more.decide(image(settings), {})[:2] == (True, "sources or packages changed")
    assert current.decide({"Id": "b" * 64}, {})[:2] == (True, "no inputs digest")
    assert root(force=True)[0].decide(image(settings), {})[:2] == (True, "forced")


def test_a_root_without_bill_is_rebuilt_only_when_updates_are_checked():
    bare, settings = root(holdings=None)
    bare.builder.holdings = None
    assert bare.decide(image(settings), {})[:2] == (True, "no bill of materials")
    assert bare.decide(image(settings), None)[:2] == (False, "up to date with its sources")


def test_other_roots_are_only_checked():
    pulled, settings = root(ref="registry.example.com/debian:13")
    assert not settings.managed
    needed, reason, pending = pulled.decide(image(settings), {"libc6": "2.41-13"})
    assert not needed and reason.startswith("not ours to rebuild") and pending


def test_mmdebstrap_command_uses_the_proxy_from_the_environment():
    _root, settings = root()
    argv = rootimage.mmdebstrap_command(settings, "/tmp/tcib.sources", "/tmp/rootfs.tar", 4321)
    assert argv[:3] == ["env", "http_proxy=http://127.0.0.1:4321/", "https_proxy="]
    assert argv[-3:] == ["trixie", "/tmp/rootfs.tar", "/tmp/tcib.sources"]
    assert not any("Proxy" in arg for arg in argv)
