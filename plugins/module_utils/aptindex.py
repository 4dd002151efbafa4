# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the package indices of the configured apt sources: what version of each package apt
would install today (its candidate).

Each suite's ``InRelease`` is fetched once per run through the package proxy and verified
with gpgv against the source's key; only the signed text is trusted. A suite without one is
read, as apt reads it, from its ``Release`` and that file's detached signature
``Release.gpg``. The ``Packages`` files it lists are fetched (by hash where the archive offers it), checked against their
SHA256 and parsed once: the parsed index is kept under its hash, so a run where nothing
changed reads three small files and some JSON. As apt does, a suite whose Release lists
``all`` among its Architectures has its ``binary-all`` Packages read too (unless it says
``No-Support-for-Architecture-all: Packages``). As apt does with default pins, the
candidate is the highest version any source offers; suites marked ``NotAutomatic``
without ``ButAutomaticUpgrades`` (backports) never provide one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import hashlib
import json
import lzma
import os
import platform
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

try:
    from urllib.error import HTTPError, URLError
    from urllib.parse import urlsplit
    from urllib.request import ProxyHandler, build_opener
except ImportError:  # pragma: no cover
    class URLError(Exception):
        pass

    class HTTPError(URLError):
        pass

from ansible_collections.tcib.images.plugins.module_utils.aptproxy import origin
from ansible_collections.tcib.images.plugins.module_utils.aptsources import SourceError, fingerprint
from ansible_collections.tcib.images.plugins.module_utils.debversion import compare

DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# Preferred compression of Packages files, as apt prefers them.
COMPRESSIONS = ((".xz", lzma.decompress), (".gz", gzip.decompress), ("", lambda data: data))
MACHINES = {"x86_64": "amd64", "aarch64": "arm64", "ppc64le": "ppc64el", "s390x": "s390x"}


def host_architecture():
    return MACHINES.get(platform.machine(), platform.machine())


def parse_fields(text):
    """A deb822 paragraph as {field: value}; continuation lines joined with newlines."""
    fields, current = {}, None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        if line[0] in " \t" and current:
            fields[current] += "\n" + line.strip()
        elif ":" in line:
            current, _colon, value = line.partition(":")
            fields[current] = value.strip()
    return fields


def release_files(fields):
    """{path: (sha256, size)} from a Release file's SHA256 field."""
    files = {}
    for line in fields.get("SHA256", "").splitlines():
        parts = line.split()
        if len(parts) == 3:
            files[parts[2]] = (parts[0], int(parts[1]))
    return files


def parse_packages(text):
    """{package: highest version} of a Packages file."""
    versions = {}
    name = version = None
    for line in text.splitlines():
        if line.startswith("Package: "):
            name = line[9:].strip()
        elif line.startswith("Version: "):
            version = line[9:].strip()
        elif not line and name:
            if version and (name not in versions or compare(version, versions[name]) > 0):
                versions[name] = version
            name = version = None
    if name and version and (name not in versions or compare(version, versions[name]) > 0):
        versions[name] = version
    return versions


class Fetcher(object):
    """Bytes of a URL: http through the package proxy (and its cache), https directly."""

    def __init__(self, proxy=None, timeout=60):
        self.proxy = proxy
        self.timeout = timeout
        self.opener = build_opener(ProxyHandler({}))

    def get(self, url):
        parts = urlsplit(url)
        if self.proxy is not None and parts.scheme == "http":
            with open(self.proxy.fetch(url, origin(parts), parts.path), "rb") as handle:
                return handle.read()
        response = self.opener.open(url, timeout=self.timeout)
        return response.read()


def _gpgv(run, files, arguments, key, label, gpgv, keyring):
    """(rc, out, err) of gpgv on ``files`` ({name: bytes}, written to a temporary directory; ``arguments``
    name them), with the source's key, or the keyring when it has none."""
    directory = tempfile.mkdtemp(prefix="tcib-gpgv-")
    try:
        if key:
            keyring = os.path.join(directory, "key.gpg")
            with open(keyring, "wb") as handle:
                handle.write(key)
        for name, data in files.items():
            with open(os.path.join(directory, name), "wb") as handle:
                handle.write(data)
        paths = [os.path.join(directory, argument) if argument in files else argument for argument in arguments]
        return run([gpgv, "--quiet", "--keyring", keyring] + paths)
    except OSError as exc:
        raise SourceError("%s: cannot run gpgv to check its signature: %s" % (label, exc))
    finally:
        for name in os.listdir(directory):
            os.unlink(os.path.join(directory, name))
        os.rmdir(directory)


