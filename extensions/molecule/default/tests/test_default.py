"""The images built by the converge exist, with the labels, user and command their variable files say."""

import json

import pytest

NAMESPACE = "localhost/molecule/openstack-"


def inspect(host, name):
    result = host.run("podman image inspect %s%s:latest", NAMESPACE, name)
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)[0]


@pytest.mark.parametrize("name", ["base", "os", "memcached"])
def test_images_exist_with_title_and_inputs_digest(host, name):
    labels = inspect(host, name)["Config"]["Labels"]
    assert labels["org.opencontainers.image.title"] == "openstack-" + name
    assert labels["tcib.images.inputs-digest"].startswith("sha256:")


def test_memcached_user_command_labels_and_healthcheck(host):
    image = inspect(host, "memcached")
    config = image["Config"]
    assert config["User"] == "memcache"
    assert config["Cmd"][0] == "memcached"
    assert config["Entrypoint"] == ["dumb-init", "--single-child", "--"]
    assert config["Labels"]["org.opencontainers.image.version"].startswith("1.6")
    assert image["Healthcheck"]["Test"][0] == "CMD"
    assert host.run("podman run --rm %smemcached:latest id -u", NAMESPACE).stdout.strip() == "42420"


def test_parents_chain(host):
    base = inspect(host, "base")["RootFS"]["Layers"]
    memcached = inspect(host, "memcached")["RootFS"]["Layers"]
    assert memcached[:len(base)] == base


def test_summary_says_every_image_is_up_to_date_after_idempotence(host):
    summary = json.loads(host.file("/var/tmp/tcib-molecule-default/summary.json").content_string)
    assert {item["name"]: item["status"] for item in summary["images"]} == {
        "base": "up to date", "os": "up to date", "memcached": "up to date"}
