"""Hotfix: a local .deb installed with apt into an existing image (what it depends on comes too), tagged
with a suffix; the original is untouched."""

import json
import subprocess
import uuid

from conftest import IMAGE_NAMESPACE, REPO, ansible_playbook, podman, real_image

MEMCACHED = real_image("memcached")
# A small package that memcached does not hold: the probe depends on it, so apt must fetch it.
DEPENDENCY = "less"


def make_deb(tmp_path, marker):
    root = tmp_path / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "usr" / "share" / "tcib-hotfix").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: tcib-hotfix-probe\nVersion: 1.0\nArchitecture: all\nDepends: %s\n"
        "Maintainer: tests <tests@example.invalid>\nDescription: hotfix probe\n" % DEPENDENCY)
    (root / "usr" / "share" / "tcib-hotfix" / "marker").write_text(marker + "\n")
    deb = tmp_path / "tcib-hotfix-probe_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(root), str(deb)], check=True, capture_output=True)
    return deb


def test_hotfix_installs_a_local_package_and_keeps_the_user(built_memcached, tmp_path):
    marker = uuid.uuid4().hex
    suffix = "-hotfix-%s" % marker[:6]
    deb = make_deb(tmp_path, marker)
    hotfixed = MEMCACHED + suffix
    held = podman("run", "--rm", MEMCACHED, "dpkg-query", "-W", "-f", "${db:Status-Abbrev}", DEPENDENCY, check=False)
    assert not held.stdout.startswith("ii"), "memcached holds %s already: the probe proves nothing" % DEPENDENCY
    try:
        result = ansible_playbook(REPO / "hotfix.yml", {"hotfix_images": ["memcached"],
                                                        "hotfix_packages": [str(deb)], "hotfix_suffix": suffix,
                                                        "image_namespace": IMAGE_NAMESPACE,
                                                        "work_dir": str(tmp_path / "work")})
        assert result.returncode == 0, result.stdout[-3000:]
        run = podman("run", "--rm", hotfixed, "sh", "-c", "cat /usr/share/tcib-hotfix/marker; id -un")
        assert run.stdout.split() == [marker, "memcache"]
        # apt, not dpkg, installed it: the dependency came from the image's sources, and the image is sound.
        listed = podman("run", "--rm", hotfixed, "dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\n",
                        "tcib-hotfix-probe", DEPENDENCY)
        assert sorted(listed.stdout.split()) == sorted(["tcib-hotfix-probe", "ii", DEPENDENCY, "ii"]), listed.stdout
        assert podman("run", "--rm", hotfixed, DEPENDENCY, "--version", check=False).returncode == 0
        assert podman("run", "--rm", "--user", "root", hotfixed, "apt-get", "check", check=False).returncode == 0
        left = podman("run", "--rm", "--entrypoint", "sh", hotfixed, "-c",
                      "ls -A /var/lib/apt/lists /var/cache/apt/archives; ls -d /tmp/tcib-hotfix 2>/dev/null",
                      check=False).stdout
        assert left.split() == ["/var/cache/apt/archives:", "/var/lib/apt/lists:"], left
        labels = json.loads(podman("image", "inspect", "--format", "{{json .Config.Labels}}", hotfixed).stdout)
        assert labels["tcib.images.hotfix"] == deb.name
        untouched = podman("run", "--rm", MEMCACHED, "sh", "-c", "test -e /usr/share/tcib-hotfix", check=False)
        assert untouched.returncode != 0
    finally:
        podman("rmi", hotfixed, check=False)


def test_hotfix_with_a_missing_package_fails_before_building(tmp_path):
    result = ansible_playbook(REPO / "hotfix.yml", {"hotfix_images": ["memcached"],
                                                    "hotfix_packages": [str(tmp_path / "nope_1_all.deb")],
                                                    "image_namespace": IMAGE_NAMESPACE,
                                                    "work_dir": str(tmp_path / "work")})
    assert result.returncode != 0
    assert "nope_1_all.deb" in result.stdout
    assert not (tmp_path / "work" / "hotfix").exists()
