"""keystone is built through build.yml with its parents and keystone-manage runs from the image."""

import re

from conftest import REPO, ansible_playbook, podman


def test_keystone_manage_prints_version(tmp_path):
    result = ansible_playbook(REPO / "build.yml", "service=keystone", "work_dir=%s" % tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "localhost/tcib/openstack-keystone:latest" in result.stdout
    run = podman("run", "--rm", "localhost/tcib/openstack-keystone:latest", "keystone-manage", "--version")
    assert re.match(r"^\d+\.\d+\.\d+", run.stdout.strip()), run.stdout + run.stderr
    user = podman("run", "--rm", "localhost/tcib/openstack-keystone:latest", "id", "-un")
    assert user.stdout.strip() == "keystone"
