# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build plan over a tree, and the build contexts written from it."""

import json
import os

import pytest
import yaml

from ansible_collections.tcib.images.plugins.module_utils.discovery import TreeError
from ansible_collections.tcib.images.plugins.module_utils.graph import names_from_config
from ansible_collections.tcib.images.plugins.module_utils.plan import (
    Plan, PlanSettings, config_selection, contexts_to_change, load_unavailable, make_plan, plan_dot, read_plan,
    render_image, unavailable_path, write_contexts, write_plan)
from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError

BASE_IMAGE = "docker.io/library/debian:13"

TREE = {
    "base/base.yaml": {"tcib_envs": {"LANG": "C.UTF-8"},
                       "tcib_packages": {"common": ["ca-certificates", "curl"]},
                       "tcib_actions": [{"run": "apt-get install -y {{ tcib_packages.common | join(' ') }}"}]},
    "base/os/os.yaml": {"tcib_runs": ["echo {{ tcib_distro }}-{{ tcib_release }}"]},
    "base/os/nova-base/nova-base.yaml": {"tcib_user": "nova"},
    "base/os/nova-base/nova-api/nova-api.yaml": {"tcib_cmd": "nova-api"},
    "base/os/keystone/keystone.yaml": {"tcib_from": "quay.io/other/keystone-base:1", "tcib_cmd": "keystone"},
}


@pytest.fixture
def tree(write_tree):
    return str(write_tree(TREE))


@pytest.fixture
def settings():
    return PlanSettings(BASE_IMAGE, registry="registry.example", namespace="ns", prefix="pfx", tag="t1",
                        distro="debian", release="13")


def by_name(entries):
    return dict((entry.name, entry) for entry in entries)


def test_plan_is_in_build_order_with_from_chain(tree, settings):
    entries = make_plan(tree, settings)
    # keystone starts from an outside image: a root, so it comes first with base.
    assert [entry.name for entry in entries] == ["base", "keystone", "os", "nova-base", "nova-api"]
    plan = by_name(entries)
    assert plan["base"].parent is None
    assert plan["base"].from_image == BASE_IMAGE
    assert plan["os"].from_image == "registry.example/ns/pfx-base:t1"
    assert plan["nova-base"].from_image == "registry.example/ns/pfx-os:t1"
    assert plan["nova-api"].from_image == "registry.example/ns/pfx-nova-base:t1"
    assert plan["nova-api"].parent == "nova-base"
    assert plan["nova-api"].image == "registry.example/ns/pfx-nova-api:t1"
    for entry in entries:
        assert entry.containerfile.splitlines()[0] == "FROM %s" % entry.from_image


def test_outside_tcib_from_has_no_parent(tree, settings):
    keystone = by_name(make_plan(tree, settings))["keystone"]
    assert keystone.parent is None
    assert keystone.from_image == "quay.io/other/keystone-base:1"
    assert keystone.containerfile.startswith("FROM quay.io/other/keystone-base:1\n")
    # Selecting it needs none of its directory ancestors.
    assert [entry.name for entry in make_plan(tree, settings, services=["keystone"])] == ["keystone"]


def with_keystone_from(write_tree, tcib_from):
    files = dict(TREE)
    files["base/os/keystone/keystone.yaml"] = {"tcib_from": tcib_from, "tcib_cmd": "keystone"}
    return str(write_tree(files))


@pytest.mark.parametrize("tcib_from", [
    "nova-api",
    "registry.example/ns/pfx-nova-api:t1",
    "{{ 'nova' }}-api",
    "registry.example/ns/pfx-nova-api:t{{ tcib_release | int - 12 }}",
])
def test_tcib_from_naming_a_tree_image_makes_it_the_parent(write_tree, settings, tcib_from):
    root = with_keystone_from(write_tree, tcib_from)
    entries = make_plan(root, settings)
    names = [entry.name for entry in entries]
    assert names == ["base", "os", "nova-base", "nova-api", "keystone"]
    keystone = by_name(entries)["keystone"]
    assert keystone.parent == "nova-api"
    assert keystone.from_image == "registry.example/ns/pfx-nova-api:t1"
    assert keystone.containerfile.startswith("FROM registry.example/ns/pfx-nova-api:t1\n")
    # Its chain comes along when it alone is selected.
    names = [entry.name for entry in make_plan(root, settings, services=["keystone"])]
    assert names == ["base", "os", "nova-base", "nova-api", "keystone"]


def tcib_from_error(write_tree, settings, tcib_from):
    """The planning error of keystone's tcib_from, which must name keystone's file."""
    root = with_keystone_from(write_tree, tcib_from)
    with pytest.raises(VariableError) as info:
        make_plan(root, settings)
    message = str(info.value)
    assert os.path.join(root, "base", "os", "keystone", "keystone.yaml") in message
    return message


def test_unknown_bare_tcib_from_names_the_file_and_key(write_tree, settings):
    message = tcib_from_error(write_tree, settings, "nova-apu")
    assert "tcib_from" in message
    assert "'nova-apu'" in message and "nova-api" in message  # closest known


