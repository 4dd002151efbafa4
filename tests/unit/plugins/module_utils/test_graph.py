# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image graph on a plain parents mapping: tcib_from, cycles, selection, order, weights."""

import pytest
import yaml

from ansible_collections.tcib.images.plugins.module_utils.discovery import TreeError, discover
from ansible_collections.tcib.images.plugins.module_utils.graph import (
    ancestors, chain_weights, check_cycles, children, descendants, names_from_config,
    normalise_image_name, order, resolve_from, select, split_unavailable, unavailable_warning)

# An upstream-shaped graph: base -> os -> {nova-base -> {nova-api, nova-compute}, novax, keystone}.
PARENTS = {
    "base": None,
    "os": "base",
    "nova-base": "os",
    "nova-api": "nova-base",
    "nova-compute": "nova-base",
    "novax": "os",
    "keystone": "os",
}


def ref_of(name):
    return "registry.example/ns/pfx-%s:t1" % name


# --- ancestors / children / descendants -----------------------------------------------------------

def test_ancestors_nearest_first():
    assert ancestors(PARENTS, "nova-compute") == ["nova-base", "os", "base"]
    assert ancestors(PARENTS, "keystone") == ["os", "base"]
    assert ancestors(PARENTS, "base") == []


def test_children_sorted_and_every_name_present():
    assert children(PARENTS) == {
        "base": ["os"],
        "os": ["keystone", "nova-base", "novax"],
        "nova-base": ["nova-api", "nova-compute"],
        "nova-api": [],
        "nova-compute": [],
        "novax": [],
        "keystone": [],
    }


@pytest.mark.parametrize("name, expected", [
    ("base", ["keystone", "nova-api", "nova-base", "nova-compute", "novax", "os"]),
    ("os", ["keystone", "nova-api", "nova-base", "nova-compute", "novax"]),
    ("nova-base", ["nova-api", "nova-compute"]),
    ("nova-api", []),
    ("keystone", []),
])
def test_descendants_are_all_levels_below(name, expected):
    assert descendants(PARENTS, name) == expected


# --- resolve_from -----------------------------------------------------------------------------------

@pytest.mark.parametrize("tcib_from, expected", [
    (None, None),
    ("", None),
    # A bare name of the tree.
    ("nova-base", "nova-base"),
    ("os", "os"),
    # The full reference of a tree image.
    ("registry.example/ns/pfx-nova-base:t1", "nova-base"),
    ("registry.example/ns/pfx-base:t1", "base"),
    # Outside images: a registry path, or a name with a tag.
    ("quay.io/other/keystone-base:1", None),
    ("docker.io/library/debian", None),
    ("debian:13", None),
    # Looks like a tree ref but another tag: outside.
    ("registry.example/ns/pfx-nova-base:t2", None),
])
def test_resolve_from(tcib_from, expected):
    assert resolve_from(tcib_from, PARENTS, ref_of) == expected


def test_resolve_from_bare_unknown_word_is_an_error_with_hint():
    with pytest.raises(TreeError) as info:
        resolve_from("nova-bse", PARENTS, ref_of)
    message = str(info.value)
    assert "unknown parent image (tcib_from) 'nova-bse'" in message
    assert "closest known:" in message and "nova-base" in message


def test_resolve_from_accepts_a_list_of_names_too():
    assert resolve_from("b", ["a", "b"], lambda name: "x/" + name) == "b"
    assert resolve_from("x/a", ["a", "b"], lambda name: "x/" + name) == "a"


# --- check_cycles -----------------------------------------------------------------------------------

def test_no_cycle_no_error():
    assert check_cycles(PARENTS) is None
    # A parent outside the mapping (an outside image) ends the chain.
    assert check_cycles({"a": "elsewhere", "b": "a"}) is None


def test_two_image_cycle_names_both():
    with pytest.raises(TreeError) as info:
        check_cycles({"base": None, "a": "b", "b": "a"})
    assert "cycle: a -> b -> a" in str(info.value)


def test_self_cycle():
    with pytest.raises(TreeError) as info:
        check_cycles({"a": "a"})
    assert "cycle: a -> a" in str(info.value)


def test_cycle_reached_through_a_tail_names_only_the_cycle():
    with pytest.raises(TreeError) as info:
        check_cycles({"c": "d", "d": "e", "e": "d"})
    message = str(info.value)
    assert "d -> e -> d" in message
    assert "c" not in message.split("cycle:")[1]


