"""tcib_build_graph through its module (as on a remote host: the action plugin hands the task over when the
task has an environment) builds and reports as the in-process path does."""

import json

from conftest import REPO, ansible_playbook

PLAYBOOK = REPO / "tests" / "integration" / "playbooks" / "build_graph_module.yml"


def run(work, tree, namespace, *extra):
    return ansible_playbook(PLAYBOOK, "work_dir=%s" % work, "tree=%s" % tree, "image_namespace=%s" % namespace,
                            *extra)


def statuses(work):
    return [item["status"] for item in json.loads((work / "summary.json").read_text())["images"]]


def test_the_module_path_builds_skips_and_fails_as_the_action_path(tmp_path, tree, namespace):
    result = run(tmp_path / "first", tree, namespace)
    assert result.returncode == 0, result.stdout[-3000:]
    assert statuses(tmp_path / "first") == ["built", "built"]
    # No progress lines: the module's result comes back only when it ends.
    assert "os built in" not in result.stdout
    result = run(tmp_path / "again", tree, namespace)
    assert result.returncode == 0, result.stdout[-3000:]
    assert statuses(tmp_path / "again") == ["up to date", "up to date"]

    (tree / "base" / "os" / "broken").mkdir()
    (tree / "base" / "os" / "broken" / "broken.yaml").write_text(
        "tcib_actions:\n  - run: tcib-install tcib-no-such-package\n")
    messages = {}
    for path in ("module", "action"):
        work = tmp_path / path
        result = run(work, tree, namespace, "service=broken", "through_module=%s" % (path == "module"))
        assert result.returncode != 0
        failed = [line.split("some images were not built", 1)[1] for line in result.stdout.splitlines()
                  if "some images were not built" in line]
        assert failed, result.stdout[-3000:]
        # The same words, and the table, whichever path ran (only the work_dir differs, and Ansible's own
        # prefix: "Module failed" or "Action failed").
        messages[path] = (failed[0].strip().replace(str(work), "WORK"), "REASON" in result.stdout)
    assert messages["module"] == messages["action"] == (messages["module"][0], True)
