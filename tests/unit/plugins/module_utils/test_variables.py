# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tcib_* schema checks and the sandboxed templating of variable values."""

import pytest

from ansible_collections.tcib.images.plugins.module_utils.variables import (
    ACTION_KEYS, SCHEMA, VariableError, template, validate)

SOURCE = "/tree/base/os/nova-base/nova-base.yaml"


def validation_error(variables):
    with pytest.raises(VariableError) as info:
        validate(variables, dict.fromkeys(variables, SOURCE))
    return info.value


def template_error(variables):
    with pytest.raises(VariableError) as info:
        template(variables, dict.fromkeys(variables, SOURCE))
    return info.value


# --- validate -------------------------------------------------------------------------------

def test_unknown_tcib_key_names_file_and_key():
    error = validation_error({"tcib_runs": ["ok"], "tcib_enviroment": {"A": "1"}})
    message = str(error)
    assert SOURCE in message
    assert "tcib_enviroment" in message
    assert "unknown" in message
    assert error.source == SOURCE and error.key == "tcib_enviroment"
    # The message helps: it lists the real names.
    assert "tcib_envs" in message


def test_every_schema_key_is_accepted_with_a_value_of_its_type():
    samples = {"str": "x", "list": ["x"], "dict": {"k": "v"}, "str or list": "x y", "dict or list": ["x"]}
    variables = dict((key, samples[kind]) for key, kind in SCHEMA.items())
    variables["tcib_actions"] = [{"run": "x"}]
    validate(variables)


def test_non_tcib_keys_are_allowed_whatever_their_value():
    validate({"nova_packages": ["a", {"b": 1}], "anything": object(), "TCIB_upper": 1, "tcib": 2})


def test_none_values_are_allowed():
    validate({"tcib_runs": None, "tcib_envs": None, "tcib_user": None})


@pytest.mark.parametrize("key, value", [
    ("tcib_workdir", 7),
    ("tcib_stopsignal", 9.0),
    ("tcib_shell", ["/bin/sh", "-c"]),
    ("tcib_entrypoint", "a b"),
    ("tcib_cmd", ["a", "b"]),
    ("tcib_runs", [["exec", "form"], "shell form"]),
    ("tcib_exposes", [80, "53/udp"]),
    ("tcib_envs", {"A": 1, "B": True, "C": "x", "D": 1.5}),
    ("tcib_packages", {"common": ["a", "b"], "nested": {"deep": [1]}}),
    ("tcib_meta", {"any": [{"thing": None}]}),
])
def test_values_of_the_right_type_pass(key, value):
    validate({key: value})


@pytest.mark.parametrize("key, value, words", [
    ("tcib_args", ["A=1"], ["must be a dict", "list"]),
    ("tcib_envs", "A=1", ["must be a dict", "str"]),
    ("tcib_volumes", "/var/lib/x", ["must be a list", "str"]),
    ("tcib_runs", {"run": "x"}, ["must be a list", "dict"]),
    ("tcib_actions", {"run": "x"}, ["must be a list", "dict"]),
    ("tcib_workdir", ["/a"], ["must be a str", "list"]),
    ("tcib_user", True, ["must be a str", "bool"]),
    ("tcib_entrypoint", {"a": 1}, ["must be a str or list", "dict"]),
    ("tcib_cmd", 5, ["must be a str or list", "int"]),
    ("tcib_labels", {"a": None}, ["'a'", "string or number", "NoneType"]),
    ("tcib_envs", {"A": ["x"]}, ["'A'", "string or number", "list"]),
    ("tcib_args", {"A": {"b": 1}}, ["'A'", "dict"]),
    ("tcib_volumes", [{"a": 1}], ["items must be strings", "dict"]),
    ("tcib_copies", [["a", "b"]], ["items must be strings", "list"]),
    ("tcib_gather_files", [None], ["items must be strings", "NoneType"]),
])
def test_wrong_types_are_rejected_naming_file_and_key(key, value, words):
    error = validation_error({key: value})
    message = str(error)
    assert SOURCE in message and key in message
    for word in words:
        assert word in message


def test_non_string_variable_name_is_rejected():
    with pytest.raises(VariableError) as info:
        validate({3: "x"})
    assert "must be strings" in str(info.value)


