"""The build's modules (container host, base image, plan, build graph), over a real ssh connection to this
host (as for any remote build host: each action plugin hands its task to the module), build, skip and fail
as the in-process path does.

The ssh server is the test's own (ssh_server.py, on 127.0.0.1); the client is OpenSSH's, through Ansible's
ssh connection plugin.
"""

import json

import pytest
import yaml

from conftest import REPO, ansible_playbook
from ssh_server import ssh_server

PLAYBOOK = REPO / "tests" / "integration" / "playbooks" / "build_graph_module.yml"


@pytest.fixture
def inventory(tmp_path):
    """An inventory of this host twice: `localhost` (local connection) and `over_ssh` (ssh to 127.0.0.1)."""
    directory = tmp_path / "ssh"
    directory.mkdir()
    with ssh_server(directory) as server:
        path = tmp_path / "inventory.yml"
        path.write_text(yaml.safe_dump({"all": {"hosts": {
            "localhost": {"ansible_connection": "local",
                          "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "over_ssh": server.host_vars()}}}))
        yield path


def run(inventory, work, tree, namespace, *extra):
    return ansible_playbook(PLAYBOOK, "work_dir=%s" % work, "tree=%s" % tree, "image_namespace=%s" % namespace,
                            *extra, inventory=inventory)


def statuses(work):
    return [item["status"] for item in json.loads((work / "summary.json").read_text())["images"]]


def test_the_module_path_builds_skips_and_fails_as_the_action_path(tmp_path, tree, namespace, inventory):
    result = run(inventory, tmp_path / "first", tree, namespace)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "over_ssh" in result.stdout and "localhost" not in result.stdout.split("PLAY RECAP")[1]
    assert "ok: [over_ssh]" in result.stdout.split("Find the base image")[1].split("TASK")[0]
    assert statuses(tmp_path / "first") == ["built", "built"]
    # No progress lines: the module's result comes back only when it ends.
    assert "os built in" not in result.stdout
    result = run(inventory, tmp_path / "again", tree, namespace)
    assert result.returncode == 0, result.stdout[-3000:]
    assert statuses(tmp_path / "again") == ["up to date", "up to date"]

    (tree / "base" / "os" / "broken").mkdir()
    (tree / "base" / "os" / "broken" / "broken.yaml").write_text(
        "tcib_actions:\n  - run: tcib-install tcib-no-such-package\n")
    messages = {}
    for target in ("over_ssh", "localhost"):
        work = tmp_path / target
        result = run(inventory, work, tree, namespace, "service=broken", "target=%s" % target)
        assert result.returncode != 0
        failed = [line.split("some images were not built", 1)[1] for line in result.stdout.splitlines()
                  if "some images were not built" in line]
        assert failed, result.stdout[-3000:]
        # The same words, and the table, whichever path ran (only the work_dir differs, and Ansible's own
        # prefix: "Module failed" or "Action failed").
        messages[target] = (failed[0].strip().replace(str(work), "WORK"), "REASON" in result.stdout)
    assert messages["over_ssh"] == messages["localhost"] == (messages["over_ssh"][0], True)