def test_tcib_from_of_the_wrong_type_names_the_file_and_key(write_tree, settings):
    root = with_keystone_from(write_tree, ["nova-api"])
    with pytest.raises(VariableError) as info:
        make_plan(root, settings)
    message = str(info.value)
    assert os.path.join(root, "base", "os", "keystone", "keystone.yaml") in message
    assert "tcib_from" in message and "must be a str" in message


def test_tcib_from_rendering_empty_keeps_the_directory_parent(write_tree, settings):
    files = dict(TREE)
    files["base/os/keystone/keystone.yaml"] = {"tcib_meta": {},
                                               "tcib_from": "{{ tcib_meta.parent | default('') }}"}
    root = str(write_tree(files))
    keystone = by_name(make_plan(root, settings))["keystone"]
    assert keystone.parent == "os"
    assert keystone.from_image == "registry.example/ns/pfx-os:t1"


def test_cycle_through_tcib_from_names_images_and_directories(write_tree, settings):
    root = str(write_tree({
        "base/base.yaml": {},
        "base/a/a.yaml": {"tcib_from": "b"},
        "base/b/b.yaml": {"tcib_from": "a"},
    }))
    with pytest.raises(TreeError) as info:
        make_plan(root, settings)
    message = str(info.value)
    assert "cycle" in message
    assert "a (%s)" % os.path.join(root, "base", "a") in message
    assert "b (%s)" % os.path.join(root, "base", "b") in message


def test_cycle_through_tcib_from_and_a_directory(write_tree, settings):
    # base names its own child as its parent.
    root = str(write_tree({"base/base.yaml": {"tcib_from": "child"}, "base/child/child.yaml": {}}))
    with pytest.raises(TreeError) as info:
        make_plan(root, settings)
    message = str(info.value)
    assert "base (%s) -> child (%s) -> base (%s)" % (
        os.path.join(root, "base"), os.path.join(root, "base", "child"), os.path.join(root, "base")) in message


def test_config_names_select_images(tree, settings):
    config = {"container_images": [{"imagename": "quay.io/podified/openstack-nova-api:current"}]}
    names = [entry.name for entry in make_plan(tree, settings, config_names=names_from_config(config))]
    assert names == ["base", "os", "nova-base", "nova-api"]
    # Together with services: the union.
    names = [entry.name for entry in make_plan(tree, settings, services=["keystone"],
                                               config_names=["nova-base"])]
    assert names == ["base", "keystone", "os", "nova-base"]


def test_unknown_config_name_is_an_error(tree, settings):
    with pytest.raises(TreeError) as info:
        make_plan(tree, settings, config_names=["nova-schedular"])
    assert "unknown image 'nova-schedular'" in str(info.value)


UNAVAILABLE = {"qdrouterd": "Debian has no qpid-dispatch", "tripleoclient": "Debian has no python-tripleoclient"}


def test_unavailable_list_is_the_file_beside_the_tree(tmp_path):
    assert unavailable_path(str(tmp_path / "conf" / "tcib")) == str(tmp_path / "conf" / "unavailable.yaml")
    # The default tree's list: vars/unavailable.yaml.
    from conftest import REPO_ROOT
    real = load_unavailable(unavailable_path(os.path.join(REPO_ROOT, "vars", "tcib")))
    assert set(real) == {"qdrouterd", "neutron-mlnx-agent", "tripleoclient", "tripleo-ansible-ee"}
    # One line each, without the "; " that separates them in the warning.
    assert all(reason.startswith("Debian 13 ") and "\n" not in reason and ";" not in reason
               for reason in real.values())


def test_no_unavailable_file_means_none_unavailable(tmp_path):
    assert load_unavailable(str(tmp_path / "unavailable.yaml")) == {}
    assert load_unavailable(None) == {}


def test_unavailable_file_reasons_are_joined_to_one_line(tmp_path):
    path = tmp_path / "unavailable.yaml"
    path.write_text("unavailable_images:\n  qdrouterd: >-\n    no qpid-dispatch\n    in Debian\n")
    assert load_unavailable(str(path)) == {"qdrouterd": "no qpid-dispatch in Debian"}


@pytest.mark.parametrize("text, message", [
    ("unavailable: {qdrouterd: why}\n", "unknown key 'unavailable': the file holds only unavailable_images"),
    ("unavailable_images: [qdrouterd]\n", "unavailable_images: must map image names to the reason"),
    ("unavailable_images: {qdrouterd: ''}\n", "unavailable_images: qdrouterd: give the reason"),
    ("unavailable_images: {qdrouterd: [a]}\n", "unavailable_images: qdrouterd: give the reason"),
    ("unavailable_images: {Qdrouterd: why}\n", "unavailable_images: 'Qdrouterd' is not an image name"),
    ("unavailable_images: {1: why}\n", "unavailable_images: 1 is not an image name"),
    ("unavailable_images: [\n", "not valid YAML"),
])
def test_a_broken_unavailable_file_fails_naming_it(tmp_path, text, message):
    path = tmp_path / "unavailable.yaml"
    path.write_text(text)
    with pytest.raises(VariableError) as info:
        load_unavailable(str(path))
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_config_names_of_unavailable_images_are_left_out_with_one_warning(tree, settings):
    config = {"container_images": [{"imagename": "quay.io/tripleomaster/openstack-%s:current" % name}
                                   for name in ("qdrouterd", "nova-api", "tripleoclient", "qdrouterd")]}
    names, skipped, warning = config_selection(names_from_config(config), UNAVAILABLE, "/srv/containers.yaml")
    assert names == ["nova-api"]
    assert skipped == UNAVAILABLE
    assert warning == ("/srv/containers.yaml lists 2 images that this tree cannot build; planning the others "
                       "without them: qdrouterd: Debian has no qpid-dispatch; tripleoclient: Debian has no "
                       "python-tripleoclient")
    entries = make_plan(tree, settings, config_names=names, unavailable=UNAVAILABLE)
    assert [entry.name for entry in entries] == ["base", "os", "nova-base", "nova-api"]
    assert config_selection(["nova-api"], UNAVAILABLE) == (["nova-api"], {}, None)


