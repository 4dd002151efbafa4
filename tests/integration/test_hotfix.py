"""Hotfix: a local .deb installed into an existing image, tagged with a suffix; the original is untouched."""

import json
import subprocess
import uuid

from conftest import REPO, ansible_playbook, podman

MEMCACHED = "localhost/tcib/openstack-memcached:latest"


def make_deb(tmp_path, marker):
    root = tmp_path / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "usr" / "share" / "tcib-hotfix").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: tcib-hotfix-probe\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: tests <tests@example.invalid>\nDescription: hotfix probe\n")
    (root / "usr" / "share" / "tcib-hotfix" / "marker").write_text(marker + "\n")
    deb = tmp_path / "tcib-hotfix-probe_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(root), str(deb)], check=True, capture_output=True)
    return deb


def test_hotfix_installs_a_local_package_and_keeps_the_user(built_memcached, tmp_path):
    marker = uuid.uuid4().hex
    suffix = "-hotfix-%s" % marker[:6]
    deb = make_deb(tmp_path, marker)
    hotfixed = MEMCACHED + suffix
    try:
        result = ansible_playbook(REPO / "hotfix.yml", {"hotfix_images": ["memcached"],
                                                        "hotfix_packages": [str(deb)], "hotfix_suffix": suffix,
                                                        "work_dir": str(tmp_path / "work")})
        assert result.returncode == 0, result.stdout[-3000:]
        run = podman("run", "--rm", hotfixed, "sh", "-c", "cat /usr/share/tcib-hotfix/marker; id -un")
        assert run.stdout.split() == [marker, "memcache"]
        labels = json.loads(podman("image", "inspect", "--format", "{{json .Config.Labels}}", hotfixed).stdout)
        assert labels["tcib.images.hotfix"] == deb.name
        untouched = podman("run", "--rm", MEMCACHED, "sh", "-c", "test -e /usr/share/tcib-hotfix", check=False)
        assert untouched.returncode != 0
    finally:
        podman("rmi", hotfixed, check=False)


def test_hotfix_with_a_missing_package_fails_before_building(tmp_path):
    result = ansible_playbook(REPO / "hotfix.yml", {"hotfix_images": ["memcached"],
                                                    "hotfix_packages": [str(tmp_path / "nope_1_all.deb")],
                                                    "work_dir": str(tmp_path / "work")})
    assert result.returncode != 0
    assert "nope_1_all.deb" in result.stdout
    assert not (tmp_path / "work" / "hotfix").exists()
