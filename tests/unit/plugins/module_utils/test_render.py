# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Containerfile rendering: one instruction per tcib_* variable, upstream order, quoting."""

import json

import pytest

from ansible_collections.tcib.images.plugins.module_utils.render import exec_form, render
from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError

BASE = "quay.io/example/base:1"


def lines_of(variables, from_image=BASE):
    text = render(variables, from_image)
    assert text.endswith("\n") and not text.endswith("\n\n")
    return text.splitlines()


def body(variables):
    """The instructions a variable adds: without the FROM line and the fixed USER root."""
    lines = lines_of(variables)
    assert lines[0] == "FROM %s" % BASE
    rest = lines[1:]
    rest.remove("USER root")
    return rest


def unquote_containerfile(text):
    """Read a double-quoted word as the Containerfile parser (moby/imagebuilder lexer) does:
    inside double quotes only \\" \\$ and \\\\ are escapes, every other backslash stays."""
    assert text[0] == '"' and text[-1] == '"', text
    inner, out, i = text[1:-1], [], 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\" and i + 1 < len(inner) and inner[i + 1] in '"$\\':
            out.append(inner[i + 1])
            i += 2
            continue
        assert ch != '"', "unescaped quote inside %s" % text
        out.append(ch)
        i += 1
    return "".join(out)


def test_nothing_set_gives_from_and_user_root():
    assert render({}, BASE) == "FROM %s\nUSER root\n" % BASE


@pytest.mark.parametrize("variables, expected", [
    ({"tcib_args": {"RELEASE": "13"}}, ['ARG RELEASE="13"']),
    ({"tcib_labels": {"maintainer": "ops"}}, ['LABEL maintainer="ops"']),
    ({"tcib_envs": {"LANG": "C.UTF-8"}}, ['ENV LANG="C.UTF-8"']),
    ({"tcib_onbuilds": ["RUN echo one", "RUN echo two"]}, ["ONBUILD RUN echo one", "ONBUILD RUN echo two"]),
    ({"tcib_volumes": ["/var/lib/nova", "/etc/nova"]}, ['VOLUME ["/var/lib/nova", "/etc/nova"]']),
    ({"tcib_workdir": "/var/lib/nova"}, ["WORKDIR /var/lib/nova"]),
    ({"tcib_adds": ["https://example.org/a.tgz /tmp/"]}, ["ADD https://example.org/a.tgz /tmp/"]),
    ({"tcib_exposes": [8774, "53/udp"]}, ["EXPOSE 8774", "EXPOSE 53/udp"]),
    ({"tcib_copies": ["kolla_start /usr/local/bin/", "x /y"]},
     ["COPY kolla_start /usr/local/bin/", "COPY x /y"]),
    ({"tcib_shell": "/bin/bash -o pipefail -c"}, ['SHELL ["/bin/bash", "-o", "pipefail", "-c"]']),
    ({"tcib_shell": ["/bin/sh", "-c"]}, ['SHELL ["/bin/sh", "-c"]']),
    ({"tcib_runs": ["apt-get update", "rm -rf /var/lib/apt/lists/*"]},
     ["RUN apt-get update", "RUN rm -rf /var/lib/apt/lists/*"]),
    ({"tcib_actions": [{"run": "true"}]}, ["RUN true"]),
    ({"tcib_healthcheck": "CMD /openstack/healthcheck"}, ["HEALTHCHECK CMD /openstack/healthcheck"]),
    ({"tcib_stopsignal": "SIGKILL"}, ["STOPSIGNAL SIGKILL"]),
    ({"tcib_entrypoint": "dumb-init --single-child --"},
     ['ENTRYPOINT ["dumb-init", "--single-child", "--"]']),
    ({"tcib_cmd": "kolla_start"}, ['CMD ["kolla_start"]']),
    ({"tcib_user": "nova"}, ["USER nova"]),
    # Not emitted: conventions and build-context data.
    ({"tcib_packages": {"common": ["a"]}}, []),
    ({"tcib_gather_files": ["x"]}, []),
    ({"tcib_meta": {"a": 1}, "tcib_distro": "debian", "tcib_release": "13", "tcib_path": "/p"}, []),
    ({"my_own_var": "RUN rm -rf /"}, []),
    # Empty values add nothing.
    ({"tcib_volumes": [], "tcib_workdir": "", "tcib_runs": None, "tcib_user": None}, []),
])
def test_each_variable_renders_its_instruction(variables, expected):
    assert body(variables) == expected