def test_a_config_name_neither_in_the_tree_nor_unavailable_is_unknown(tree, settings):
    names, _skipped, _warning = config_selection(["qdrouterd", "nova-schedular"], UNAVAILABLE)
    with pytest.raises(TreeError, match="unknown image 'nova-schedular'; closest known: nova-"):
        make_plan(tree, settings, config_names=names, unavailable=UNAVAILABLE)


@pytest.mark.parametrize("kwargs, message", [
    ({"services": ["qdrouterd"]}, "service 'qdrouterd' is not available from this tree: Debian has no qpid-dispatch"),
    ({"include": ["tripleoclient"]},
     "image 'tripleoclient' is not available from this tree: Debian has no python-tripleoclient"),
])
def test_service_or_include_naming_an_unavailable_image_fails_with_its_reason(tree, settings, kwargs, message):
    with pytest.raises(TreeError) as info:
        make_plan(tree, settings, unavailable=UNAVAILABLE, **kwargs)
    assert str(info.value) == message


def test_an_image_both_in_the_tree_and_unavailable_is_an_error_naming_the_list(tree, settings):
    with pytest.raises(VariableError) as info:
        make_plan(tree, settings, services=["keystone"], unavailable={"nova-api": "why"},
                  unavailable_source="/srv/unavailable.yaml")
    assert str(info.value).startswith("/srv/unavailable.yaml: unavailable_images: lists nova-api as unavailable, "
                                      "but the tree has it (%s)" % os.path.join(tree, "base", "os", "nova-base",
                                                                                "nova-api"))


def test_plan_dot_has_an_edge_from_each_parent_to_its_child(tree, settings):
    entries = make_plan(tree, settings)
    dot = plan_dot(entries)
    assert dot.startswith("digraph tcib {\n") and dot.endswith("}\n")
    edges = sorted(line.strip() for line in dot.splitlines() if "->" in line)
    assert edges == sorted([
        '"base" -> "os";',
        '"os" -> "nova-base";',
        '"nova-base" -> "nova-api";',
    ])
    # Roots say what they start from.
    assert '"keystone" [shape=box, style=bold, tooltip="FROM quay.io/other/keystone-base:1"];' in dot
    assert '"base" [shape=box, style=bold, tooltip="FROM %s"];' % BASE_IMAGE in dot
    for entry in entries:
        assert '"%s" [label="%s"];' % (entry.name, entry.name) in dot


def test_plan_dot_shows_statuses(tree, settings):
    entries = make_plan(tree, settings, services=["os"])
    dot = plan_dot(entries, {"os": {"status": "would build"}})
    assert '"os" [label="os\\nwould build"];' in dot
    assert '"base" [label="base"];' in dot


def test_plan_json_keeps_plain_plan_keys_and_reads_back(tree, settings, tmp_path):
    work = str(tmp_path / "work")
    entries = make_plan(tree, settings, work_dir=work)
    assert write_plan(work, Plan(entries=entries, plan_id="p1")) == os.path.join(work, "plan.json")
    document = json.loads((tmp_path / "work" / "plan.json").read_text())
    assert sorted(document) == ["distro", "images", "plan_id", "release"]
    assert [image["name"] for image in document["images"]] == [entry.name for entry in entries]
    keys = {"name", "image", "parent", "from", "relpath", "files", "containerfile", "gather_sources", "package",
            "context_dir", "containerfile_path", "vars_path", "log_path", "sbom_path"}
    for image in document["images"]:
        assert set(image) == keys
    images = dict((image["name"], image) for image in document["images"])
    assert images["keystone"]["parent"] is None
    assert images["os"]["parent"] == "base"
    assert images["base"]["context_dir"] == os.path.join(work, "base")
    assert '"base" -> "os";' in (tmp_path / "work" / "plan.dot").read_text()
    # What a build reads back: the same entries, without what only planning knew.
    plan = read_plan(os.path.join(work, "plan.json"), "p1")
    assert [entry.document() for entry in plan.entries] == [entry.document() for entry in entries]
    assert plan.entries[0].variables == {} and plan.entries[0].sources == {}
    with pytest.raises(ValueError, match="replaced by another run's plan"):
        read_plan(os.path.join(work, "plan.json"), "p2")


