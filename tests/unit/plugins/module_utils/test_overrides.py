"""Extra config and per-image overrides: what they change, and errors that name the place."""

import pytest

from ansible_collections.tcib.images.plugins.module_utils.overrides import (
    apply_override, check_overrides, split_extra_config)
from ansible_collections.tcib.images.plugins.module_utils.plan import PlanSettings, make_plan
from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError

IMAGE = {"tcib_packages": {"common": ["nova-api", "perl"], "extra": ["perl", "curl"]},
         "tcib_actions": [{"run": "tcib-install x"}, {"run": "rm -rf /usr/share/doc"}]}


def test_packages_append_and_remove():
    variables, sources = apply_override(IMAGE, {}, {"packages_append": ["vendor-plugin", "nova-api"],
                                                    "packages_remove": ["perl"]}, "here")
    assert variables["tcib_packages"] == {"common": ["nova-api", "vendor-plugin"], "extra": ["curl"]}
    assert sources["tcib_packages"] == "here"
    assert IMAGE["tcib_packages"]["common"] == ["nova-api", "perl"]  # the tree's data is left alone


def test_actions_append_remove_and_vars():
    variables, _sources = apply_override(IMAGE, {}, {"actions_remove": [{"run": "rm -rf /usr/share/doc"}],
                                                     "actions_append": [{"run": "echo vendor"}],
                                                     "vars": {"tcib_user": "root"}})
    assert variables["tcib_actions"] == [{"run": "tcib-install x"}, {"run": "echo vendor"}]
    assert variables["tcib_user"] == "root"


def test_append_creates_the_common_list():
    variables, _sources = apply_override({}, {}, {"packages_append": ["a"]})
    assert variables["tcib_packages"] == {"common": ["a"]}


@pytest.mark.parametrize("overrides,message", [
    ({"nova-api": {"packages_apend": ["x"]}}, "unknown override 'packages_apend'"),
    ({"nova-api": {"packages_append": "x"}}, "packages_append must be a list"),
    ({"nova-api": {"vars": ["x"]}}, "vars must be a mapping"),
    ({"nova-api": ["x"]}, "must be a mapping"),
])
def test_bad_overrides_name_the_image(overrides, message):
    with pytest.raises(VariableError) as info:
        check_overrides(overrides, "extra.yaml")
    assert message in str(info.value)
    assert "extra.yaml" in str(info.value) and "image_overrides.nova-api" in str(info.value)


def test_split_extra_config():
    variables, overrides = split_extra_config({"tcib_envs": {"A": "1"}, "image_overrides": {"x": {"vars": {}}}})
    assert variables == {"tcib_envs": {"A": "1"}}
    assert overrides == {"x": {"vars": {}}}


def test_overrides_reach_the_rendered_containerfile_through_templates(write_tree):
    root = write_tree({"base/base.yaml": {"tcib_packages": {"common": ["a"]},
                                          "tcib_actions": [{"run": "tcib-install {{ tcib_packages.common | join(' ') }}"}]},
                       "base/leaf/leaf.yaml": {"tcib_user": "nobody"}})
    settings = PlanSettings("debian:13", image_overrides={"base": {"packages_append": ["b"]}},
                            extra_vars={"tcib_envs": {"HTTP_PROXY": "x"}})
    plan = dict((entry.name, entry) for entry in make_plan(str(root), settings))
    assert "RUN tcib-install a b" in plan["base"].containerfile
    assert 'ENV HTTP_PROXY="x"' in plan["leaf"].containerfile


def test_override_of_an_unknown_image_lists_close_names(write_tree):
    root = write_tree({"base/base.yaml": {}, "base/nova-api/nova-api.yaml": {}})
    with pytest.raises(Exception) as info:
        make_plan(str(root), PlanSettings("debian:13", image_overrides={"nova-apy": {"vars": {}}}))
    assert "nova-apy" in str(info.value) and "nova-api" in str(info.value)


def test_a_plain_package_list_is_the_common_group():
    variables, sources = apply_override({"tcib_packages": ["nova-common", "perl"]}, {},
                                        {"packages_append": ["vendor", "perl"], "packages_remove": ["perl"]}, "here")
    assert variables["tcib_packages"] == ["nova-common", "vendor"]
    assert sources["tcib_packages"] == "here"


def test_packages_of_the_wrong_type_are_left_for_validation_to_name():
    variables, sources = apply_override({"tcib_packages": "memcached"}, {"tcib_packages": "f.yaml"},
                                        {"packages_append": ["x"]}, "here")
    assert variables["tcib_packages"] == "memcached"
    assert sources["tcib_packages"] == "f.yaml"


def test_planning_an_override_of_a_string_package_group_names_the_file(write_tree):
    root = write_tree({"base/base.yaml": {"tcib_packages": {"common": "memcached"}}})
    with pytest.raises(VariableError) as info:
        make_plan(str(root), PlanSettings("debian:13", image_overrides={"base": {"packages_append": ["b"]}}))
    assert str(root / "base" / "base.yaml") in str(info.value)
    assert "tcib_packages: group 'common' must be a list" in str(info.value)
