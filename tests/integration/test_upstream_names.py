"""Upstream tcib's catalogue under upstream's names: build.yml plans an unchanged tripleo_containers.yaml.

files/tripleo_containers.yaml lists every image of upstream tcib's last release (104 directories: base, os,
the 15 *-base images and 87 service images). `build.yml --check -e config_file=...` must plan every one this
tree can build and name the others, with their reasons from vars/unavailable.yaml, in one warning; names
nobody knows still fail.
"""

import json
import re
import uuid

import pytest
import yaml

from conftest import REPO, TEST_NAMESPACE, ansible_playbook, images_named

CONFIG = REPO / "tests" / "integration" / "files" / "tripleo_containers.yaml"
UNAVAILABLE = yaml.safe_load((REPO / "vars" / "unavailable.yaml").read_text())["unavailable_images"]


def upstream_names(path=CONFIG):
    """The image names of a tripleo_containers.yaml, as upstream's client reads them."""
    entries = yaml.safe_load(path.read_text())["container_images"]
    return [re.sub(r"^openstack-", "", entry["imagename"].rsplit("/", 1)[-1].split(":")[0]) for entry in entries]


def plan(tmp_path, *extra):
    namespace = "%s-%s" % (TEST_NAMESPACE, uuid.uuid4().hex[:6])
    work = tmp_path / "work"
    result = ansible_playbook(REPO / "build.yml", "work_dir=%s" % work, "namespace=%s" % namespace,
                              "check_updates=false", *extra, check=True, timeout=900)
    # Planning builds nothing, under the run's names or any other.
    assert images_named("localhost/%s/" % namespace) == []
    return result, work


def warnings(output):
    """Ansible's [WARNING] messages, each joined back into one line (Ansible may wrap long ones)."""
    found, current = [], None
    for line in output.splitlines():
        if line.startswith("[WARNING]: "):
            current = [line[len("[WARNING]: "):]]
            found.append(current)
        elif current is not None and line.strip() and not re.match(r"^(TASK|PLAY|ok:|changed:|skipping:|\[)", line):
            current.append(line.strip())
        else:
            current = None
    return [" ".join(parts) for parts in found]


def test_the_config_file_holds_upstream_s_catalogue():
    names = upstream_names()
    assert len(names) == len(set(names)) == 104
    assert len([name for name in names if name not in ("base", "os") and not name.endswith("-base")]) == 87
    assert set(UNAVAILABLE) <= set(names)


def test_upstream_s_unchanged_list_plans_every_available_image_and_warns_once(tmp_path):
    result, work = plan(tmp_path, "config_file=%s" % CONFIG)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    planned = [entry["name"] for entry in json.loads((work / "check-plan.json").read_text())["images"]]
    available = [name for name in upstream_names() if name not in UNAVAILABLE]
    assert len(available) == 100
    assert sorted(set(available) - set(planned)) == []
    # Nothing beyond the list and the parents of what it lists: the shared layer of our own under the services.
    assert set(planned) - set(available) == {"oslo"}
    for name in UNAVAILABLE:
        assert name not in planned
    # Ansible writes its warnings to stderr.
    found = warnings(result.stderr + "\n" + result.stdout)
    ours = [warning for warning in found if "cannot build" in warning]
    assert len(ours) == 1, found
    assert ours[0].startswith("%s lists 4 images that this tree cannot build; planning the others without them: "
                              % CONFIG)
    for name, reason in UNAVAILABLE.items():
        assert "%s: %s" % (name, " ".join(reason.split())) in ours[0]


def test_a_name_known_to_nobody_still_fails_with_the_closest_names(tmp_path):
    config = tmp_path / "containers.yaml"
    entries = yaml.safe_load(CONFIG.read_text())["container_images"]
    entries.append({"image_source": "tripleo", "imagename": "quay.io/tripleomastercentos9/openstack-nova-schedular:x"})
    config.write_text(yaml.safe_dump({"container_images": entries}))
    result, work = plan(tmp_path, "config_file=%s" % config)
    assert result.returncode != 0
    assert "unknown image 'nova-schedular'; closest known: nova-scheduler" in result.stdout
    assert not (work / "plan.json").exists() and not (work / "check-plan.json").exists()


@pytest.mark.parametrize("setting", ["service=qdrouterd", "include=tripleo-ansible-ee"])
def test_service_or_include_naming_an_unavailable_image_fails_with_its_reason(tmp_path, setting):
    name = setting.split("=", 1)[1]
    result, _work = plan(tmp_path, setting)
    assert result.returncode != 0
    output = " ".join(result.stdout.replace("'", "").split())
    assert "%s %s is not available from this tree: %s" % (
        "service" if setting.startswith("service") else "image", name, " ".join(UNAVAILABLE[name].split())) in output
