"""An extra config file with a per-image override changes the built image, not the tree."""

import uuid

from conftest import REPO, TEST_NAMESPACE, ansible_playbook, images_named, podman


def test_extra_config_appends_a_package_to_one_image(tree, tmp_path):
    leaf = tree / "base" / "os" / "leaf"
    leaf.mkdir()
    leaf_text = "tcib_packages:\n  common: [hostname]\ntcib_actions:\n" \
                "  - run: tcib-install {{ tcib_packages['common'] | join(' ') }}\n"
    (leaf / "leaf.yaml").write_text(leaf_text)
    extra = tmp_path / "extra.yaml"
    extra.write_text("tcib_labels:\n  site: lab-1\nimage_overrides:\n  leaf:\n    packages_append: [hello]\n")
    namespace = "%s-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    try:
        result = ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % tree, "work_dir=%s" % (tmp_path / "work"),
                                  "namespace=%s" % namespace, "extra_config=%s" % extra, "service=leaf")
        assert result.returncode == 0, result.stdout[-3000:]
        ref = "localhost/%s/openstack-leaf:latest" % namespace
        run = podman("run", "--rm", ref, "hello")
        assert run.stdout.strip() == "Hello, world!"
        labels = podman("image", "inspect", "--format", "{{json .Config.Labels}}", ref).stdout
        assert '"site":"lab-1"' in labels
        assert (leaf / "leaf.yaml").read_text() == leaf_text
        # Without the override the package is gone again: the digest saw the change.
        result = ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % tree, "work_dir=%s" % (tmp_path / "work"),
                                  "namespace=%s" % namespace, "service=leaf")
        assert result.returncode == 0, result.stdout[-3000:]
        assert podman("run", "--rm", ref, "sh", "-c", "command -v hello", check=False).returncode != 0
    finally:
        for name in images_named("localhost/%s/" % namespace):
            podman("rmi", "-f", name, check=False)