@pytest.mark.parametrize("actions, index, words", [
    ([{"run": "a", "user": "b"}], 0, ["exactly one key"]),
    ([{"run": "ok"}, {}], 1, ["exactly one key"]),
    ([{"run": "ok"}, "run: x"], 1, ["exactly one key"]),
    ([["run", "x"]], 0, ["exactly one key"]),
    ([{"run": "ok"}, {"run": "ok"}, {"frobnicate": "x"}], 2, ["unknown action", "'frobnicate'"]),
    ([{"from": "image"}], 0, ["unknown action", "'from'"]),
    ([{"run": {"nested": "x"}}], 0, ["string or a list", "dict"]),
    ([{"user": None}], 0, ["string or a list", "NoneType"]),
])
def test_malformed_actions_are_rejected(actions, index, words):
    error = validation_error({"tcib_actions": actions})
    message = str(error)
    assert SOURCE in message
    assert "tcib_actions[%d]" % index in message
    for word in words:
        assert word in message


def test_every_known_action_and_upper_case_keys_are_accepted():
    actions = [{key: "x"} for key in ACTION_KEYS] + [{"RUN": "y"}, {"Workdir": "/z"}, {"run": ["a", "b"]}]
    validate({"tcib_actions": actions})


def test_error_without_source_names_the_key_only():
    with pytest.raises(VariableError) as info:
        validate({"tcib_nope": 1})
    assert str(info.value).startswith("tcib_nope: ")
    assert info.value.source is None


# --- template -------------------------------------------------------------------------------

def test_packages_join_in_actions():
    variables = {
        "tcib_packages": {"common": ["nova-common", "python3-nova"], "extra": ["x"]},
        "tcib_actions": [{"run": "dnf install -y {{ tcib_packages['common'] | join(' ') }}"},
                         {"user": "nova"}],
    }
    rendered = template(variables)
    assert rendered["tcib_actions"] == [{"run": "dnf install -y nova-common python3-nova"}, {"user": "nova"}]
    # The input is not modified and plain values come back unchanged.
    assert variables["tcib_actions"][0]["run"].startswith("dnf install -y {{")
    assert rendered["tcib_packages"] == variables["tcib_packages"]


def test_context_variables_are_visible_and_image_variables_win():
    rendered = template({"tcib_workdir": "/{{ tcib_distro }}/{{ tcib_release }}", "tcib_release": "14"},
                        context={"tcib_distro": "debian", "tcib_release": "13"})
    assert rendered["tcib_workdir"] == "/debian/14"
    assert "tcib_distro" not in rendered  # context is scope, not output


def test_non_string_values_and_structure_are_kept():
    variables = {"tcib_exposes": [80, "{{ port }}"], "port": 443, "flag": True, "none": None,
                 "tcib_envs": {"A": "{{ port }}", "B": 2}}
    rendered = template(variables)
    assert rendered["tcib_exposes"] == [80, "443"]
    assert rendered["tcib_envs"] == {"A": "443", "B": 2}
    assert rendered["flag"] is True and rendered["none"] is None


def test_pure_filters_work():
    rendered = template({
        "j": "{{ {'b': 1, 'a': [2]} | to_json }}",
        "r": "{{ 'python3-nova' | regex_replace('^python3-', 'py-') }}",
        "b": "{% if 'yes' | bool %}on{% else %}off{% endif %}",
        "n": "{{ range(3) | list | join(',') }}",
    })
    assert rendered == {"j": '{"a": [2], "b": 1}', "r": "py-nova", "b": "on", "n": "0,1,2"}


def test_undefined_variable_names_file_key_and_variable():
    error = template_error({"tcib_runs": ["install {{ tcib_packages.missing | join(' ') }}"],
                            "tcib_packages": {"common": []}})
    message = str(error)
    assert SOURCE in message and "tcib_runs" in message
    assert "undefined" in message and "missing" in message
    assert error.source == SOURCE and error.key == "tcib_runs"


def test_undefined_top_level_name_names_it():
    error = template_error({"tcib_workdir": "{{ nowhere_defined }}"})
    assert "nowhere_defined" in str(error) and "tcib_workdir" in str(error)