def _signer(key):
    return "its signed_by key" if key else "Debian's archive keyring"


def verify(run, inrelease, key, label, gpgv="gpgv", keyring=DEBIAN_KEYRING):
    """The signed text of an InRelease file; raises SourceError when the signature does not verify."""
    rc, out, err = _gpgv(run, {"InRelease": inrelease}, ["--output", "-", "InRelease"], key, label, gpgv, keyring)
    if rc != 0:
        raise SourceError("%s: InRelease is not signed by %s (%s)" % (label, _signer(key), gpgv_failure(err, rc)))
    return out


def verify_detached(run, release, signature, key, label, gpgv="gpgv", keyring=DEBIAN_KEYRING):
    """The text of a Release file whose detached signature (Release.gpg) verifies; raises SourceError else."""
    rc, _out, err = _gpgv(run, {"Release": release, "Release.gpg": signature}, ["Release.gpg", "Release"], key,
                          label, gpgv, keyring)
    if rc != 0:
        raise SourceError("%s: Release.gpg is not a signature of its Release by %s (%s)" % (
            label, _signer(key), gpgv_failure(err, rc)))
    return release.decode("utf-8", "replace")


def gpgv_failure(err, rc):
    """``gpgv: Can't check signature: No public key``, after the key that made the signature when gpgv names it
    (what to ask the repository's owner for)."""
    lines = [line.strip() for line in (err or "").splitlines() if line.strip()]
    lines = [line[len("gpgv:"):].strip() if line.startswith("gpgv:") else line for line in lines]
    why = "gpgv: %s" % (lines[-1] if lines else "exit code %s" % rc)
    for line in lines:
        if line.startswith("using ") and " key " in line:
            return "it is signed with %s; %s" % (line[len("using "):], why)
    return why


