# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references: docker's grammar, and the settings that name the images we build."""

import pytest

from ansible_collections.tcib.images.plugins.module_utils import reference
from ansible_collections.tcib.images.plugins.module_utils.reference import (
    ImageRefError, check_registry, check_settings, parse)

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize("text,domain,path,tag,digest", [
    ("localhost/tcib/openstack-keystone:latest", "localhost", "tcib/openstack-keystone", "latest", None),
    ("registry.example.com:5000/ns/img:2026.1", "registry.example.com:5000", "ns/img", "2026.1", None),
    ("quay.io/podified/openstack-nova-api", "quay.io", "podified/openstack-nova-api", None, None),
    ("debian:trixie", None, "debian", "trixie", None),
    ("library/debian", None, "library/debian", None, None),
    ("localhost:5000/a__b/c.d/e---f:_tag", "localhost:5000", "a__b/c.d/e---f", "_tag", None),
    ("[::1]:5000/ns/img:t", "[::1]:5000", "ns/img", "t", None),
    ("quay.io/ns/img@" + DIGEST, "quay.io", "ns/img", None, DIGEST),
    ("quay.io/ns/img:t@" + DIGEST, "quay.io", "ns/img", "t", DIGEST),
])
def test_valid_references_parse(text, domain, path, tag, digest):
    ref = parse(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    assert str(ref) == text


@pytest.mark.parametrize("text,message", [
    ("localhost/tcib/openstack-base:bad tag!", "white space"),
    ("localhost/tcib/openstack-base:bad!", "tag 'bad!' is not valid"),
    ("localhost/tcib/openstack-base:.hidden", "tag '.hidden' is not valid"),
    ("localhost/tcib/openstack-base:" + "t" * 129, "is not valid"),
    ("localhost/Fault/openstack-base:latest", "component 'Fault' is not valid"),
    ("localhost/tcib/-base:latest", "component '-base' is not valid"),
    ("localhost/tcib/base-:latest", "component 'base-' is not valid"),
    ("localhost/tcib//base:latest", "component '' is not valid"),
    ("localhost/tcib/ba..se", "component 'ba..se' is not valid"),
    ("bad_host.example/ns/img", "registry host 'bad_host.example' is not a host name"),
    ("quay.io/ns/img@sha256:abc", "digest 'sha256:abc'"),
    ("", "non-empty string"),
    ("localhost/" + "a" * 260, "longer than 255"),
])
def test_invalid_references_say_what_is_wrong(text, message):
    with pytest.raises(ImageRefError) as info:
        parse(text)
    assert message in str(info.value)


def test_uppercase_first_component_is_a_registry_as_podman_reads_it():
    # Docker's rule: a first component with capitals is a host, not a docker.io path.
    assert parse("Registry.Example/ns/img").domain == "Registry.Example"


@pytest.mark.parametrize("registry", ["localhost", "localhost:5000", "registry.example.com",
                                      "registry.example.com:5000/team", "10.0.0.1:5000", "[::1]:5000"])
def test_registries_that_name_a_host_are_accepted(registry):
    check_registry(registry)


@pytest.mark.parametrize("registry,message", [
    ("bad", "registry 'bad' is not a registry host"),
    ("bad/team", "podman would read it as a path on docker.io"),
    ("", "registry is empty"),
    ("registry.example.com/Team", "registry path component 'Team'"),
    ("bad_host.example", "is not a host name"),
])
def test_a_registry_podman_would_take_for_docker_io_is_refused(registry, message):
    with pytest.raises(ImageRefError) as info:
        check_registry(registry)
    assert message in str(info.value)


def test_settings_errors_name_the_setting():
    check_settings("localhost", "tcib", "openstack", "latest")
    check_settings("localhost", "", "", "")  # empty parts are left out of names
    cases = [
        (("bad", "tcib", "openstack", "latest"), "setting registry=bad: "),
        (("localhost", "Fault", "openstack", "latest"), "setting namespace=Fault: "),
        (("localhost", "tcib", "Open Stack", "latest"), "setting prefix=Open Stack: "),
        (("localhost", "tcib", "openstack", "bad tag!"), "setting tag=bad tag!: tag 'bad tag!' is not valid"),
        (("localhost", "tcib", "openstack", 1), "setting tag must be a string"),
    ]
    for args, message in cases:
        with pytest.raises(ImageRefError) as info:
            check_settings(*args)
        assert message in str(info.value)


@pytest.mark.parametrize("text, short, repository, name_tag", [
    ("localhost/tcib/openstack-nova-api:latest", "openstack-nova-api", "localhost/tcib",
     ("localhost/tcib/openstack-nova-api", "latest")),
    ("registry.example.com:5000/a/b/keystone", "keystone", "registry.example.com:5000/a/b",
     ("registry.example.com:5000/a/b/keystone", "")),
    ("quay.io/ns/openstack-glance-api:tag@sha256:" + "a" * 64, "openstack-glance-api", "quay.io/ns",
     ("quay.io/ns/openstack-glance-api", "tag")),
    ("debian", "debian", "", ("debian", "")),
])
def test_parts_of_a_name(text, short, repository, name_tag):
    assert reference.short_name(text) == short
    assert reference.repository_of(text) == repository
    assert reference.name_and_tag(text) == name_tag