def test_syntax_error_is_a_variable_error():
    error = template_error({"tcib_user": "{{ unclosed "})
    assert "template error" in str(error) and SOURCE in str(error)


@pytest.mark.parametrize("expression", [
    "{{ lookup('pipe', 'id') }}",
    "{{ lookup('file', '/etc/passwd') }}",
    "{{ query('pipe', 'id') }}",
    "{{ 'id' | pipe }}",
    "{{ '/etc/passwd' | file }}",
    "{% include '/etc/passwd' %}",
    "{% import '/etc/passwd' as x %}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ namespace.__init__.__globals__ }}",
])
def test_no_host_access(expression):
    error = template_error({"tcib_runs": [expression]})
    assert "tcib_runs" in str(error)


@pytest.mark.parametrize("name", ["cycler", "joiner", "lipsum", "namespace", "lookup", "query", "q"])
def test_only_pure_globals_are_known(name):
    # The sandbox knows the image's variables, range and dict: none of Jinja's or Ansible's extras.
    error = template_error({"tcib_workdir": "{{ %s }}" % name})
    assert "undefined" in str(error) and name in str(error)


@pytest.mark.parametrize("expression", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ dict.mro()[-1].__subclasses__() }}",
    "{{ range.__init__ }}",
    "{{ (1).__class__.__bases__ }}",
    "{{ '{0.__class__}'.format('') }}",
    "{{ x | attr('__class__') }}",
    "{{ x.__class__ }}",
    "{{ tcib_packages.common.append('evil') }}",
    "{{ tcib_packages.update({'a': 1}) }}",
])
def test_sandbox_escapes_fail_or_yield_nothing_dangerous(expression):
    variables = {"tcib_workdir": expression, "x": "", "tcib_packages": {"common": ["a"]}}
    try:
        value = template(variables)["tcib_workdir"]
    except VariableError as exc:
        assert "tcib_workdir" in str(exc)
    else:
        for word in ("class", "object", "subclass", "function", "module", "evil"):
            assert word not in value
    # Whatever happened, the image's data was not changed by the template.
    assert variables["tcib_packages"] == {"common": ["a"]}


def test_templates_referring_to_templates_are_rendered_recursively():
    variables = {
        "tcib_workdir": "{{ top }}",
        "top": "/{{ middle }}",
        "middle": "{{ bottom }}/x",
        "bottom": "srv",
        "tcib_packages": {"common": ["{{ bottom }}-pkg", "other"]},
        "tcib_actions": [{"run": "install {{ tcib_packages.common | join(' ') }}"}],
    }
    rendered = template(variables)
    assert rendered["tcib_workdir"] == "/srv/x"
    assert rendered["top"] == "/srv/x"
    assert rendered["tcib_actions"] == [{"run": "install srv-pkg other"}]


@pytest.mark.parametrize("variables, key", [
    ({"tcib_workdir": "{{ tcib_workdir }}"}, "tcib_workdir"),
    ({"tcib_workdir": "x{{ tcib_workdir }}"}, "tcib_workdir"),
    ({"tcib_workdir": "{{ a }}", "a": "{{ b }}", "b": "{{ a }}"}, "tcib_workdir"),
    ({"tcib_runs": ["{{ tcib_runs | join(' ') }}"]}, "tcib_runs"),
])
def test_self_recursion_errors_cleanly(variables, key):
    with pytest.raises(VariableError) as info:
        template(variables, dict.fromkeys(variables, SOURCE))
    message = str(info.value)
    assert "cycle" in message
    assert SOURCE in message and key in message


def chain(levels):
    """v0 -> v1 -> ... -> "end": `levels` templates, each naming the next."""
    variables = dict(("v%d" % i, "{{ v%d }}" % (i + 1)) for i in range(levels))
    variables["v%d" % levels] = "end"
    return variables


def test_long_chains_of_references_render():
    rendered = template(chain(60))
    assert rendered["v0"] == "end" and rendered["v59"] == "end"


def test_a_cycle_names_the_chain():
    with pytest.raises(VariableError) as info:
        template({"v0": "{{ v1 }}", "v1": "{{ v2 }}", "v2": "x{{ v0 }}"})
    assert "v0 -> v1 -> v2 -> v0" in str(info.value)