def test_from_image_is_used_without_tcib_from():
    assert lines_of({}, "localhost/tcib/openstack-base:latest")[0] == "FROM localhost/tcib/openstack-base:latest"


def test_tcib_from_overrides_from_image():
    lines = lines_of({"tcib_from": "registry.example/other:2"}, "localhost/tcib/parent:latest")
    assert lines[0] == "FROM registry.example/other:2"
    assert not any("localhost/tcib/parent" in line for line in lines)


UPSTREAM_ORDER = ["FROM", "ARG", "LABEL", "ENV", "USER root", "ONBUILD", "VOLUME", "WORKDIR", "ADD",
                  "EXPOSE", "COPY", "SHELL", "RUN", "actions", "HEALTHCHECK", "STOPSIGNAL",
                  "ENTRYPOINT", "CMD", "USER"]


def test_full_upstream_order_with_every_variable_set():
    variables = {
        "tcib_from": "base:1",
        "tcib_args": {"A": "1"},
        "tcib_labels": {"l": "v"},
        "tcib_envs": {"E": "v"},
        "tcib_onbuilds": ["RUN onbuild"],
        "tcib_volumes": ["/vol"],
        "tcib_workdir": "/work",
        "tcib_adds": ["add.tgz /"],
        "tcib_exposes": [80],
        "tcib_copies": ["copy /"],
        "tcib_shell": "/bin/bash -c",
        "tcib_runs": ["run-step"],
        # Action kinds chosen so that each would be misplaced if actions were not rendered in place.
        "tcib_actions": [{"user": "actionuser"}, {"run": "action-step"}, {"workdir": "/actiondir"}],
        "tcib_healthcheck": "CMD hc",
        "tcib_stopsignal": "SIGTERM",
        "tcib_entrypoint": "ep",
        "tcib_cmd": "cmd",
        "tcib_user": "finaluser",
    }
    assert lines_of(variables, "ignored") == [
        "FROM base:1",
        'ARG A="1"',
        'LABEL l="v"',
        'ENV E="v"',
        "USER root",
        "ONBUILD RUN onbuild",
        'VOLUME ["/vol"]',
        "WORKDIR /work",
        "ADD add.tgz /",
        "EXPOSE 80",
        "COPY copy /",
        'SHELL ["/bin/bash", "-c"]',
        "RUN run-step",
        "USER actionuser",
        "RUN action-step",
        "WORKDIR /actiondir",
        "HEALTHCHECK CMD hc",
        "STOPSIGNAL SIGTERM",
        'ENTRYPOINT ["ep"]',
        'CMD ["cmd"]',
        "USER finaluser",
    ]


def test_order_does_not_depend_on_dict_order():
    forward = {"tcib_user": "u", "tcib_cmd": "c", "tcib_runs": ["r"], "tcib_envs": {"E": "1"},
               "tcib_workdir": "/w"}
    backward = dict(reversed(list(forward.items())))
    assert render(forward, BASE) == render(backward, BASE)
    keywords = [line.split()[0] for line in lines_of(forward)]
    assert keywords == ["FROM", "ENV", "USER", "WORKDIR", "RUN", "CMD", "USER"]


def test_user_root_comes_after_env_and_final_user_last():
    lines = lines_of({"tcib_envs": {"A": "1"}, "tcib_user": "keystone", "tcib_cmd": "x"})
    assert lines.index("USER root") == lines.index('ENV A="1"') + 1
    assert lines[-1] == "USER keystone"


QUOTING_VALUES = [
    "two words",
    'say "hi"',
    '"fully quoted"',
    'mixed "a b" and \'c d\'',
    "back\\slash",
    "trailing backslash\\",
    "",
    "   leading and trailing spaces   ",
    "a=b=c",
    "# not a comment",
]


