# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The containerfile role's tcib_* options are the schema's (SCHEMA), as `make argument-specs` writes them."""

import pytest
import yaml

import argument_specs
from ansible_collections.tcib.images.plugins.module_utils.variables import SCHEMA


def test_the_role_s_argument_specs_are_generated_from_the_schema():
    with open(argument_specs.PATH) as handle:
        text = handle.read()
    assert text == argument_specs.generate(text), "run `make argument-specs`"


def test_every_variable_the_schema_knows_is_an_option_of_the_role_and_no_other():
    with open(argument_specs.PATH) as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    assert [name for name in options if name.startswith("tcib_")] == list(SCHEMA)


def test_a_type_changed_by_hand_or_a_new_variable_shows(monkeypatch):
    with open(argument_specs.PATH) as handle:
        text = handle.read()
    changed = text.replace("      tcib_workdir:\n        type: str", "      tcib_workdir:\n        type: raw")
    assert changed != text and argument_specs.generate(changed) == text
    monkeypatch.setitem(SCHEMA, "tcib_new", "str")
    with pytest.raises(argument_specs.SchemaError, match="describe the new variable tcib_new"):
        argument_specs.generate(text)
