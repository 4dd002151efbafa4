# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The defaults of a run, in one place: the modules' argument specs, the plan and the tcib-build command
read them here (playbooks/build.yml spells them too; a unit test holds it to these)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Image names are {registry}/{namespace}/{prefix}-{image}:{tag}.
REGISTRY = "localhost"
NAMESPACE = "tcib"
PREFIX = "openstack"
TAG = "latest"

# What templates see as tcib_distro and tcib_release, and the Debian suite the base image is built from.
DISTRO = "debian"
SUITE = "trixie"
# Debian's release numbers by suite (upstream's --release gives the number).
RELEASES = {"bookworm": "12", "trixie": "13", "forky": "14"}
RELEASE = RELEASES[SUITE]

# The base image built from the mirror, one tag per suite.
BASE_IMAGE_REPOSITORY = "localhost/tcib/debian"
BASE_IMAGE = "%s:%s" % (BASE_IMAGE_REPOSITORY, SUITE)

WORK_DIR = "/var/tmp/tcib"


def base_image(suite=SUITE):
    return "%s:%s" % (BASE_IMAGE_REPOSITORY, suite)
