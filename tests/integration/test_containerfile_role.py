"""The containerfile role renders from variables in scope, and its argument spec rejects bad types."""

from pathlib import Path

from conftest import ansible_playbook

PLAYBOOK = Path(__file__).parent / "playbooks" / "containerfile_role.yml"


def test_role_renders_variables_in_upstream_order(tmp_path):
    result = ansible_playbook(PLAYBOOK, "tcib_path=%s" % tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "Containerfile").read_text().splitlines() == [
        "FROM localhost/tcib/openstack-os:latest",
        "USER root",
        'VOLUME ["/var/lib/memcached"]',
        "RUN tcib-install memcached libsasl2-modules",
        'ENTRYPOINT ["/bin/sh", "-c", "exec memcached -u memcache"]',
        "USER memcache",
    ]
    again = ansible_playbook(PLAYBOOK, "tcib_path=%s" % tmp_path)
    assert "changed=0" in again.stdout


def test_role_rejects_a_wrong_type_by_name(tmp_path):
    result = ansible_playbook(PLAYBOOK, "tcib_path=%s" % tmp_path, {"tcib_envs": ["not", "a", "dict"]})
    assert result.returncode != 0
    assert "tcib_envs" in result.stdout
    assert not (tmp_path / "Containerfile").exists()


def test_role_reports_unknown_tcib_variables(tmp_path):
    result = ansible_playbook(PLAYBOOK, "tcib_path=%s" % tmp_path, {"tcib_volumez": ["/x"]})
    assert result.returncode != 0
    assert "tcib_volumez: unknown variable" in result.stdout


def test_a_bad_gather_glob_fails_in_check_mode_too_and_writes_nothing(tmp_path):
    for check in (True, False):
        result = ansible_playbook(PLAYBOOK, "tcib_path=%s" % (tmp_path / "out"),
                                  {"tcib_gather_files": ["no-such-file-*"]}, check=check)
        assert result.returncode != 0
        assert "tcib_gather_files: no file matches 'no-such-file-*'" in result.stdout
        assert not (tmp_path / "out").exists()
