# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build plan over a tree, and the build contexts written from it."""

import os

import pytest
import yaml

from ansible_collections.tcib.images.plugins.module_utils.plan import (
    PlanSettings, make_plan, write_contexts)
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
    return dict((entry["name"], entry) for entry in entries)


def test_plan_is_in_build_order_with_from_chain(tree, settings):
    entries = make_plan(tree, settings)
    assert [entry["name"] for entry in entries] == ["base", "os", "keystone", "nova-base", "nova-api"]
    plan = by_name(entries)
    assert plan["base"]["parent"] is None
    assert plan["base"]["from"] == BASE_IMAGE
    assert plan["os"]["from"] == "registry.example/ns/pfx-base:t1"
    assert plan["nova-base"]["from"] == "registry.example/ns/pfx-os:t1"
    assert plan["nova-api"]["from"] == "registry.example/ns/pfx-nova-base:t1"
    assert plan["nova-api"]["parent"] == "nova-base"
    assert plan["nova-api"]["image"] == "registry.example/ns/pfx-nova-api:t1"
    for entry in entries:
        assert entry["containerfile"].splitlines()[0] == "FROM %s" % entry["from"]


def test_tcib_from_overrides_the_parent(tree, settings):
    keystone = by_name(make_plan(tree, settings))["keystone"]
    assert keystone["parent"] == "os"
    assert keystone["from"] == "quay.io/other/keystone-base:1"
    assert keystone["containerfile"].startswith("FROM quay.io/other/keystone-base:1\n")


def test_plan_templates_with_distro_and_release(tree, settings):
    plan = by_name(make_plan(tree, settings))
    assert plan["base"]["variables"]["tcib_actions"] == [{"run": "apt-get install -y ca-certificates curl"}]
    assert "RUN apt-get install -y ca-certificates curl\n" in plan["base"]["containerfile"]
    assert plan["os"]["variables"]["tcib_runs"] == ["echo debian-13"]
    assert "RUN echo debian-13\n" in plan["os"]["containerfile"]


def test_plan_selection(tree, settings):
    names = [entry["name"] for entry in make_plan(tree, settings, services=["nova-api"])]
    assert names == ["base", "os", "nova-base", "nova-api"]
    names = [entry["name"] for entry in make_plan(tree, settings, exclude=["keystone"])]
    assert "keystone" not in names and names[0] == "base"


def test_extra_vars_apply_to_every_image_and_are_named_in_errors(tree):
    settings = PlanSettings(BASE_IMAGE, extra_vars={"tcib_labels": {"build": "42"}})
    for entry in make_plan(tree, settings):
        assert 'LABEL build="42"\n' in entry["containerfile"]
    settings = PlanSettings(BASE_IMAGE, extra_vars={"tcib_labels": ["not", "a", "dict"]})
    with pytest.raises(VariableError) as info:
        make_plan(tree, settings)
    assert "extra config" in str(info.value) and "tcib_labels" in str(info.value)


def test_plan_errors_name_the_file(write_tree, settings):
    root = write_tree({"base/base.yaml": {}, "base/bad/bad.yaml": {"tcib_runs": ["{{ nope }}"]}})
    with pytest.raises(VariableError) as info:
        make_plan(str(root), settings)
    assert os.path.join(str(root), "base", "bad", "bad.yaml") in str(info.value)
    assert "tcib_runs" in str(info.value)


def test_write_contexts_mirrors_the_tree(tree, settings, tmp_path):
    work = tmp_path / "work"
    entries = make_plan(tree, settings)
    changed = write_contexts(entries, str(work))
    assert sorted(changed) == sorted(entry["name"] for entry in entries)
    for entry in entries:
        context = work / entry["relpath"]
        assert entry["context_dir"] == str(context)
        assert (context / "Containerfile").read_text() == entry["containerfile"]
        assert entry["containerfile_path"] == str(context / "Containerfile")
        assert entry["vars_path"] == str(context / ("%s-vars.yaml" % entry["name"]))
        assert entry["log_path"] == str(context / ("%s-build.log" % entry["name"]))
        assert yaml.safe_load((context / ("%s-vars.yaml" % entry["name"])).read_text()) == entry["variables"]
    assert (work / "base" / "os" / "nova-base" / "nova-api" / "Containerfile").is_file()


def test_write_contexts_is_idempotent_and_reports_real_changes(tree, settings, tmp_path):
    work = str(tmp_path / "work")
    entries = make_plan(tree, settings)
    assert write_contexts(entries, work)
    containerfile = os.path.join(work, "base", "os", "Containerfile")
    mtime = os.stat(containerfile).st_mtime_ns
    assert write_contexts(make_plan(tree, settings), work) == []
    assert os.stat(containerfile).st_mtime_ns == mtime  # not rewritten
    # A changed variable changes exactly that image.
    with open(os.path.join(tree, "base", "os", "os.yaml"), "w") as handle:
        yaml.safe_dump({"tcib_runs": ["something else"]}, handle)
    assert write_contexts(make_plan(tree, settings), work) == ["os"]
    # A changed base image changes only the root.
    other = PlanSettings("docker.io/library/debian:14", registry="registry.example", namespace="ns",
                         prefix="pfx", tag="t1")
    assert write_contexts(make_plan(tree, other), work) == ["base"]


def test_vars_file_change_alone_is_reported(tree, settings, tmp_path):
    work = str(tmp_path / "work")
    write_contexts(make_plan(tree, settings), work)
    # tcib_packages is not rendered into the Containerfile, but it is part of the vars file.
    with open(os.path.join(tree, "base", "os", "keystone", "extra.yaml"), "w") as handle:
        yaml.safe_dump({"tcib_packages": {"x": ["y"]}}, handle)
    assert write_contexts(make_plan(tree, settings), work) == ["keystone"]


def test_gather_files_are_copied_into_the_context(write_tree, settings, tmp_path):
    root = write_tree({
        "base/base.yaml": {"tcib_gather_files": ["files/*.conf", "scripts"]},
        "base/files/a.conf": "a\n",
        "base/files/b.conf": "b\n",
        "base/files/skip.txt": "no\n",
        "base/scripts/run.sh": "#!/bin/sh\n",
    })
    work = tmp_path / "work"
    entries = make_plan(str(root), settings)
    write_contexts(entries, str(work))
    context = work / "base"
    assert (context / "a.conf").read_text() == "a\n"
    assert (context / "b.conf").read_text() == "b\n"
    assert not (context / "skip.txt").exists()
    assert (context / "scripts" / "run.sh").read_text() == "#!/bin/sh\n"
    assert sorted(entries[0]["gathered"]) == sorted(str(context / name) for name in ("a.conf", "b.conf", "scripts"))
    # Again: directories are replaced, not nested, and nothing changed.
    assert write_contexts(make_plan(str(root), settings), str(work)) == []
    assert not (context / "scripts" / "scripts").exists()


def test_missing_gathered_file_names_the_key_and_file(write_tree, settings, tmp_path):
    root = write_tree({"base/base.yaml": {"tcib_gather_files": ["files/missing.conf"]}})
    entries = make_plan(str(root), settings)
    with pytest.raises(VariableError) as info:
        write_contexts(entries, str(tmp_path / "work"))
    message = str(info.value)
    assert "tcib_gather_files" in message
    assert "files/missing.conf" in message
    assert os.path.join(str(root), "base", "base.yaml") in message