def test_cycle_names_go_through_where():
    where = {"a": "a (/tree/x/a)", "b": "b (/tree/y/b)"}.get
    with pytest.raises(TreeError) as info:
        check_cycles({"a": "b", "b": "a"}, where)
    assert "a (/tree/x/a) -> b (/tree/y/b) -> a (/tree/x/a)" in str(info.value)


# --- select / order ---------------------------------------------------------------------------------

def test_select_everything_by_default_parents_first():
    assert select(PARENTS) == ["base", "os", "keystone", "nova-base", "novax", "nova-api", "nova-compute"]


@pytest.mark.parametrize("services, expected", [
    (["nova-api"], ["base", "os", "nova-base", "nova-api"]),
    # Prefix match on "nova-", so novax is not a nova service.
    (["nova"], ["base", "os", "nova-base", "nova-api", "nova-compute"]),
    (["novax"], ["base", "os", "novax"]),
    (["keystone", "nova-compute"], ["base", "os", "keystone", "nova-base", "nova-compute"]),
    (["os"], ["base", "os"]),
    (["", "keystone"], ["base", "os", "keystone"]),
])
def test_select_services_exact_or_prefix_with_ancestors(services, expected):
    assert select(PARENTS, services=services) == expected


def test_nova_does_not_match_novax():
    assert "novax" not in select(PARENTS, services=["nova"])


def test_select_include_adds_named_images_only():
    assert select(PARENTS, include=["nova-base"]) == ["base", "os", "nova-base"]
    assert select(PARENTS, services=["keystone"], include=["novax"]) == ["base", "os", "keystone", "novax"]


def test_exclude_drops_images_but_keeps_needed_ancestors():
    everything = select(PARENTS, exclude=["keystone", "nova-compute"])
    assert everything == ["base", "os", "nova-base", "novax", "nova-api"]
    # nova-base is excluded, but nova-api needs it as its parent.
    assert select(PARENTS, services=["nova"], exclude=["nova-base", "nova-compute"]) == \
        ["base", "os", "nova-base", "nova-api"]
    assert select(PARENTS, services=["nova"], exclude=["nova-api", "nova-compute"]) == \
        ["base", "os", "nova-base"]


@pytest.mark.parametrize("kwargs, what, name, hint", [
    ({"services": ["nova-compte"]}, "service", "nova-compte", "nova-compute"),
    ({"include": ["keystne"]}, "image", "keystne", "keystone"),
    ({"exclude": ["nova-ap"]}, "image", "nova-ap", "nova-api"),
])
def test_unknown_names_error_with_closest_names(kwargs, what, name, hint):
    with pytest.raises(TreeError) as info:
        select(PARENTS, **kwargs)
    message = str(info.value)
    assert "unknown %s %r" % (what, name) in message
    assert "closest known:" in message and hint in message


def test_unknown_name_without_close_match_has_no_hint():
    with pytest.raises(TreeError) as info:
        select(PARENTS, services=["zzzzzzzz"])
    assert "closest" not in str(info.value)


def test_select_follows_tcib_from_parents_not_directories():
    # keystone's tcib_from names nova-api: it now needs the whole nova chain.
    parents = dict(PARENTS, keystone="nova-api")
    assert select(parents, services=["keystone"]) == ["base", "os", "nova-base", "nova-api", "keystone"]
    # And an image whose tcib_from is outside the tree needs nothing.
    parents = dict(PARENTS, keystone=None)
    assert select(parents, services=["keystone"]) == ["keystone"]


def test_order_puts_parents_before_children():
    names = ["nova-compute", "base", "nova-base", "keystone", "os"]
    ordered = order(PARENTS, names)
    assert sorted(ordered) == sorted(names)
    for name in ordered:
        for ancestor in ancestors(PARENTS, name):
            if ancestor in ordered:
                assert ordered.index(ancestor) < ordered.index(name)
    assert ordered == ["base", "os", "keystone", "nova-base", "nova-compute"]


def test_select_over_a_discovered_tree(write_tree):
    root = write_tree({
        "base/base.yaml": {},
        "base/os/os.yaml": {},
        "base/os/nova-base/nova-base.yaml": {},
        "base/os/nova-base/nova-api/nova-api.yaml": {},
        "base/os/keystone/keystone.yaml": {},
    })
    images = discover(str(root))
    parents = dict((name, image.parent) for name, image in images.items())
    assert select(parents, services=["nova-api"]) == ["base", "os", "nova-base", "nova-api"]