def test_a_check_preview_is_written_beside_the_plan_with_statuses(tree, settings, tmp_path):
    work = str(tmp_path / "work")
    entries = make_plan(tree, settings, services=["os"], work_dir=work)
    plan = Plan(entries=entries, plan_id="real")
    write_plan(work, plan)
    real = (tmp_path / "work" / "plan.json").read_text()
    preview = write_plan(work, Plan(entries=entries, plan_id="check"), check=True,
                         statuses={"os": {"status": "would build", "reason": "not built yet", "push_status": "would push",
                                          "duration": 0.0},
                                   "base": {"status": "up to date", "reason": "inputs unchanged"}})
    assert preview == os.path.join(work, "check-plan.json")
    assert (tmp_path / "work" / "plan.json").read_text() == real
    images = dict((image["name"], image) for image in json.loads((tmp_path / "work" / "check-plan.json").read_text())[
        "images"])
    assert (images["os"]["status"], images["os"]["reason"], images["os"]["push_status"]) == (
        "would build", "not built yet", "would push")
    assert "duration" not in images["os"] and "push_status" not in images["base"]
    assert '"os" [label="os\\nwould build"];' in (tmp_path / "work" / "check-plan.dot").read_text()


def test_read_plan_refuses_what_is_not_a_plan(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("the other run's plan")
    with pytest.raises(ValueError, match="is not a plan written by tcib_plan"):
        read_plan(str(path))
    path.write_text('{"images": [{"name": "x"}]}')
    with pytest.raises(ValueError, match="is not a plan written by tcib_plan"):
        read_plan(str(path))


def test_contexts_to_change_says_what_write_contexts_would_change(tree, settings, tmp_path):
    work = str(tmp_path / "work")
    entries = make_plan(tree, settings, work_dir=work)
    assert contexts_to_change(entries) == [entry.name for entry in entries]
    assert not os.path.exists(work)  # nothing written
    write_contexts(entries)
    assert contexts_to_change(make_plan(tree, settings, work_dir=work)) == []
    with open(os.path.join(tree, "base", "os", "keystone", "extra.yaml"), "w") as handle:
        yaml.safe_dump({"tcib_packages": {"x": ["y"]}}, handle)
    entries = make_plan(tree, settings, work_dir=work)
    assert contexts_to_change(entries) == ["keystone"] == write_contexts(entries)


def test_gather_sources_are_the_source_paths(write_tree, settings):
    root = write_tree({
        "base/base.yaml": {"tcib_gather_files": ["files/*.conf", "scripts"]},
        "base/files/b.conf": "b\n",
        "base/files/a.conf": "a\n",
        "base/scripts/run.sh": "#!/bin/sh\n",
    })
    entry = make_plan(str(root), settings)[0]
    base = os.path.join(str(root), "base")
    assert entry.gather_sources == [os.path.join(base, "files", "a.conf"), os.path.join(base, "files", "b.conf"),
                                    os.path.join(base, "scripts")]


def test_plan_templates_with_distro_and_release(tree, settings):
    plan = by_name(make_plan(tree, settings))
    assert plan["base"].variables["tcib_actions"] == [{"run": "apt-get install -y ca-certificates curl"}]
    assert "RUN apt-get install -y ca-certificates curl\n" in plan["base"].containerfile
    assert plan["os"].variables["tcib_runs"] == ["echo debian-13"]
    assert "RUN echo debian-13\n" in plan["os"].containerfile


def test_plan_selection(tree, settings):
    names = [entry.name for entry in make_plan(tree, settings, services=["nova-api"])]
    assert names == ["base", "os", "nova-base", "nova-api"]
    names = [entry.name for entry in make_plan(tree, settings, exclude=["keystone"])]
    assert "keystone" not in names and names[0] == "base"


def test_extra_vars_apply_to_every_image_and_are_named_in_errors(tree):
    settings = PlanSettings(BASE_IMAGE, extra_vars={"tcib_labels": {"build": "42"}})
    for entry in make_plan(tree, settings):
        assert 'LABEL build="42"\n' in entry.containerfile
    settings = PlanSettings(BASE_IMAGE, extra_vars={"tcib_labels": ["not", "a", "dict"]})
    with pytest.raises(VariableError) as info:
        make_plan(tree, settings)
    assert "extra config" in str(info.value) and "tcib_labels" in str(info.value)


def test_tcib_extras_reach_templates_and_set_known_variables(write_tree):
    root = write_tree({"base/base.yaml": {"tcib_runs": ["{% if tcib_site is defined and tcib_site == 'lab' %}echo lab{% endif %}"]},
                       "base/os/os.yaml": {"tcib_user": "nova"}})
    settings = PlanSettings(BASE_IMAGE, extras={"tcib_site": "lab", "tcib_user": "nobody"})
    plan = dict((entry.name, entry) for entry in make_plan(str(root), settings))
    assert "RUN echo lab\n" in plan["base"].containerfile
    assert plan["os"].containerfile.rstrip().endswith("USER nobody")
    # Not variables of the images: an unknown tcib_ name is no error.
    assert "tcib_site" not in plan["os"].variables
    plan = dict((entry.name, entry) for entry in make_plan(str(root), PlanSettings(BASE_IMAGE)))
    assert "RUN" not in plan["base"].containerfile.replace("RUN \n", "")


def test_plan_errors_name_the_file(write_tree, settings):
    root = write_tree({"base/base.yaml": {}, "base/bad/bad.yaml": {"tcib_runs": ["{{ nope }}"]}})
    with pytest.raises(VariableError) as info:
        make_plan(str(root), settings)
    assert os.path.join(str(root), "base", "bad", "bad.yaml") in str(info.value)
    assert "tcib_runs" in str(info.value)


def test_write_contexts_mirrors_the_tree(tree, settings, tmp_path):
    work = tmp_path / "work"
    entries = make_plan(tree, settings, work_dir=str(work))
    changed = write_contexts(entries)
    assert sorted(changed) == sorted(entry.name for entry in entries)
    for entry in entries:
        context = work / entry.relpath
        assert entry.context_dir == str(context)
        assert (context / "Containerfile").read_text() == entry.containerfile
        assert entry.containerfile_path == str(context / "Containerfile")
        assert entry.vars_path == str(context / ("%s-vars.yaml" % entry.name))
        assert entry.log_path == str(context / ("%s-build.log" % entry.name))
        assert yaml.safe_load((context / ("%s-vars.yaml" % entry.name)).read_text()) == entry.variables
    assert (work / "base" / "os" / "nova-base" / "nova-api" / "Containerfile").is_file()


def test_write_contexts_is_idempotent_and_reports_real_changes(tree, settings, tmp_path):
    work = str(tmp_path / "work")
    assert write_contexts(make_plan(tree, settings, work_dir=work))
    containerfile = os.path.join(work, "base", "os", "Containerfile")
    mtime = os.stat(containerfile).st_mtime_ns
    assert write_contexts(make_plan(tree, settings, work_dir=work)) == []
    assert os.stat(containerfile).st_mtime_ns == mtime  # not rewritten
    # A changed variable changes exactly that image.
    with open(os.path.join(tree, "base", "os", "os.yaml"), "w") as handle:
        yaml.safe_dump({"tcib_runs": ["something else"]}, handle)
    assert write_contexts(make_plan(tree, settings, work_dir=work)) == ["os"]
    # A changed base image changes only the root.
    other = PlanSettings("docker.io/library/debian:14", registry="registry.example", namespace="ns",
                         prefix="pfx", tag="t1")
    assert write_contexts(make_plan(tree, other, work_dir=work)) == ["base"]


def test_vars_file_change_alone_is_reported(tree, settings, tmp_path):
    work = str(tmp_path / "work")
    write_contexts(make_plan(tree, settings, work_dir=work))
    # tcib_packages is not rendered into the Containerfile, but it is part of the vars file.
    with open(os.path.join(tree, "base", "os", "keystone", "extra.yaml"), "w") as handle:
        yaml.safe_dump({"tcib_packages": {"x": ["y"]}}, handle)
    assert write_contexts(make_plan(tree, settings, work_dir=work)) == ["keystone"]


def test_gather_files_are_copied_into_the_context(write_tree, settings, tmp_path):
    root = write_tree({
        "base/base.yaml": {"tcib_gather_files": ["files/*.conf", "scripts"]},
        "base/files/a.conf": "a\n",
        "base/files/b.conf": "b\n",
        "base/files/skip.txt": "no\n",
        "base/scripts/run.sh": "#!/bin/sh\n",
    })
    work = tmp_path / "work"
    entries = make_plan(str(root), settings, work_dir=str(work))
    write_contexts(entries)
    context = work / "base"
    assert (context / "a.conf").read_text() == "a\n"
    assert (context / "b.conf").read_text() == "b\n"
    assert not (context / "skip.txt").exists()
    assert (context / "scripts" / "run.sh").read_text() == "#!/bin/sh\n"
    # Again: directories are replaced, not nested, and nothing changed.
    assert write_contexts(make_plan(str(root), settings, work_dir=str(work))) == []
    assert not (context / "scripts" / "scripts").exists()


def test_missing_gathered_file_names_the_key_and_file(write_tree, settings):
    root = write_tree({"base/base.yaml": {"tcib_gather_files": ["files/missing.conf"]}})
    # Found when planning (the plan lists the gathered sources), before anything is written.
    with pytest.raises(VariableError) as info:
        make_plan(str(root), settings)
    message = str(info.value)
    assert "tcib_gather_files" in message
    assert "files/missing.conf" in message
    assert os.path.join(str(root), "base", "base.yaml") in message


def test_gathered_directory_with_a_trailing_slash_keeps_the_context(write_tree, settings, tmp_path):
    root = write_tree({
        "base/base.yaml": {"tcib_gather_files": ["scripts/"]},
        "base/scripts/run.sh": "#!/bin/sh\n",
    })
    entries = make_plan(str(root), settings)
    assert entries[0].gather_sources == [os.path.join(str(root), "base", "scripts")]
    work = tmp_path / "work"
    write_contexts(make_plan(str(root), settings, work_dir=str(work)))
    context = work / "base"
    assert (context / "Containerfile").read_text() == entries[0].containerfile
    assert (context / "base-vars.yaml").is_file()
    assert (context / "scripts" / "run.sh").read_text() == "#!/bin/sh\n"
    assert not (context / "run.sh").exists()


def test_generated_labels_title_and_config(write_tree, settings):
    root = write_tree({"base/base.yaml": {"tcib_meta": {"package": "base-files", "config": ["/etc/a", "/etc/b"]},
                                          "tcib_labels": {"org.opencontainers.image.title": "mine"}},
                       "base/child/child.yaml": {"tcib_meta": {"data": ["/var/lib/child"]}}})
    plan = by_name(make_plan(str(root), settings))
    assert plan["base"].variables["tcib_labels"] == {"org.opencontainers.image.title": "mine",
                                                     "tcib.images.config": "/etc/a,/etc/b"}
    assert plan["base"].package == "base-files"
    assert plan["child"].variables["tcib_labels"] == {"org.opencontainers.image.title": "pfx-child",
                                                      "tcib.images.data": "/var/lib/child"}
    assert 'LABEL tcib.images.data="/var/lib/child"' in plan["child"].containerfile


def test_tcib_meta_known_keys_are_typed(write_tree, settings):
    root = write_tree({"base/base.yaml": {"tcib_meta": {"config": "/etc/a"}}})
    with pytest.raises(VariableError) as info:
        make_plan(str(root), settings)
    assert "tcib_meta" in str(info.value) and "config must be a list" in str(info.value)


# --- render_image: one image outside a plan (the containerfile role) ----------------------------

def test_render_image_is_the_plan_s_containerfile(tree, settings):
    """With the image's reference and merged runs, one image renders exactly as the plan renders it."""
    from ansible_collections.tcib.images.plugins.module_utils.discovery import discover
    plan = by_name(make_plan(tree, PlanSettings(BASE_IMAGE, registry="registry.example", namespace="ns",
                                                prefix="pfx", tag="t1", merge_runs=True)))
    images = discover(tree)
    for name in ("base", "os", "nova-api", "keystone"):
        entry = plan[name]
        _rendered, text = render_image(images[name].variables, images[name].sources, from_image=entry.from_image,
                                       image=entry.image, merge=True)
        assert text == entry.containerfile, name


def test_render_image_layers_files_extras_then_variables():
    files = {"tcib_user": "from-file", "tcib_cmd": "svc", "tcib_runs": ["echo {{ tcib_site }} {{ tcib_distro }}"]}
    sources = dict.fromkeys(files, "img.yaml")
    rendered, text = render_image(files, sources, variables={"tcib_cmd": "other"},
                                  extras={"tcib_user": "from-extras", "tcib_site": "lab", "tcib_cmd": "ignored"},
                                  distro="debian", from_image="base:1")
    assert text.splitlines() == ["FROM base:1", "USER root", "RUN echo lab debian", 'CMD ["other"]',
                                 "USER from-extras"]
    # An unknown tcib_ extra is only seen by templates: it is not a variable of the image.
    assert "tcib_site" not in rendered


def test_render_image_labels_and_merge_are_optional():
    files = {"tcib_meta": {"config": ["/etc/svc.conf"]}, "tcib_labels": {"maintainer": "me"},
             "tcib_actions": [{"run": "a"}, {"run": "b"}]}
    _rendered, text = render_image(files, {}, from_image="base:1")
    assert "LABEL" in text and "org.opencontainers.image.title" not in text
    assert "RUN a\nRUN b\n" in text
    _rendered, text = render_image(files, {}, from_image="base:1", image="localhost/ns/pfx-svc:t", merge=True)
    assert text.splitlines()[1:4] == ['LABEL org.opencontainers.image.title="pfx-svc"',
                                      'LABEL tcib.images.config="/etc/svc.conf"', 'LABEL maintainer="me"']
    assert "RUN a \\\n    && b\n" in text


def test_render_image_errors_name_where_a_value_came_from():
    with pytest.raises(VariableError) as info:
        render_image({"tcib_user": "x"}, {"tcib_user": "img.yaml"}, extras={"tcib_envs": ["not", "a", "dict"]},
                     from_image="base:1")
    assert "tcib extras: tcib_envs" in str(info.value)
    with pytest.raises(VariableError) as info:
        render_image({"tcib_usr": "x"}, {"tcib_usr": "img.yaml"}, from_image="base:1")
    assert "img.yaml: tcib_usr: unknown variable" in str(info.value)
    with pytest.raises(VariableError) as info:
        render_image({}, {})
    assert "set tcib_from or from_image" in str(info.value)


# --- image references, checked before anything is built ----------------------------------------------

@pytest.mark.parametrize("kwargs,message", [
    ({"tag": "bad tag!"}, "setting tag=bad tag!: tag 'bad tag!' is not valid"),
    ({"namespace": "Fault"}, "setting namespace=Fault: namespace component 'Fault' is not valid"),
    ({"registry": "bad"}, "setting registry=bad: registry 'bad' is not a registry host"),
    ({"prefix": "Open"}, "setting prefix=Open: prefix 'Open' is not valid"),
])
def test_settings_that_name_images_are_checked_first(kwargs, message):
    from ansible_collections.tcib.images.plugins.module_utils.reference import ImageRefError

    with pytest.raises(ImageRefError) as info:
        PlanSettings(BASE_IMAGE, **kwargs)
    assert message in str(info.value)


def test_base_image_reference_is_checked():
    from ansible_collections.tcib.images.plugins.module_utils.reference import ImageRefError

    with pytest.raises(ImageRefError) as info:
        PlanSettings("localhost/tcib/Debian:trixie")
    assert "setting base_image=localhost/tcib/Debian:trixie" in str(info.value)


def test_image_directory_that_cannot_name_an_image_is_named(write_tree, settings):
    root = str(write_tree({"base/base.yaml": {}, "base/Nova_API/x.yaml": {}}))
    with pytest.raises(VariableError) as info:
        make_plan(root, settings)
    assert os.path.join(root, "base", "Nova_API") in str(info.value)
    assert "image 'Nova_API' cannot be named registry.example/ns/pfx-Nova_API:t1" in str(info.value)


def test_tcib_from_outside_the_tree_must_be_a_valid_reference(write_tree, settings):
    message = tcib_from_error(write_tree, settings, "quay.io/Other/keystone:1")
    assert "tcib_from: image reference 'quay.io/Other/keystone:1'" in message


# --- gathering only from the tree: no host files, no devices, no broken links -----------------------

def gather_error(root, settings):
    with pytest.raises(VariableError) as info:
        make_plan(str(root), settings)
    message = str(info.value)
    assert message.startswith("%s: tcib_gather_files: " % os.path.join(str(root), "base", "base.yaml")), message
    return message


@pytest.mark.parametrize("pattern", ["/etc/hostname", "../" * 30 + "etc/host*", "../../outside.txt"])
def test_files_outside_the_tree_are_not_gathered(write_tree, settings, pattern):
    root = write_tree({"base/base.yaml": {"tcib_gather_files": [pattern]}})
    (root.parent / "outside.txt").write_text("secret\n")
    assert "is outside the tree: files are gathered only from %s" % root in gather_error(root, settings)


def test_a_link_out_of_the_tree_is_not_followed(write_tree, settings, tmp_path):
    (tmp_path / "secret.txt").write_text("secret\n")
    root = write_tree({"base/base.yaml": {"tcib_gather_files": ["files"]}, "base/files/ok.conf": "ok\n"})
    (root / "base" / "files" / "leak").symlink_to(tmp_path / "secret.txt")
    message = gather_error(root, settings)
    assert "%s (a symbolic link to %s) is outside the tree" % (root / "base" / "files" / "leak",
                                                               tmp_path / "secret.txt") in message


def test_extra_gather_dirs_are_allowed_by_name(write_tree, tmp_path):
    extra = tmp_path / "site"
    extra.mkdir()
    (extra / "ca.pem").write_text("pem\n")
    root = write_tree({"base/base.yaml": {"tcib_gather_files": [str(extra / "ca.pem")]}})
    entry = make_plan(str(root), PlanSettings(BASE_IMAGE, extra_gather_dirs=[str(extra)]))[0]
    assert entry.gather_sources == [str(extra / "ca.pem")]
    with pytest.raises(VariableError) as info:
        PlanSettings(BASE_IMAGE, extra_gather_dirs=[str(tmp_path / "nope")])
    assert "setting extra_gather_dirs: %s is not a directory" % (tmp_path / "nope") in str(info.value)


@pytest.mark.parametrize("make,message", [
    (lambda files: (files / "dangling").symlink_to(files / "gone"), "is a dangling symbolic link"),
    (lambda files: (files / "loop").symlink_to(files / "loop"), "is a symbolic link loop"),
    (lambda files: (files / "zero").symlink_to("/dev/zero"),
     "(a symbolic link to /dev/zero) is outside the tree"),
    (lambda files: os.mkfifo(str(files / "fifo")), "is a named pipe (fifo): only regular files and directories"),
])
def test_a_gathered_directory_holding_a_broken_link_or_special_file_is_refused(
        write_tree, settings, make, message):
    root = write_tree({"base/base.yaml": {"tcib_gather_files": ["files"]}, "base/files/ok.conf": "ok\n"})
    make(root / "base" / "files")
    assert message in gather_error(root, settings)


def test_a_device_linked_from_an_extra_gather_dir_is_refused(write_tree):
    root = write_tree({"base/base.yaml": {"tcib_gather_files": ["files/*"]}, "base/files/ok.conf": "ok\n"})
    (root / "base" / "files" / "zero").symlink_to("/dev/zero")
    settings = PlanSettings(BASE_IMAGE, extra_gather_dirs=["/dev"])
    assert "(a symbolic link to /dev/zero) is a character device: only regular files and directories are " \
        "gathered" in gather_error(root, settings)


def test_links_inside_the_tree_are_gathered(write_tree, settings, tmp_path):
    root = write_tree({"base/base.yaml": {"tcib_gather_files": ["files", "top"]}, "base/files/v1.conf": "1\n",
                       "base/shared/x.conf": "x\n"})
    (root / "base" / "files" / "current.conf").symlink_to("v1.conf")
    (root / "base" / "files" / "shared").symlink_to(root / "base" / "shared")
    (root / "base" / "top").symlink_to(root / "base" / "shared" / "x.conf")
    write_contexts(make_plan(str(root), settings, work_dir=str(tmp_path / "work")))
    context = tmp_path / "work" / "base"
    assert (context / "files" / "current.conf").read_text() == "1\n"
    assert (context / "top").read_text() == "x\n"


# --- COPY and ADD sources must be in the build context ------------------------------------------------

COPY_TREE = {"base/files/a.conf": "a\n", "base/files/b.conf": "b\n", "base/scripts/run.sh": "#!/bin/sh\n"}


def copy_tree(write_tree, **variables):
    files = dict(COPY_TREE)
    files["base/base.yaml"] = dict({"tcib_gather_files": ["files/a.conf", "scripts"]}, **variables)
    return write_tree(files)


@pytest.mark.parametrize("variables", [
    {"tcib_copies": ["a.conf /etc/a.conf", "scripts/run.sh /usr/local/bin/", "scripts /opt/scripts",
                     "./a.conf /x", "--chown=root:root --chmod=0644 a.conf /y", "*.conf /etc/", "scripts/*.sh /z",
                     "--from=builder /out /in", '["a.conf", "/with space"]', ". /all", "$SRC /v"]},
    {"tcib_adds": ["https://example.com/x.tar.gz /opt/", "a.conf /etc/"]},
    {"tcib_actions": [{"copy": "a.conf /etc/"}, {"add": ["scripts", "/opt/"]}, {"run": "true"}]},
])
def test_copies_of_gathered_files_pass(write_tree, settings, variables):
    make_plan(str(copy_tree(write_tree, **variables)), settings)


@pytest.mark.parametrize("variables,where,words", [
    ({"tcib_copies": ["b.conf /etc/b.conf"]}, "tcib_copies", "'b.conf' is not in the image's build context"),
    ({"tcib_copies": ["a.conf nosuch.conf /etc/"]}, "tcib_copies", "'nosuch.conf' is not in"),
    ({"tcib_copies": ["scripts/other.sh /x"]}, "tcib_copies", "'scripts/other.sh' is not in"),
    ({"tcib_copies": ["*.txt /x"]}, "tcib_copies", "'*.txt' is not in"),
    ({"tcib_copies": ["../base.yaml /x"]}, "tcib_copies", "'../base.yaml' is not in"),
    ({"tcib_copies": ["a.conf"]}, "tcib_copies", "COPY needs a source and a destination"),
    ({"tcib_adds": ["local.tar /opt/"]}, "tcib_adds", "'local.tar' is not in"),
    ({"tcib_actions": [{"run": "true"}, {"COPY": ["missing", "/x"]}]}, "tcib_actions[1]", "'missing' is not in"),
])
def test_a_copy_of_a_file_not_gathered_fails_while_planning(write_tree, settings, variables, where, words):
    root = copy_tree(write_tree, **variables)
    with pytest.raises(VariableError) as info:
        make_plan(str(root), settings)
    message = str(info.value)
    assert message.startswith("%s: %s: " % (root / "base" / "base.yaml", where)), message
    assert words in message
    assert "which holds only what tcib_gather_files gathers (a.conf, scripts)" in message or "needs" in words


def test_copy_error_names_the_file_that_set_tcib_copies(write_tree, settings):
    root = write_tree({"base/base.yaml": {}, "base/os/os.yaml": {"tcib_user": "x"},
                       "base/os/z-copies.yaml": {"tcib_copies": ["x.conf /etc/"]}})
    with pytest.raises(VariableError) as info:
        make_plan(str(root), settings)
    assert str(info.value).startswith("%s: tcib_copies: COPY x.conf /etc/: 'x.conf' is not in the image's build "
                                      "context, which holds only what tcib_gather_files gathers (nothing)"
                                      % (root / "base" / "os" / "z-copies.yaml"))


def test_empty_variable_files_are_warned_about(write_tree, settings):
    root = write_tree({"base/base.yaml": {"tcib_user": "root"}, "base/os/os.yaml": "---\n# emptied\n",
                       "base/os/memcached/a.yaml": "", "base/os/memcached/b.yaml": {"tcib_cmd": "memcached"}})
    plan = by_name(make_plan(str(root), settings))
    assert plan["base"].warnings == []
    assert plan["os"].warnings == [
        "%s holds no variables (an empty file)" % (root / "base" / "os" / "os.yaml"),
        "image os has no variables at all: it would be built as a copy of its parent base"]
    assert plan["memcached"].warnings == ["%s holds no variables (an empty file)"
                                          % (root / "base" / "os" / "memcached" / "a.yaml")]


def test_write_if_changed_writes_whole_files_only_when_they_change(tmp_path):
    from ansible_collections.tcib.images.plugins.module_utils.files import holds, write_if_changed

    path = str(tmp_path / "ctx" / "Containerfile")
    assert write_if_changed(path, "FROM a\n") is True
    assert holds(path, "FROM a\n")
    before = os.stat(path).st_mtime_ns
    assert write_if_changed(path, "FROM a\n") is False
    assert os.stat(path).st_mtime_ns == before
    assert write_if_changed(path, "FROM b\n") is True
    assert open(path).read() == "FROM b\n"
    assert os.listdir(str(tmp_path / "ctx")) == ["Containerfile"]  # no temporary file left


def test_entries_planned_without_a_work_dir_are_written_at_its_paths(tree, settings, tmp_path):
    entries = make_plan(tree, settings, services=["os"])
    assert entries[0].context_dir is None
    assert write_contexts(entries, str(tmp_path / "work")) == ["base", "os"]
    assert (tmp_path / "work" / "base" / "os" / "Containerfile").read_text() == entries[1].containerfile
