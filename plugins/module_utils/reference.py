# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references: one parser, the grammar of docker's distribution/reference.

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ domain "/" ] path-component [ "/" path-component ]*
    domain     := host [ ":" port ]           (a dotted name, an IPv6 address in brackets, or localhost)
    path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex (at least 32 hex digits)

As podman reads a name: its first component is a registry only when it holds a dot or a colon, or is
``localhost``; otherwise the whole name is a path on docker.io. The settings that name the images we build
are checked against that, so that a typo can never send images to Docker Hub.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
DOMAIN = re.compile(r"^(?:%s(?:\.%s)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$" % (DOMAIN_COMPONENT, DOMAIN_COMPONENT))
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
NAME_MAX = 255

PATH_RULE = "lowercase letters and digits, separated by '.', '_', '__' or dashes"
TAG_RULE = "at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"


class ImageRefError(ValueError):
    """An image reference, or a setting that names images, is not valid."""


class Reference(object):
    """A parsed reference; ``domain`` is None when podman would look the name up on docker.io."""

    def __init__(self, domain, path, tag=None, digest=None):
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest

    @property
    def name(self):
        return "%s/%s" % (self.domain, self.path) if self.domain else self.path

    def __str__(self):
        return self.name + (":" + self.tag if self.tag else "") + ("@" + self.digest if self.digest else "")

    def __repr__(self):
        return "Reference(%r, %r, tag=%r, digest=%r)" % (self.domain, self.path, self.tag, self.digest)


def short_name(text):
    """An image's own name, without registry, namespace, tag or digest (``openstack-nova-api``); for names
    already checked, or to be told (no checking here)."""
    return text.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]


def repository_of(text):
    """Where an image is named (registry and namespace, ``localhost/tcib``); "" for a bare name."""
    name = text.split("@", 1)[0]
    return name.rsplit("/", 1)[0] if "/" in name else ""


def name_and_tag(text):
    """(name, tag or "") of a reference: the tag is after the last ':' of the last path component."""
    name = text.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name, _colon, tag = name.rpartition(":")
        return name, tag
    return name, ""


def is_domain(component):
    """Whether podman reads the first component of a name as a registry (not a path on docker.io)."""
    return "." in component or ":" in component or component == "localhost" or component != component.lower()


def check_path(path, what="repository path"):
    if not path:
        raise ImageRefError("%s is empty" % what)
    for component in path.split("/"):
        if not PATH_COMPONENT.match(component):
            raise ImageRefError("%s component %r is not valid: %s" % (what, component, PATH_RULE))


def check_domain(domain):
    if not DOMAIN.match(domain):
        raise ImageRefError("registry host %r is not a host name (letters, digits and dashes between dots), "
                            "an IPv6 address in brackets, or one of those with :port" % domain)


def check_tag(tag):
    if not TAG.match(tag):
        raise ImageRefError("tag %r is not valid: %s" % (tag, TAG_RULE))


def parse(text):
    """A Reference from ``text``; ImageRefError saying what is wrong."""
    if not isinstance(text, str) or not text:
        raise ImageRefError("an image reference must be a non-empty string, got %r" % (text,))
    if text != text.strip() or any(ch.isspace() for ch in text):
        raise ImageRefError("image reference %r holds white space" % text)
    rest, digest = text, None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not DIGEST.match(digest):
            raise ImageRefError("digest %r of %r is not valid (algorithm:hex, at least 32 hex digits)" % (digest, text))
    tag = None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1:]
        check_tag(tag)
    domain, path = None, rest
    first, slash, remainder = rest.partition("/")
    if slash and is_domain(first):
        domain, path = first, remainder
        check_domain(domain)
    try:
        check_path(path)
    except ImageRefError as exc:
        raise ImageRefError("image reference %r: %s" % (text, exc))
    if len(rest) > NAME_MAX:
        raise ImageRefError("image name %r is longer than %d characters" % (rest, NAME_MAX))
    return Reference(domain, path, tag, digest)


def check_prefix(prefix):
    """The prefix is joined to each image's name with a dash: it must start a valid path component."""
    try:
        check_path(prefix + "-x")
    except ImageRefError:
        raise ImageRefError("prefix %r is not valid: %s" % (prefix, PATH_RULE))


def check_registry(registry):
    """``registry`` (host[:port], optionally followed by /path) names a registry exactly.

    A bare word such as ``bad`` is not a registry for podman: ``bad/ns/image`` is a path on docker.io.
    """
    if not registry:
        raise ImageRefError("registry is empty: name one (localhost for local images)")
    first, _slash, path = registry.strip("/").partition("/")
    if not ("." in first or ":" in first or first == "localhost"):
        raise ImageRefError(
            "registry %r is not a registry host: with no dot and no port, and not localhost, podman would read "
            "it as a path on docker.io. Name the registry fully (e.g. %s.example.com or %s:5000), or "
            "localhost for local images" % (registry, first, first))
    check_domain(first)
    if path:
        check_path(path, "registry path")


def check_settings(registry, namespace, prefix, tag):
    """The settings every built image's name is made of; errors name the setting."""
    checks = (("registry", registry, check_registry),
              ("namespace", namespace, lambda value: value and check_path(value.strip("/"), "namespace")),
              ("prefix", prefix, lambda value: value and check_prefix(value)),
              ("tag", tag, lambda value: value and check_tag(value)))
    for setting, value, check in checks:
        if value is not None and not isinstance(value, str):
            raise ImageRefError("setting %s must be a string, got %r" % (setting, value))
        try:
            check(value)
        except ImageRefError as exc:
            raise ImageRefError("setting %s=%s: %s" % (setting, value, exc))
