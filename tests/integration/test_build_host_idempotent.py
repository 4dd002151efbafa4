"""The build host role converges, then reports nothing changed, also in check mode; containers run."""

from pathlib import Path

from conftest import ansible_playbook, podman, real_image, recap

PLAYBOOK = Path(__file__).parent / "playbooks" / "build_host.yml"


def test_second_run_and_check_mode_change_nothing():
    first = ansible_playbook(PLAYBOOK)
    assert first.returncode == 0, first.stdout[-3000:]
    second = ansible_playbook(PLAYBOOK)
    assert second.returncode == 0, second.stdout[-3000:]
    assert recap(second.stdout)["changed"] == 0, second.stdout[-3000:]
    check = ansible_playbook(PLAYBOOK, check=True)
    assert check.returncode == 0, check.stdout[-3000:]
    assert recap(check.stdout)["changed"] == 0, check.stdout[-3000:]


def test_configured_host_runs_a_container(built_memcached):
    run = podman("run", "--rm", real_image("base"), "true", check=False)
    assert run.returncode == 0, run.stderr
