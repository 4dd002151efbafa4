"""Write the tcib_* options of roles/containerfile/meta/argument_specs.yml from the one schema, ``SCHEMA``
in plugins/module_utils/variables.py (``make argument-specs``): one option per variable, in the schema's
order, its type from the variable's kind; the descriptions stay those of the file (a new variable's must be
written there). ``--check``: exit 1, saying so, when the file is not what it would write (tests/unit runs
the same comparison)."""

import os
import sys

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(REPO_ROOT, "roles", "containerfile", "meta", "argument_specs.yml")
HEADER = ("# The tcib_* options (names, order, types) are written by `make argument-specs` from SCHEMA in\n"
          "# plugins/module_utils/variables.py: change them there. Descriptions and the rest are edited here.\n")
# How validate() takes list items that are not strings: commands in exec form, one-key mappings.
LIST_ELEMENTS = {"tcib_runs": "raw", "tcib_actions": "dict"}


class SchemaError(Exception):
    """A variable of the schema has no description in the file yet."""


def option_type(name):
    """The argument spec of a variable, from its kind in the schema."""
    from ansible_collections.tcib.images.plugins.module_utils import variables

    if name == "tcib_path":
        return {"type": "path", "required": True}  # the role's output directory
    kind = variables.SCHEMA[name]
    if kind == variables.LIST:
        return {"type": "list", "elements": LIST_ELEMENTS.get(name, "str")}
    if kind in (variables.STR, variables.DICT):
        return {"type": kind}
    return {"type": "raw"}  # str or list, dict or list


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, as the other YAML files of the collection."""

    def increase_indent(self, flow=False, indentless=False):
        return super(_Dumper, self).increase_indent(flow, False)


def generate(text):
    """The file's text with its tcib_* options written from SCHEMA (first, in the schema's order)."""
    from ansible_collections.tcib.images.plugins.module_utils import variables

    document = yaml.safe_load(text)
    options = document["argument_specs"]["main"]["options"]
    written = {}
    for name in variables.SCHEMA:
        description = (options.get(name) or {}).get("description")
        if not description:
            raise SchemaError("%s: describe the new variable %s under options (make argument-specs keeps it)"
                              % (PATH, name))
        written[name] = dict(option_type(name), description=description)
    written.update((name, value) for name, value in options.items() if not name.startswith("tcib_"))
    document["argument_specs"]["main"]["options"] = written
    return HEADER + "---\n" + yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=110, allow_unicode=True)


def main(argv):
    with open(PATH) as handle:
        text = handle.read()
    wanted = generate(text)
    if "--check" in argv:
        if text != wanted:
            sys.stderr.write("%s is not what `make argument-specs` writes from VARIABLES: run it\n" % PATH)
            return 1
        return 0
    if text != wanted:
        with open(PATH, "w") as handle:
            handle.write(wanted)
    return 0


if __name__ == "__main__":
    import collection_path  # this checkout's collection (tests/unit has it importable already)

    collection_path.install()
    sys.exit(main(sys.argv[1:]))
