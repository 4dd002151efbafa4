"""A small real tree: failures skip descendants only; no-op rebuilds build nothing; edits rebuild just enough."""

import json
import shutil

import pytest

from conftest import REPO, ansible_playbook, images_named, podman, recap

LEAF = "tcib_envs:\n  LEAF: {value}\ntcib_actions:\n  - run: echo {value} > /leaf\n"


@pytest.fixture
def small_tree(tree):
    for name, value in (("leaf-a", "a1"), ("leaf-b", "b1")):
        (tree / "base" / "os" / name).mkdir()
        (tree / "base" / "os" / name / ("%s.yaml" % name)).write_text(LEAF.format(value=value))
    broken = tree / "base" / "os" / "broken"
    (broken / "broken-child").mkdir(parents=True)
    (broken / "broken.yaml").write_text("tcib_actions:\n  - run: tcib-install tcib-no-such-package\n")
    (broken / "broken-child" / "broken-child.yaml").write_text("tcib_user: nobody\n")
    return tree


def build(tree, work_dir, namespace, *extra, check=False):
    result = ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % tree, "work_dir=%s" % work_dir,
                              "namespace=%s" % namespace, *extra, check=check)
    summary = json.loads((work_dir / "summary.json").read_text()) if (work_dir / "summary.json").exists() else {}
    statuses = dict((item["name"], item["status"]) for item in summary.get("images", []))
    return result, statuses


def test_failure_skips_descendants_and_later_runs_rebuild_only_what_changed(small_tree, tmp_path, namespace):
    work = tmp_path / "work"
    result, statuses = build(small_tree, work, namespace)
    assert result.returncode != 0
    assert statuses == {"base": "built", "os": "built", "leaf-a": "built", "leaf-b": "built",
                        "broken": "failed", "broken-child": "skipped"}, result.stdout[-3000:]
    assert "skipped because broken failed" in result.stdout
    assert "broken-build.log" in result.stdout or "broken-build.log" in (work / "summary.json").read_text()
    names = images_named("localhost/%s/" % namespace)
    assert not any("broken" in name for name in names), names

    # Fixed tree, nothing changed: nothing is rebuilt and the run reports no change at all.
    shutil.rmtree(small_tree / "base" / "os" / "broken")
    ids_before = dict((ref, podman("image", "inspect", "--format", "{{.Id}}", ref).stdout.strip())
                      for ref in images_named("localhost/%s/" % namespace))
    result, statuses = build(small_tree, work, namespace)
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(statuses.values()) == {"up to date"}, statuses
    assert recap(result.stdout)["changed"] == 0
    assert ids_before == dict((ref, podman("image", "inspect", "--format", "{{.Id}}", ref).stdout.strip())
                              for ref in ids_before)

    # A check run prints the plan and writes it as a preview, building nothing and leaving the real run's
    # plan and contexts as they were; it reports the change the real run would make.
    real_plan = (work / "plan.json").read_text()
    (small_tree / "base" / "os" / "leaf-a" / "leaf-a.yaml").write_text(LEAF.format(value="a2"))
    result, _statuses = build(small_tree, work, namespace, check=True)
    assert result.returncode == 0, result.stdout[-3000:]
    plan = json.loads((work / "check-plan.json").read_text())
    plan_status = dict((item["name"], (item["status"], item["reason"])) for item in plan["images"])
    assert plan_status["leaf-a"] == ("would build", "inputs changed")
    assert plan_status["leaf-b"] == ("up to date", "inputs unchanged")
    assert '"os" -> "leaf-a"' in (work / "check-plan.dot").read_text()
    assert (work / "plan.json").read_text() == real_plan
    assert "a1" in (work / "base" / "os" / "leaf-a" / "Containerfile").read_text()
    assert recap(result.stdout)["changed"] == 2  # the plan (a Containerfile to write) and the build
    run = podman("run", "--rm", "localhost/%s/openstack-leaf-a:latest" % namespace, "cat", "/leaf")
    assert run.stdout.strip() == "a1"

    # Editing one leaf rebuilds that leaf only.
    result, statuses = build(small_tree, work, namespace)
    assert result.returncode == 0, result.stdout[-3000:]
    assert statuses == {"base": "up to date", "os": "up to date", "leaf-a": "built", "leaf-b": "up to date"}
    run = podman("run", "--rm", "localhost/%s/openstack-leaf-a:latest" % namespace, "cat", "/leaf")
    assert run.stdout.strip() == "a2"

    # Editing a parent rebuilds it and its descendants.
    with open(small_tree / "base" / "os" / "os.yaml", "a") as handle:
        handle.write("tcib_labels:\n  tcib.test: changed\n")
    result, statuses = build(small_tree, work, namespace)
    assert result.returncode == 0, result.stdout[-3000:]
    assert statuses == {"base": "up to date", "os": "built", "leaf-a": "built", "leaf-b": "built"}
    assert not images_named("localhost/tcib-build-in-progress/")


def test_unknown_service_lists_closest_names(small_tree, tmp_path, namespace):
    result, _statuses = build(small_tree, tmp_path / "work", namespace, "service=leaf-c")
    assert result.returncode != 0
    line = [ln for ln in result.stdout.splitlines() if "unknown service 'leaf-c'; closest known:" in ln][0]
    assert "leaf-a" in line and "leaf-b" in line


def test_cycle_through_tcib_from_names_the_files(small_tree, tmp_path, namespace):
    (small_tree / "base" / "base.yaml").write_text("tcib_from: leaf-a\n")
    result, _statuses = build(small_tree, tmp_path / "work", namespace)
    assert result.returncode != 0
    assert "cycle" in result.stdout
    assert str(small_tree / "base" / "os" / "leaf-a") in result.stdout
