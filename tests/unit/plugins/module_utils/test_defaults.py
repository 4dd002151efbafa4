# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The defaults live in module_utils/defaults.py; the playbooks and roles that spell them must agree."""

import os

import pytest
import yaml

from ansible_collections.tcib.images.plugins.module_utils import defaults
from conftest import REPO_ROOT


def load(*path):
    with open(os.path.join(REPO_ROOT, *path)) as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("playbook", ["build.yml", "hotfix.yml"])
def test_the_playbooks_name_images_with_the_collection_s_defaults(playbook):
    play_vars = load("playbooks", playbook)[0]["vars"]
    assert play_vars["registry"] == defaults.REGISTRY
    # `namespace` comes from extra vars only (see the playbook); its fallback is the default.
    assert play_vars["image_namespace"] == "{{ namespace if namespace is string else '%s' }}" % defaults.NAMESPACE
    assert play_vars["prefix"] == defaults.PREFIX
    assert play_vars["tag"] == defaults.TAG
    assert play_vars["work_dir"] == defaults.WORK_DIR


def test_build_yml_builds_from_the_collection_s_distribution():
    play_vars = load("playbooks", "build.yml")[0]["vars"]
    assert play_vars["distro"] == defaults.DISTRO
    assert play_vars["distro_suite"] == defaults.SUITE
    assert play_vars["debian_releases"] == defaults.RELEASES
    assert play_vars["base_image"] == "%s:{{ distro_suite }}" % defaults.BASE_IMAGE_REPOSITORY


def test_the_tripleoclient_role_names_images_as_build_yml():
    assert load("roles", "tripleo_container_image_build", "defaults", "main.yml")[
        "tripleo_container_image_build_prefix"] == defaults.PREFIX


def test_the_default_base_image_is_the_default_suite_s():
    assert defaults.BASE_IMAGE == defaults.base_image() == "localhost/tcib/debian:trixie"
    assert defaults.RELEASE == defaults.RELEASES[defaults.SUITE]


def test_the_base_image_role_builds_what_build_yml_builds():
    role = load("roles", "base_image", "defaults", "main.yml")
    play_vars = load("playbooks", "build.yml")[0]["vars"]
    assert role["base_image_suite"] == defaults.SUITE
    assert role["base_image_release"] == defaults.RELEASE
    assert role["base_image_ref"] == "%s:{{ base_image_suite }}" % defaults.BASE_IMAGE_REPOSITORY
    assert role["base_image_work_dir"] == defaults.WORK_DIR
    assert role["base_image_mirror"] == play_vars["distro_mirror"]
    assert role["base_image_security_mirror"] == play_vars["distro_security_mirror"]
    assert role["base_image_package_cache"] == play_vars["package_cache"]
    assert role["base_image_repositories"] == play_vars["apt_repositories"] == []
    assert role["base_image_check_updates"] is play_vars["check_updates"] is True
