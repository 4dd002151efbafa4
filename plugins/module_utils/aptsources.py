# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apt sources every build and the update check use: Debian's suite, its -updates and
-security, and the extra repositories the user names.

They are written into the Debian root image as one deb822 file. An extra repository's
signing key goes inline (``Signed-By:`` holding the armored key), so the file is the
whole truth about a source, for mmdebstrap on the host and for apt in every image.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import re

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit

# Where the root image holds the sources (apt reads every *.sources file of this directory).
SOURCES_PATH = "/etc/apt/sources.list.d/0000tcib.sources"  # as mmdebstrap names tcib.sources
NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{0,62}$")
WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$")
REPOSITORY_KEYS = ("name", "uris", "suites", "components", "signed_by")


class SourceError(ValueError):
    """A source that is not usable; the message names it."""


class Source(object):
    """One deb822 stanza: a URI, its suites and components, and who signs it."""

    def __init__(self, name, uri, suites, components, key=None, key_file=None):
        self.name = name
        self.uri = uri.rstrip("/")
        self.suites = list(suites)
        self.components = list(components)
        # Binary OpenPGP key bytes, or None for Debian's own archive keyring.
        self.key = key
        self.key_file = key_file

    def label(self, suite=None):
        return "apt source %r (%s %s)" % (self.name, self.uri, suite or " ".join(self.suites))

    def as_dict(self):
        return {"name": self.name, "uri": self.uri, "suites": self.suites, "components": self.components,
                "key_sha256": hashlib.sha256(self.key).hexdigest() if self.key else None}


def debian_sources(suite, mirror, security_mirror):
    """Debian's release with its stable updates, and its security updates."""
    return [Source("debian", mirror, [suite, suite + "-updates"], ["main"]),
            Source("debian-security", security_mirror, [suite + "-security"], ["main"])]


def _crc24(data):
    crc = 0xB704CE
    for byte in bytearray(data):
        crc ^= byte << 16
        for _bit in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def dearmor(data):
    """Binary key bytes from an armored (``-----BEGIN PGP PUBLIC KEY BLOCK-----``) or binary key."""
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
    if "-----BEGIN PGP PUBLIC KEY BLOCK-----" not in text:
        return bytes(data)
    body = text.split("-----BEGIN PGP PUBLIC KEY BLOCK-----", 1)[1].split("-----END PGP PUBLIC KEY BLOCK-----")[0]
    # Armor header lines ("Comment: ...") hold a colon, base64 never does; "=" starts the checksum.
    payload = "".join(line.strip() for line in body.splitlines()
                      if line.strip() and ":" not in line and not line.strip().startswith("="))
    return base64.b64decode(payload)


def armor(key):
    """The armored text of binary key bytes (RFC 4880, section 6)."""
    encoded = base64.b64encode(key).decode("ascii")
    crc = base64.b64encode(bytearray([(_crc24(key) >> 16) & 0xFF, (_crc24(key) >> 8) & 0xFF,
                                      _crc24(key) & 0xFF])).decode("ascii")
    lines = ["-----BEGIN PGP PUBLIC KEY BLOCK-----", ""]
    lines += [encoded[i:i + 64] for i in range(0, len(encoded), 64)]
    lines += ["=" + crc, "-----END PGP PUBLIC KEY BLOCK-----"]
    return "\n".join(lines)


def _words(value, where, key, required=True):
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or (required and not value):
        raise SourceError("%s: %s must be a list of words%s" % (where, key, "" if not required else ", not empty"))
    for word in value:
        if not isinstance(word, str) or not WORD.match(word):
            raise SourceError("%s: %s: %r is not a suite or component name" % (where, key, word))
    return value


def parse_repositories(items, read_file=None):
    """Sources from the ``apt_repositories`` setting: a list of mappings, each naming its key file."""
    read_file = read_file or _read_bytes
    if items in (None, ""):
        return []
    if not isinstance(items, list):
        raise SourceError("apt_repositories must be a list of repositories, not %s" % type(items).__name__)
    sources, names = [], set()
    for index, item in enumerate(items):
        where = "apt_repositories[%d]" % index
        if not isinstance(item, dict):
            raise SourceError("%s must be a mapping with %s" % (where, ", ".join(REPOSITORY_KEYS)))
        if item.get("name"):
            where += " (%s)" % item["name"]
        unknown = sorted(set(item) - set(REPOSITORY_KEYS))
        if unknown:
            raise SourceError("%s: unknown key %s; known: %s" % (where, ", ".join(unknown), ", ".join(REPOSITORY_KEYS)))
        name = item.get("name")
        if not isinstance(name, str) or not NAME.match(name) or name in ("debian", "debian-security"):
            raise SourceError("%s: name must be lowercase letters, digits, dots and dashes, and not a "
                              "name of Debian's own sources" % where)
        if name in names:
            raise SourceError("%s: another repository has this name" % where)
        names.add(name)
        uri = item.get("uris")
        if not isinstance(uri, str) or urlsplit(uri).scheme not in ("http", "https") or not urlsplit(uri).hostname \
                or not _port_is_valid(uri):
            raise SourceError("%s: uris must be one http:// or https:// URI" % where)
        suites = _words(item.get("suites"), where, "suites")
        if any(suite.endswith("/") for suite in suites):
            raise SourceError("%s: suites: flat repositories (a suite ending in /) are not supported" % where)
        components = _words(item.get("components"), where, "components")
        key_file = item.get("signed_by")
        if not isinstance(key_file, str) or not key_file:
            raise SourceError("%s: signed_by must name the file of the repository's signing key "
                              "(unsigned repositories are refused)" % where)
        try:
            key = dearmor(read_file(key_file))
        except (IOError, OSError) as exc:
            raise SourceError("%s: signed_by: cannot read %s: %s" % (where, key_file, exc))
        except (ValueError, TypeError) as exc:
            raise SourceError("%s: signed_by: %s is not an OpenPGP key: %s" % (where, key_file, exc))
        if not key:
            raise SourceError("%s: signed_by: %s is empty" % (where, key_file))
        sources.append(Source(name, uri, suites, components, key, key_file))
    return sources


def _port_is_valid(uri):
    """False for a port that is not a number of 0 to 65535 (http.client would fail on it with a traceback)."""
    try:
        urlsplit(uri).port
    except ValueError:
        return False
    return True


def _read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read(1 << 20)


def sources_text(sources):
    """The deb822 file of all sources (Debian's are signed by its archive keyring, as apt trusts it)."""
    stanzas = []
    for source in sources:
        lines = ["# %s" % source.name, "Types: deb", "URIs: %s" % source.uri,
                 "Suites: %s" % " ".join(source.suites), "Components: %s" % " ".join(source.components)]
        if source.key:
            # Inline key: an empty line inside a field is written as " ." (deb822).
            lines.append("Signed-By:")
            lines += [" " + (line or ".") for line in armor(source.key).splitlines()]
        stanzas.append("\n".join(lines))
    return "\n\n".join(stanzas) + "\n"


def proxy_hosts(sources):
    """The hosts the package proxy may fetch from: every http source's."""
    return sorted(set(urlsplit(source.uri).hostname for source in sources if source.uri.startswith("http://")))


def fingerprint(sources):
    """One hash over the sources (their keys included): the root image is rebuilt when it changes."""
    text = json.dumps([source.as_dict() for source in sources], sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
