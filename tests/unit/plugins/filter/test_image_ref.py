# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.tcib.images.plugins.filter.image_ref import FilterModule, image_ref
from ansible_collections.tcib.images.plugins.module_utils import discovery


def test_the_filter_names_an_image_as_the_plan_does():
    assert FilterModule().filters()["image_ref"] is image_ref
    assert image_ref("nova-api") == discovery.image_ref("nova-api") == "localhost/tcib/openstack-nova-api:latest"
    assert image_ref("nova-api", registry="registry.example.com:5000", namespace="ns", prefix="", tag="t1",
                     suffix="-hotfix") == "registry.example.com:5000/ns/nova-api:t1-hotfix"


def test_a_name_that_is_no_reference_fails_naming_the_image():
    with pytest.raises(AnsibleFilterError, match="image 'Nova' cannot be named localhost/tcib/openstack-Nova:latest"):
        image_ref("Nova")