@pytest.mark.parametrize("instruction, variable", [("ENV", "tcib_envs"), ("LABEL", "tcib_labels"),
                                                   ("ARG", "tcib_args")])
@pytest.mark.parametrize("value", QUOTING_VALUES)
def test_pair_values_are_quoted_and_parse_back_unchanged(instruction, variable, value):
    (line,) = body({variable: {"KEY": value}})
    prefix = "%s KEY=" % instruction
    assert line.startswith(prefix)
    quoted = line[len(prefix):]
    assert json.loads(quoted) == value
    # And the way the Containerfile parser reads a double-quoted word gives it back too.
    assert unquote_containerfile(quoted) == value


@pytest.mark.parametrize("value", ["José Müller", "日本語", "naïve \u201csmart quotes\u201d"])
def test_non_ascii_pair_values_are_not_json_escaped(value):
    # A \\uXXXX escape is not understood inside Containerfile double quotes: it would
    # end up in the label or environment as literal text.
    (line,) = body({"tcib_labels": {"maintainer": value}})
    quoted = line[len("LABEL maintainer="):]
    assert "\\u" not in quoted
    assert unquote_containerfile(quoted) == value
    assert json.loads(quoted) == value


def test_numbers_in_pairs_become_quoted_strings():
    assert body({"tcib_args": {"N": 3, "F": 1.5}}) == ['ARG N="3"', 'ARG F="1.5"']


def test_booleans_in_pairs_are_written_as_upstream_did():
    # Upstream's template wrote `value | to_json`: a YAML true is true, not Python's True.
    assert body({"tcib_labels": {"tcib_managed": True, "off": False}}) == [
        'LABEL tcib_managed="true"', 'LABEL off="false"']
    assert body({"tcib_envs": {"A": True}, "tcib_args": {"B": False}}) == ['ARG B="false"', 'ENV A="true"']


def test_pairs_keep_mapping_order():
    assert body({"tcib_envs": {"B": "1", "A": "2", "C": "3"}}) == ['ENV B="1"', 'ENV A="2"', 'ENV C="3"']


@pytest.mark.parametrize("value, expected", [
    ('/bin/sh -c "echo a b"', ["/bin/sh", "-c", "echo a b"]),
    (["/bin/sh", "-c", "echo a b"], ["/bin/sh", "-c", "echo a b"]),
    ("kolla_start", ["kolla_start"]),
    ("  dumb-init   --single-child  -- ", ["dumb-init", "--single-child", "--"]),
    ("sh -c 'echo \"quoted\" words'", ["sh", "-c", 'echo "quoted" words']),
    ('["/usr/bin/already", "exec form"]', ["/usr/bin/already", "exec form"]),
    (["/usr/bin/x", 8080], ["/usr/bin/x", "8080"]),
])
@pytest.mark.parametrize("variable, instruction", [("tcib_entrypoint", "ENTRYPOINT"), ("tcib_cmd", "CMD")])
def test_entrypoint_and_cmd_are_exec_form(variable, instruction, value, expected):
    (line,) = body({variable: value})
    prefix = instruction + " "
    assert line.startswith(prefix)
    assert json.loads(line[len(prefix):]) == expected


def test_quoted_argument_is_not_split_on_whitespace():
    # Upstream split on whitespace and produced ["/bin/sh", "-c", "\"echo", "a", "b\""].
    (line,) = body({"tcib_cmd": '/bin/sh -c "echo a b"'})
    assert line == 'CMD ["/bin/sh", "-c", "echo a b"]'


@pytest.mark.parametrize("value", ['echo "unterminated', "[ -f /etc/x ] && run", '["a", ', "it's"])
def test_unreadable_exec_form_is_a_variable_error(value):
    with pytest.raises(VariableError) as info:
        render({"tcib_cmd": value}, BASE)
    assert repr(value.strip()) in str(info.value)


def test_exec_form_function():
    assert exec_form("a 'b c'") == '["a", "b c"]'
    assert exec_form(["a", "b c"]) == '["a", "b c"]'