# --- names from a config file ------------------------------------------------------------------------

@pytest.mark.parametrize("imagename, prefix, expected", [
    ("quay.io/ns/openstack-nova-api:tag", "openstack", "nova-api"),
    ("quay.io/ns/openstack-nova-api", "openstack", "nova-api"),
    ("quay.io/ns/openstack-nova-api@sha256:" + "a" * 64, "openstack", "nova-api"),
    ("quay.io/ns/openstack-nova-api:tag@sha256:" + "b" * 64, "openstack", "nova-api"),
    ("registry.example:5000/ns/openstack-nova-api", "openstack", "nova-api"),
    ("registry.example:5000/ns/openstack-nova-api:2026.1", "openstack", "nova-api"),
    ("openstack-keystone", "openstack", "keystone"),
    # No prefix on the name: kept as it is.
    ("quay.io/ns/nova-api:tag", "openstack", "nova-api"),
    # The prefix must be followed by a dash.
    ("quay.io/ns/openstackclient:tag", "openstack", "openstackclient"),
    # Other prefixes, or none.
    ("quay.io/ns/rdo-keystone:1", "rdo", "keystone"),
    ("quay.io/ns/openstack-keystone:1", "rdo", "openstack-keystone"),
    ("quay.io/ns/openstack-keystone:1", "", "openstack-keystone"),
    ("quay.io/ns/openstack-keystone:1", None, "openstack-keystone"),
])
def test_normalise_image_name(imagename, prefix, expected):
    assert normalise_image_name(imagename, prefix) == expected


def test_normalise_image_name_default_prefix_is_openstack():
    assert normalise_image_name("quay.io/ns/openstack-nova-api:tag") == "nova-api"


CONFIG = """
container_images:
- imagename: quay.io/podified/openstack-nova-api:current
  image_source: tcib
- imagename: quay.io/podified/openstack-keystone@sha256:%s
- imagename: quay.io/podified/openstack-memcached:1.0
""" % ("c" * 64)


def test_names_from_config_container_images():
    assert names_from_config(yaml.safe_load(CONFIG)) == ["nova-api", "keystone", "memcached"]


def test_names_from_config_bare_list():
    data = yaml.safe_load(CONFIG)["container_images"]
    assert names_from_config(data) == ["nova-api", "keystone", "memcached"]


def test_names_from_config_prefix():
    data = [{"imagename": "quay.io/ns/rdo-nova-api:1"}, {"imagename": "quay.io/ns/openstack-nova-api:1"}]
    assert names_from_config(data, prefix="rdo") == ["nova-api", "openstack-nova-api"]


def test_names_from_config_without_container_images_is_empty():
    assert names_from_config({}) == []
    assert names_from_config({"container_images": []}) == []


@pytest.mark.parametrize("data, message", [
    ({"container_images": "quay.io/ns/openstack-nova-api"}, "container_images must be a list"),
    ({"container_images": {"imagename": "x"}}, "container_images must be a list"),
    ("just text", "container_images must be a list"),
    (None, "container_images must be a list"),
    ([{"imagename": "a"}, "quay.io/ns/openstack-b"], "container_images[1] has no imagename"),
    ([{"image": "quay.io/ns/openstack-a"}], "container_images[0] has no imagename"),
    ([{"imagename": "a"}, {"imagename": "b"}, {"imagename": ""}], "container_images[2] has no imagename"),
    ({"container_images": [{"imagename": None}]}, "container_images[0] has no imagename"),
])
def test_names_from_config_bad_entries(data, message):
    with pytest.raises(TreeError) as info:
        names_from_config(data)
    assert message in str(info.value)
    assert "config file" in str(info.value)


def test_names_from_config_errors_name_the_file():
    with pytest.raises(TreeError) as info:
        names_from_config({"container_images": [{"imagename": "a"}, {"image_source": "tripleo"}]}, "openstack",
                          "/srv/containers.yaml")
    assert str(info.value).startswith("/srv/containers.yaml: container_images[1] has no imagename")


# --- images the tree cannot build (upstream has them, Debian does not package them) ---------------

UNAVAILABLE = {"qdrouterd": "no qpid-dispatch in Debian", "mlnx-agent": "no networking-mlnx in Debian"}


