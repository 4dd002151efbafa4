import gzip
import hashlib
import lzma

import pytest

from ansible_collections.tcib.images.plugins.module_utils import aptindex
from ansible_collections.tcib.images.plugins.module_utils.aptsources import Source, SourceError

PACKAGES = """Package: libssl3t64
Version: 3.5.1-1
Architecture: amd64

Package: libssl3t64
Version: 3.5.1-1+deb13u1
Architecture: amd64

Package: keystone
Version: 2:27.0.0-3
Architecture: all
Description: x
 continued
"""


def release(files, extra=""):
    lines = ["Origin: Debian", "Suite: stable", extra, "SHA256:"]
    lines += [" %s %d %s" % (hashlib.sha256(data).hexdigest(), len(data), path) for path, data in files.items()]
    return "\n".join(line for line in lines if line) + "\n"


class Archive(object):
    """URLs to bytes; a fake gpgv that 'verifies' what starts with SIGNED."""

    def __init__(self, urls):
        self.urls = urls
        self.fetched = []

    def get(self, url):
        self.fetched.append(url)
        if url not in self.urls:
            raise aptindex.HTTPError(url, 404, "Not Found", {}, None)
        return self.urls[url]

    def run(self, argv):
        with open(argv[-1], "rb") as handle:
            data = handle.read()
        if "--output" not in argv:
            # A detached signature (Release.gpg, then Release): good when it is DETACHED and the data's hash.
            with open(argv[-2], "rb") as handle:
                if handle.read() == detached(data):
                    return 0, "", ""
            return 1, "", "gpgv: BAD signature from \"someone else\""
        if not data.startswith(b"SIGNED\n"):
            return 2, "", "gpgv: Can't check signature: No public key"
        return 0, data[len(b"SIGNED\n"):].decode(), ""


def detached(data):
    return b"DETACHED " + hashlib.sha256(data).hexdigest().encode()


def archive(suite_files, by_hash=False, extra=""):
    urls = {}
    for suite, files in suite_files.items():
        base = "http://mirror/debian/dists/%s/" % suite
        urls[base + "InRelease"] = b"SIGNED\n" + release(files, extra).encode()
        for path, data in files.items():
            if by_hash:
                directory = path.rsplit("/", 1)[0]
                urls[base + "%s/by-hash/SHA256/%s" % (directory, hashlib.sha256(data).hexdigest())] = data
            else:
                urls[base + path] = data
    return Archive(urls)


def reader(fake, tmp_path, suites=("trixie",)):
    source = Source("debian", "http://mirror/debian", list(suites), ["main"])
    return aptindex.IndexReader(fake.run, [source], fake, str(tmp_path / "indices"), arch="amd64")


def test_parse_packages_keeps_the_highest_version():
    assert aptindex.parse_packages(PACKAGES) == {"libssl3t64": "3.5.1-1+deb13u1", "keystone": "2:27.0.0-3"}


def test_candidates_across_suites_with_compressed_and_by_hash_indices(tmp_path):
    fake = archive({"trixie": {"main/binary-amd64/Packages.xz": lzma.compress(b"Package: a\nVersion: 1.0-1\n")},
                    "trixie-updates": {"main/binary-amd64/Packages.gz": gzip.compress(b"Package: a\nVersion: 1.0-1+deb13u1\n")}},
                   by_hash=True, extra="Acquire-By-Hash: yes")
    index = reader(fake, tmp_path, ["trixie", "trixie-updates"]).read()
    assert index["candidates"] == {"a": "1.0-1+deb13u1"}
    assert any("/by-hash/SHA256/" in url for url in fake.fetched)
    # Parsed indices are kept under their hash: a second read fetches only the InRelease files.
    fake.fetched = []
    assert reader(fake, tmp_path, ["trixie", "trixie-updates"]).read()["candidates"] == {"a": "1.0-1+deb13u1"}
    assert all(url.endswith("/InRelease") for url in fake.fetched)