@pytest.mark.parametrize("volumes, expected", [
    (["/var/lib/mysql"], ["/var/lib/mysql"]),
    (["/a", "/with space", '/with"quote'], ["/a", "/with space", '/with"quote']),
])
def test_volume_is_a_json_array(volumes, expected):
    (line,) = body({"tcib_volumes": volumes})
    assert line.startswith("VOLUME [")
    assert json.loads(line[len("VOLUME "):]) == expected
    assert "'" not in line  # not a Python list repr


def test_runs_list_item_is_exec_form_and_string_is_shell_form():
    assert body({"tcib_runs": [["/bin/echo", "a b"], "echo c d"]}) == [
        'RUN ["/bin/echo", "a b"]',
        "RUN echo c d",
    ]


def test_actions_of_several_kinds_render_in_the_given_order():
    actions = [
        {"run": "apt-get install -y nova"},
        {"workdir": "/var/lib/nova"},
        {"user": "nova"},
        {"run": ["/bin/echo", "exec form"]},
        {"copy": "a.conf /etc/a.conf"},
        {"add": ["x /x", "y /y"]},
        {"env": 'A="1"'},
        {"label": "k=v"},
        {"expose": 8080},
        {"volume": "/data"},
        {"volume": ["/d1", "/d2"]},
        {"entrypoint": 'sh -c "a b"'},
        {"cmd": ["c", "d"]},
        {"shell": "/bin/bash -c"},
        {"healthcheck": "NONE"},
        {"stopsignal": "SIGINT"},
        {"onbuild": "RUN x"},
        {"arg": "V=1"},
        {"RUN": "upper-case key"},
        {"user": "root"},
    ]
    assert body({"tcib_actions": actions}) == [
        "RUN apt-get install -y nova",
        "WORKDIR /var/lib/nova",
        "USER nova",
        'RUN ["/bin/echo", "exec form"]',
        "COPY a.conf /etc/a.conf",
        'ADD ["x /x", "y /y"]',
        'ENV A="1"',
        "LABEL k=v",
        "EXPOSE 8080",
        'VOLUME ["/data"]',
        'VOLUME ["/d1", "/d2"]',
        'ENTRYPOINT ["sh", "-c", "a b"]',
        'CMD ["c", "d"]',
        'SHELL ["/bin/bash", "-c"]',
        "HEALTHCHECK NONE",
        "STOPSIGNAL SIGINT",
        "ONBUILD RUN x",
        "ARG V=1",
        "RUN upper-case key",
        "USER root",
    ]


def test_action_list_for_instruction_without_exec_form_repeats_it():
    assert body({"tcib_actions": [{"workdir": ["/a", "/b"]}]}) == ["WORKDIR /a", "WORKDIR /b"]


def test_actions_come_after_runs_and_before_healthcheck():
    lines = lines_of({"tcib_runs": ["r"], "tcib_actions": [{"run": "a"}], "tcib_healthcheck": "NONE"})
    assert lines.index("RUN r") < lines.index("RUN a") < lines.index("HEALTHCHECK NONE")


MERGE_CASES = [
    ([{"run": "a"}, {"run": "b"}], ["RUN a \\", "    && b"]),
    ([{"run": "a"}, {"run": "b || true"}], ["RUN a \\", "    && { b || true; }"]),
    ([{"run": "a"}, {"user": "x"}, {"run": "b"}], ["RUN a", "USER x", "RUN b"]),
    ([{"run": "a"}, {"run": ["exec", "form"]}, {"run": "b"}], ["RUN a", 'RUN ["exec", "form"]', "RUN b"]),
    ([{"run": "a # why"}, {"run": "b"}], ["RUN a # why", "RUN b"]),
]


@pytest.mark.parametrize("actions,lines", MERGE_CASES)
def test_merge_joins_consecutive_shell_runs_only(actions, lines):
    text = render({"tcib_actions": actions}, "img", merge=True)
    assert text.splitlines()[2:] == lines


def test_merge_is_off_by_default():
    assert render({"tcib_actions": [{"run": "a"}, {"run": "b"}]}, "img").splitlines()[2:] == ["RUN a", "RUN b"]
