"""Bad variable files stop the run with the file and key named, and tag no image."""

import subprocess
import uuid

import pytest

from conftest import REPO, TEST_NAMESPACE, ansible_playbook, images_named, podman


def _build(tree, tmp_path, namespace):
    return ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % tree, "work_dir=%s" % (tmp_path / "work"),
                            "namespace=%s" % namespace)


BAD_FILES = [
    ("broken yaml", "tcib_actions: [run: 'unclosed\n", "not valid YAML"),
    ("unknown key", "tcib_packagez:\n  common: [memcached]\n", "tcib_packagez: unknown variable"),
    ("wrong type", "tcib_actions: apt-get install memcached\n", "tcib_actions: must be a list"),
    ("undefined variable", "tcib_actions:\n  - run: tcib-install {{ tcib_pkgs.common }}\n",
     "tcib_actions: undefined variable in template"),
    ("lookup", "tcib_actions:\n  - run: echo {{ lookup('pipe', 'id') }}\n", "tcib_actions: undefined variable"),
]


@pytest.mark.parametrize("case,content,message", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_variable_file_fails_naming_file_and_key(tree, tmp_path, case, content, message):
    leaf = tree / "base" / "os" / "broken"
    leaf.mkdir()
    (leaf / "broken.yaml").write_text(content)
    namespace = "%s-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    result = _build(tree, tmp_path, namespace)
    assert result.returncode != 0
    assert str(leaf / "broken.yaml") in result.stdout
    assert message in result.stdout
    # Planning fails before any build: nothing is tagged under the run's names.
    assert images_named("localhost/%s/" % namespace) == []


def test_package_that_does_not_exist_fails_with_log_and_tags_nothing(tree, tmp_path):
    leaf = tree / "base" / "os" / "nosuch"
    leaf.mkdir()
    (leaf / "nosuch.yaml").write_text("tcib_actions:\n  - run: tcib-install tcib-no-such-package\n")
    namespace = "%s-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    result = _build(tree, tmp_path, namespace)
    try:
        assert result.returncode != 0
        log = tmp_path / "work" / "base" / "os" / "nosuch" / "nosuch-build.log"
        assert str(log) in result.stdout
        assert "Unable to locate package tcib-no-such-package" in result.stdout  # the log tail
        assert "Unable to locate package tcib-no-such-package" in log.read_text()
        built = images_named("localhost/%s/" % namespace)
        # The parents built fine; the failing image has no final name, and no temporary one is left.
        assert "localhost/%s/openstack-os:latest" % namespace in built
        assert not any("nosuch" in name for name in built), built
        assert not any("nosuch" in name for name in images_named("localhost/tcib-build-in-progress/"))
        containers = podman("ps", "-a", "--external", "--format", "{{.Image}}").stdout
        assert "nosuch" not in containers
    finally:
        for name in images_named("localhost/%s/" % namespace):
            podman("rmi", name, check=False)


def test_a_work_dir_in_use_by_another_run_is_refused(tree, tmp_path):
    """Another run (here flock(1) holding the same lock) owns the work_dir: the run fails at planning,
    naming the work_dir, and neither rewrites its plan nor builds."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "plan.json").write_text("the other run's plan")
    holder = subprocess.Popen(["flock", "--exclusive", str(work / ".tcib-images.lock"), "sleep", "300"])
    namespace = "%s-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    try:
        result = _build(tree, tmp_path, namespace)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode != 0
    assert "work_dir %s is in use by another run" % work in result.stdout
    assert (work / "plan.json").read_text() == "the other run's plan"
    assert images_named("localhost/%s/" % namespace) == []