def test_not_automatic_suites_give_no_candidates(tmp_path):
    fake = archive({"trixie-backports": {"main/binary-amd64/Packages": b"Package: a\nVersion: 9\n"}},
                   extra="NotAutomatic: yes")
    index = reader(fake, tmp_path, ["trixie-backports"]).read()
    assert index["candidates"] == {} and index["releases"][0]["automatic"] is False


def test_bad_sources_name_the_source(tmp_path):
    unsigned = archive({"trixie": {"main/binary-amd64/Packages": b""}})
    unsigned.urls["http://mirror/debian/dists/trixie/InRelease"] = b"Origin: x\n"
    with pytest.raises(SourceError, match=r"apt source 'debian' \(http://mirror/debian trixie\): InRelease is not signed "
                                          r"by Debian's archive keyring \(gpgv: Can't check signature: No public key\)$"):
        reader(unsigned, tmp_path).read()
    with pytest.raises(SourceError, match="cannot fetch .*/dists/sid/InRelease: 404 Not Found"):
        reader(archive({}), tmp_path, ["sid"]).read()
    corrupt = archive({"trixie": {"main/binary-amd64/Packages": b"Package: a\nVersion: 1\n"}})
    corrupt.urls["http://mirror/debian/dists/trixie/main/binary-amd64/Packages"] = b"tampered"
    with pytest.raises(SourceError, match="does not match the SHA256"):
        reader(corrupt, tmp_path).read()
    with pytest.raises(SourceError, match="has no component main for amd64"):
        reader(archive({"trixie": {"contrib/binary-amd64/Packages": b""}}), tmp_path).read()


def test_architecture_all_packages_in_binary_all_are_candidates(tmp_path):
    # Many repositories (not Debian's) keep Architecture: all packages only in binary-all/Packages; apt reads
    # it when the Release lists "all" among its Architectures, and so does the update check.
    only_all = archive({"tcib": {"main/binary-all/Packages": b"Package: probe\nVersion: 1.1-1\n"}},
                       extra="Architectures: amd64 all")
    assert reader(only_all, tmp_path, ["tcib"]).read()["candidates"] == {"probe": "1.1-1"}
    # An empty binary-amd64 beside it hid the update (no error, no candidate): both are read, the highest wins.
    both = archive({"tcib": {"main/binary-amd64/Packages": b"Package: tool\nVersion: 2\n\nPackage: probe\nVersion: 1\n",
                             "main/binary-all/Packages.xz": lzma.compress(b"Package: probe\nVersion: 1.1-1\n")}},
                   by_hash=True, extra="Acquire-By-Hash: yes\nArchitectures: amd64 all")
    assert reader(both, tmp_path, ["tcib"]).read()["candidates"] == {"tool": "2", "probe": "1.1-1"}
    assert any("/main/binary-all/by-hash/SHA256/" in url for url in both.fetched)


def test_binary_all_is_not_read_where_apt_does_not_read_it(tmp_path):
    # Debian's archive: binary-all exists, but its packages are in each architecture's Packages too.
    files = {"main/binary-amd64/Packages": b"Package: a\nVersion: 1\n",
             "main/binary-all/Packages": b"Package: a\nVersion: 2\n"}
    debian = archive({"trixie": files}, extra="Architectures: all amd64\nNo-Support-for-Architecture-all: Packages")
    assert reader(debian, tmp_path).read()["candidates"] == {"a": "1"}
    assert not any("binary-all" in url for url in debian.fetched)
    # A Release that does not list "all": only the host's architecture.
    assert reader(archive({"trixie": files}, extra="Architectures: amd64"), tmp_path).read()["candidates"] == {"a": "1"}
    with pytest.raises(SourceError, match=r"has no component main for amd64 or all \(its InRelease lists no "
                                          r"main/binary-amd64/Packages or main/binary-all/Packages\)"):
        reader(archive({"trixie": {"contrib/binary-all/Packages": b""}}, extra="Architectures: amd64 all"),
               tmp_path).read()