@pytest.mark.parametrize("expression, words", [
    ("{{ 1 / 0 }}", ["ZeroDivisionError"]),
    ("{{ 'a' + 1 }}", ["TypeError"]),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", ["RecursionError"]),
    ("{{ tcib_packages.nope.deeper }}", ["undefined"]),
])
def test_runtime_errors_in_templates_name_file_and_key(expression, words):
    error = template_error({"tcib_workdir": expression, "tcib_packages": {}})
    message = str(error)
    assert SOURCE in message and "tcib_workdir" in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("value", ["{% raw %}{{ .State.Health }}{% endraw %}", "{{ '{{' }} .State.Health }}"])
def test_escaped_braces_come_out_literally(value):
    assert template({"tcib_healthcheck": "CMD podman inspect -f '%s'" % value})["tcib_healthcheck"] == \
        "CMD podman inspect -f '{{ .State.Health }}'"


@pytest.mark.parametrize("runs", [[{"a": 1}], [None]])
def test_runs_items_must_be_commands_or_exec_lists(runs):
    with pytest.raises(VariableError) as info:
        validate({"tcib_runs": runs}, {"tcib_runs": SOURCE})
    assert "tcib_runs" in str(info.value) and SOURCE in str(info.value)


def test_runs_accept_strings_and_exec_lists():
    validate({"tcib_runs": ["echo a", ["/bin/echo", "b"]]})


def test_range_is_bounded():
    with pytest.raises(VariableError) as info:
        template({"tcib_workdir": "{{ range(10 ** 9) | list | length }}"}, {"tcib_workdir": SOURCE})
    assert "tcib_workdir" in str(info.value)


# --- tcib_packages ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    ["openstack-nova-common"],                                     # upstream's nova-base: a plain list
    {"common": ["a"], "modules": [{"module": "x", "stream": "1"}]},
    {"common": None},
    {"common": ["a"], "nested": {"deep": ["b"]}},
])
def test_package_lists_upstream_writes_are_accepted(value):
    validate({"tcib_packages": value})


@pytest.mark.parametrize("value, words", [
    ({"common": "memcached"}, ["group 'common' must be a list of package names, got str 'memcached'",
                               "write [memcached]"]),
    ({"common": ["a"], "nested": {"deep": "b"}}, ["tcib_packages.nested", "group 'deep'"]),
    ({"common": 3}, ["group 'common'", "int"]),
    (["a", ["b"]], ["items must be package names", "list"]),
    (["a", True], ["items must be package names", "bool"]),
    ("memcached", ["must be a dict or list", "str"]),
])
def test_package_lists_of_the_wrong_shape_name_file_and_key(value, words):
    message = str(validation_error({"tcib_packages": value}))
    assert SOURCE in message and "tcib_packages" in message
    for word in words:
        assert word in message


def test_upstream_plain_package_list_renders_as_upstream_joins_it():
    variables = {"tcib_packages": ["openstack-nova-common", "python3"],
                 "tcib_actions": [{"run": "dnf install -y {{ tcib_packages | join(' ') }}"}]}
    assert template(variables)["tcib_actions"] == [{"run": "dnf install -y openstack-nova-common python3"}]


def test_a_template_compiled_once_renders_each_image_with_its_own_values_and_errors_every_time():
    text = "tcib-install {{ tcib_packages['common'] | join(' ') }}"
    first = template({"tcib_packages": {"common": ["a", "b"]}, "tcib_run": text})
    second = template({"tcib_packages": {"common": ["c"]}, "tcib_run": text})
    assert (first["tcib_run"], second["tcib_run"]) == ("tcib-install a b", "tcib-install c")
    # An undefined name is an error for each image whose files lack it, not only the first.
    for _attempt in range(2):
        with pytest.raises(VariableError, match="undefined"):
            template({"tcib_run": text})
    for _attempt in range(2):
        assert "template error" in str(template_error({"tcib_user": "{{ unclosed "}))


def test_the_compiled_templates_kept_are_bounded():
    from ansible_collections.tcib.images.plugins.module_utils import variables
    for number in range(variables._COMPILED_MAX + 10):
        template({"tcib_user": "{{ 'user%d' }}" % number})
    assert 0 < len(variables._COMPILED) <= variables._COMPILED_MAX