class IndexReader(object):
    """Reads every source's indices; ``candidates()`` returns {package: version}."""

    def __init__(self, run, sources, fetcher, cache_dir, arch=None, gpgv="gpgv", keyring=DEBIAN_KEYRING):
        self.run = run
        self.sources = sources
        self.fetcher = fetcher
        self.cache_dir = cache_dir
        self.arch = arch or host_architecture()
        self.gpgv = gpgv
        self.keyring = keyring
        self.lock = threading.Lock()

    def _get(self, url, label):
        try:
            return self.fetcher.get(url)
        except HTTPError as exc:
            raise SourceError("%s: cannot fetch %s: %s %s" % (label, url, exc.code, exc.reason))
        except (URLError, OSError) as exc:
            raise SourceError("%s: unreachable: cannot fetch %s: %s" % (label, url, getattr(exc, "reason", exc)))

    def release(self, source, suite):
        """The verified Release fields of one suite: from its InRelease or, as apt falls back to them where
        there is none, from its Release and the detached signature Release.gpg (older repositories)."""
        label = source.label(suite)
        base = "%s/dists/%s" % (source.uri, suite)
        try:
            inrelease = self.fetcher.get(base + "/InRelease")
        except HTTPError as exc:
            if exc.code != 404:
                raise SourceError("%s: cannot fetch %s/InRelease: %s %s" % (label, base, exc.code, exc.reason))
            text, name = self._detached(source, suite, base, exc), "Release"
        except (URLError, OSError) as exc:
            raise SourceError("%s: unreachable: cannot fetch %s/InRelease: %s" % (
                label, base, getattr(exc, "reason", exc)))
        else:
            text, name = verify(self.run, inrelease, source.key, label, self.gpgv, self.keyring), "InRelease"
        fields = parse_fields(text)
        if "SHA256" not in fields:
            raise SourceError("%s: its %s lists no SHA256 sums" % (label, name))
        return fields

    def _detached(self, source, suite, base, missing):
        label = source.label(suite)
        try:
            signature = self.fetcher.get(base + "/Release.gpg")
        except HTTPError as exc:
            raise SourceError("%s: cannot fetch %s/InRelease: %s %s, nor %s/Release.gpg: %s %s (an unsigned "
                              "repository, or a wrong suite?)" % (label, base, missing.code, missing.reason, base,
                                                                  exc.code, exc.reason))
        except (URLError, OSError) as exc:
            raise SourceError("%s: unreachable: cannot fetch %s/Release.gpg: %s" % (
                label, base, getattr(exc, "reason", exc)))
        release = self._get(base + "/Release", label)
        return verify_detached(self.run, release, signature, source.key, label, self.gpgv, self.keyring)

    def architectures(self, fields):
        """The architectures whose Packages files apt reads from a suite, as apt picks them: the host's,
        and ``all`` when the Release lists it among its Architectures, unless it says
        ``No-Support-for-Architecture-all: Packages`` (Debian's: its Architecture: all packages are in each
        architecture's Packages too). Many other repositories keep them only in binary-all/Packages."""
        listed = fields.get("Architectures", "").split()
        if "all" in listed and fields.get("No-Support-for-Architecture-all", "").strip() != "Packages":
            return [self.arch, "all"]
        return [self.arch]

    def _packages(self, source, suite, fields, component):
        """{package: highest version} of one component, over its Packages files of every architecture."""
        found, versions = False, {}
        for arch in self.architectures(fields):
            index = self._packages_of(source, suite, fields, component, arch)
            if index is None:
                continue
            found = True
            for name, version in index.items():
                if name not in versions or compare(version, versions[name]) > 0:
                    versions[name] = version
        if not found:
            raise SourceError("%s: has no component %s for %s (its InRelease lists no %s)"
                              % (source.label(suite), component, " or ".join(self.architectures(fields)),
                                 " or ".join("%s/binary-%s/Packages" % (component, arch)
                                             for arch in self.architectures(fields))))
        return versions

    def _packages_of(self, source, suite, fields, component, arch):
        """{package: highest version} of one Packages file, None when the Release lists none."""
        label = source.label(suite)
        files = release_files(fields)
        base = "%s/dists/%s" % (source.uri, suite)
        for extension, decompress in COMPRESSIONS:
            path = "%s/binary-%s/Packages%s" % (component, arch, extension)
            if path not in files:
                continue
            sha256, _size = files[path]
            cached = os.path.join(self.cache_dir, sha256 + ".json")
            try:
                with open(cached) as handle:
                    return json.load(handle)
            except (IOError, OSError, ValueError):
                pass
            url = base + "/" + path
            if fields.get("Acquire-By-Hash", "").lower() == "yes":
                url = "%s/%s/binary-%s/by-hash/SHA256/%s" % (base, component, arch, sha256)
            data = self._get(url, label)
            if hashlib.sha256(data).hexdigest() != sha256:
                raise SourceError("%s: %s does not match the SHA256 its InRelease gives (a mirror in sync?)"
                                  % (label, url))
            versions = parse_packages(decompress(data).decode("utf-8", "replace"))
            self._keep(cached, versions)
            return versions
        return None

    def _keep(self, path, versions):
        # Suites are read in parallel threads: two may create the directory at once.
        os.makedirs(self.cache_dir, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.cache_dir, prefix=".part-")
        with os.fdopen(handle, "w") as out:
            json.dump(versions, out)
        os.rename(temporary, path)

    def _suite(self, source, suite):
        fields = self.release(source, suite)
        automatic = fields.get("NotAutomatic", "").lower() != "yes" or \
            fields.get("ButAutomaticUpgrades", "").lower() == "yes"
        indices = [self._packages(source, suite, fields, component) for component in source.components]
        return {"source": source.name, "suite": suite, "date": fields.get("Date"), "automatic": automatic,
                "indices": indices}

    def read(self):
        """{"candidates": {package: version}, "releases": [...], "sources": fingerprint, "read_at": time}."""
        suites = [(source, suite) for source in self.sources for suite in source.suites]
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(suites)))) as pool:
            read = list(pool.map(lambda pair: self._suite(*pair), suites))
        candidates = {}
        for suite in read:
            if not suite["automatic"]:
                continue
            for versions in suite.pop("indices"):
                for name, version in versions.items():
                    if name not in candidates or compare(version, candidates[name]) > 0:
                        candidates[name] = version
        for suite in read:
            suite.pop("indices", None)
        return {"candidates": candidates, "releases": read, "sources": fingerprint(self.sources),
                "read_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def pending_updates(installed, candidates):
    """[{package, installed, candidate}] for each installed package with a newer candidate."""
    pending = []
    for name, version in sorted(installed.items()):
        candidate = candidates.get(name)
        if candidate and compare(candidate, version) > 0:
            pending.append({"package": name, "installed": version, "candidate": candidate})
    return pending


def describe_pending(pending, limit=4):
    """``libssl3t64 3.5.1-1 -> 3.5.1-1+deb13u1, ... and 3 more``."""
    words = ["%s %s -> %s" % (item["package"], item["installed"], item["candidate"]) for item in pending[:limit]]
    if len(pending) > limit:
        words.append("and %d more" % (len(pending) - limit))
    return ", ".join(words)
