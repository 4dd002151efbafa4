import pytest

from ansible_collections.tcib.images.plugins.module_utils import aptsources
from ansible_collections.tcib.images.plugins.module_utils.aptsources import SourceError

KEY = bytes(range(256)) * 3


def repo(**changes):
    item = {"name": "osbpo", "uris": "http://osbpo.example.org/debian", "suites": ["trixie-backports"],
            "components": ["main"], "signed_by": "/keys/osbpo.asc"}
    item.update(changes)
    return item


def read(path):
    if path == "/keys/osbpo.asc":
        return aptsources.armor(KEY).encode("ascii")
    raise IOError(2, "No such file or directory")


def test_armor_round_trip_and_binary_keys_pass_through():
    text = aptsources.armor(KEY)
    assert text.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n")
    assert aptsources.dearmor(text.encode("ascii")) == KEY
    with_header = text.replace("\n\n", "\nComment: test key\n\n", 1)
    assert aptsources.dearmor(with_header.encode("ascii")) == KEY
    assert aptsources.dearmor(KEY) == KEY


def test_crc24_of_rfc4880():
    # CRC-24 of the empty string is its initial value.
    assert aptsources._crc24(b"") == 0xB704CE


def test_debian_sources():
    debian, security = aptsources.debian_sources("trixie", "http://deb.debian.org/debian/",
                                                 "http://deb.debian.org/debian-security")
    assert (debian.uri, debian.suites, debian.components) == ("http://deb.debian.org/debian",
                                                              ["trixie", "trixie-updates"], ["main"])
    assert security.suites == ["trixie-security"] and security.key is None


def test_repository_with_its_key():
    [source] = aptsources.parse_repositories([repo(suites="a b")], read)
    assert (source.name, source.suites, source.key) == ("osbpo", ["a", "b"], KEY)


@pytest.mark.parametrize("item, message", [
    (repo(name="Bad Name"), "apt_repositories[0] (Bad Name): name must be"),
    (repo(name="debian"), "not a name of Debian's own sources"),
    (repo(uris="ftp://x"), "uris must be one http:// or https:// URI"),
    (repo(uris="http://127.0.0.1:abc/debian"), "apt_repositories[0] (osbpo): uris must be one http:// or https:// URI"),
    (repo(uris="http://mirror:70000/debian"), "uris must be one http:// or https:// URI"),
    (repo(suites=[]), "suites must be a list of words, not empty"),
    (repo(suites=["trixie/"]), "suites: flat repositories"),
    (repo(components=["main;rm"]), "'main;rm' is not a suite or component name"),
    (repo(signed_by=None), "signed_by must name the file of the repository's signing key"),
    (repo(signed_by="/keys/missing.asc"), "signed_by: cannot read /keys/missing.asc"),
    (repo(keyring="x"), "unknown key keyring"),
    ("osbpo", "apt_repositories[0] must be a mapping"),
])
def test_bad_repositories_name_the_entry_and_key(item, message):
    with pytest.raises(SourceError) as caught:
        aptsources.parse_repositories([item], read)
    assert message in str(caught.value)


def test_names_are_unique_and_the_setting_a_list():
    with pytest.raises(SourceError, match="another repository has this name"):
        aptsources.parse_repositories([repo(), repo()], read)
    with pytest.raises(SourceError, match="must be a list"):
        aptsources.parse_repositories({"name": "x"}, read)
    assert aptsources.parse_repositories(None, read) == []


def test_sources_text_inlines_the_key_and_proxy_hosts():
    sources = aptsources.debian_sources("trixie", "http://deb.debian.org/debian", "https://security.example/ds")
    sources += aptsources.parse_repositories([repo()], read)
    text = aptsources.sources_text(sources)
    assert "URIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\nComponents: main\n" in text
    assert "Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n" in text
    assert text.count("Types: deb") == 3
    # https is fetched directly: only http hosts go through the proxy.
    assert aptsources.proxy_hosts(sources) == ["deb.debian.org", "osbpo.example.org"]


def test_fingerprint_follows_sources_and_keys():
    first = aptsources.parse_repositories([repo()], read)
    other = aptsources.parse_repositories([repo()], lambda path: KEY[:-1])
    assert aptsources.fingerprint(first) == aptsources.fingerprint(aptsources.parse_repositories([repo()], read))
    assert aptsources.fingerprint(first) != aptsources.fingerprint(other)