def test_release_with_a_detached_signature_where_there_is_no_inrelease(tmp_path):
    # Older repositories have no InRelease: apt reads their Release, signed by Release.gpg, and so does this.
    fake = archive({"tcib": {"main/binary-amd64/Packages": b"Package: a\nVersion: 2\n"}})
    base = "http://mirror/debian/dists/tcib/"
    text = fake.urls.pop(base + "InRelease")[len(b"SIGNED\n"):]
    fake.urls[base + "Release"], fake.urls[base + "Release.gpg"] = text, detached(text)
    assert reader(fake, tmp_path, ["tcib"]).read()["candidates"] == {"a": "2"}
    # A signature of something else, or by another key, is refused naming the source.
    fake.urls[base + "Release.gpg"] = detached(b"another Release")
    with pytest.raises(SourceError, match=r"apt source 'debian' \(http://mirror/debian tcib\): Release.gpg is not a "
                                          r"signature of its Release by Debian's archive keyring \(gpgv: BAD"):
        reader(fake, tmp_path, ["tcib"]).read()
    # Neither InRelease nor Release.gpg: unsigned.
    del fake.urls[base + "Release.gpg"]
    with pytest.raises(SourceError) as caught:
        reader(fake, tmp_path, ["tcib"]).read()
    assert str(caught.value) == (
        "apt source 'debian' (http://mirror/debian tcib): cannot fetch %sInRelease: 404 Not Found, nor "
        "%sRelease.gpg: 404 Not Found (an unsigned repository, or a wrong suite?)" % (base, base))


def test_an_inrelease_the_server_fails_to_give_is_not_replaced_by_release_gpg(tmp_path):
    class Failing(Archive):
        def get(self, url):
            self.fetched.append(url)
            raise aptindex.HTTPError(url, 500, "Internal Server Error", {}, None)
    fake = Failing({})
    with pytest.raises(SourceError, match=r"cannot fetch http://mirror/debian/dists/trixie/InRelease: 500 Internal"):
        reader(fake, tmp_path).read()
    assert fake.fetched == ["http://mirror/debian/dists/trixie/InRelease"]


def test_a_signature_of_another_key_names_that_key():
    err = ("gpgv: Signature made Thu Dec  3 06:15:22 2026 UTC\n"
           "gpgv:                using RSA key 192E986536E5D1865D1169EB88B36B4B640A3B34\n"
           "gpgv: Can't check signature: No public key\n")
    assert aptindex.gpgv_failure(err, 2) == ("it is signed with RSA key 192E986536E5D1865D1169EB88B36B4B640A3B34; "
                                             "gpgv: Can't check signature: No public key")
    assert aptindex.gpgv_failure("gpgv: no signature found\n", 2) == "gpgv: no signature found"
    assert aptindex.gpgv_failure("", 2) == "gpgv: exit code 2"


def test_unreachable_source(tmp_path):
    class Down(Archive):
        def get(self, url):
            raise aptindex.URLError("[Errno 111] Connection refused")
    with pytest.raises(SourceError, match="unreachable: cannot fetch .*Connection refused"):
        reader(Down({}), tmp_path).read()


def test_pending_updates_and_their_description():
    installed = {"libssl3t64": "3.5.1-1", "keystone": "2:27.0.0-3", "local-only": "1.0",
                 "python3-pydot": "999:0-tcib.stub"}
    candidates = {"libssl3t64": "3.5.1-1+deb13u1", "keystone": "2:27.0.0-3", "python3-pydot": "3.0.4-1"}
    pending = aptindex.pending_updates(installed, candidates)
    assert pending == [{"package": "libssl3t64", "installed": "3.5.1-1", "candidate": "3.5.1-1+deb13u1"}]
    assert aptindex.describe_pending(pending) == "libssl3t64 3.5.1-1 -> 3.5.1-1+deb13u1"
    many = [{"package": "p%d" % i, "installed": "1", "candidate": "2"} for i in range(6)]
    assert aptindex.describe_pending(many, limit=2) == "p0 1 -> 2, p1 1 -> 2, and 4 more"


def test_release_fields():
    fields = aptindex.parse_fields("Origin: Debian\nSHA256:\n abc 12 main/x\n def 3 main/y\n\nIgnored: yes\n")
    assert fields["Origin"] == "Debian" and "Ignored" not in fields
    assert aptindex.release_files(fields) == {"main/x": ("abc", 12), "main/y": ("def", 3)}