def test_split_unavailable_keeps_order_and_lists_each_skipped_name_once():
    names = ["base", "qdrouterd", "keystone", "mlnx-agent", "qdrouterd", "nova-api"]
    assert split_unavailable(names, UNAVAILABLE) == (
        ["base", "keystone", "nova-api"],
        [("qdrouterd", "no qpid-dispatch in Debian"), ("mlnx-agent", "no networking-mlnx in Debian")])
    assert split_unavailable(names, None) == (names, [])


def test_unavailable_warning_is_one_line_naming_each_with_its_reason():
    warning = unavailable_warning([("qdrouterd", "no qpid-dispatch in Debian"),
                                   ("mlnx-agent", "no networking-mlnx in Debian")], "/srv/containers.yaml")
    assert warning == ("/srv/containers.yaml lists 2 images that this tree cannot build; planning the others "
                       "without them: qdrouterd: no qpid-dispatch in Debian; mlnx-agent: no networking-mlnx in "
                       "Debian")
    assert "1 image that" in unavailable_warning([("qdrouterd", "why")])
    assert "\n" not in warning


@pytest.mark.parametrize("kwargs, what", [
    ({"services": ["qdrouterd"]}, "service"),
    ({"include": ["keystone", "qdrouterd"]}, "image"),
    ({"services": ["keystone"], "include": ["mlnx-agent"]}, "image"),
])
def test_selecting_an_unavailable_image_fails_with_its_reason(kwargs, what):
    with pytest.raises(TreeError) as info:
        select(PARENTS, unavailable=UNAVAILABLE, **kwargs)
    name = (kwargs.get("include") or kwargs["services"])[-1]
    assert str(info.value) == "%s %r is not available from this tree: %s" % (what, name, UNAVAILABLE[name])


def test_excluding_an_unavailable_image_changes_nothing():
    assert select(PARENTS, services=["keystone"], exclude=["qdrouterd"], unavailable=UNAVAILABLE) == \
        ["base", "os", "keystone"]


def test_unknown_names_still_fail_as_unknown_beside_unavailable_ones():
    with pytest.raises(TreeError, match=r"unknown image 'nova-schedular'; closest known: nova-"):
        select(PARENTS, include=["nova-schedular"], unavailable=UNAVAILABLE)
    with pytest.raises(TreeError, match=r"unknown image 'qdrouterd'"):
        select(PARENTS, include=["qdrouterd"])


def test_a_service_prefix_matching_tree_images_is_not_taken_for_an_unavailable_name():
    parents = dict(PARENTS, **{"mlnx-agent-helper": "os"})
    assert select(parents, services=["mlnx-agent"], unavailable=UNAVAILABLE) == ["base", "os", "mlnx-agent-helper"]


# --- chain weights ------------------------------------------------------------------------------------

def test_chain_weights_count_the_longest_chain_below():
    weights = chain_weights(PARENTS, list(PARENTS))
    assert weights == {"base": 4, "os": 3, "nova-base": 2, "nova-api": 1, "nova-compute": 1,
                       "novax": 1, "keystone": 1}
    # The head of the longest chain goes first.
    assert max(weights, key=weights.get) == "base"
    assert weights["nova-base"] > weights["novax"]


def test_chain_weights_with_past_durations():
    durations = {"base": 30.0, "os": 20.0, "nova-base": 5.0, "nova-api": 10.0, "keystone": 100.0}
    weights = chain_weights(PARENTS, list(PARENTS), durations)
    assert weights["nova-api"] == 10.0
    assert weights["nova-compute"] == 1.0  # unknown duration: 1
    assert weights["nova-base"] == 15.0  # 5 + max(10, 1)
    assert weights["keystone"] == 100.0
    # keystone's chain is now the heaviest under os, though nova's is longer.
    assert weights["os"] == 120.0
    assert weights["base"] == 150.0
    assert weights["keystone"] > weights["nova-base"]


def test_chain_weights_only_over_the_selected_names():
    # Children outside the selection add nothing; parents outside it are not needed.
    weights = chain_weights(PARENTS, ["nova-base", "nova-api"])
    assert weights == {"nova-base": 2, "nova-api": 1}
    weights = chain_weights(PARENTS, ["os", "keystone"], {"nova-base": 1000.0})
    assert weights == {"os": 2, "keystone": 1}
