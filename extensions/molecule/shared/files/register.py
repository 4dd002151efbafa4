"""Register the service users, services and endpoints of the scenario in keystone (in one process).

Also creates the project "demo", where the admin boots a server, so that the admin project's own server
list stays empty. Run in the client image with the admin's OS_* variables; SERVICE_PASSWORD is the
password of every service user, SERVICES the services to register (glance,placement,nova,neutron).
"""

import os

import openstack

ENDPOINTS = (
    ("glance", "image", "http://127.0.0.1:9292"),
    ("placement", "placement", "http://127.0.0.1:8778"),
    ("nova", "compute", "http://127.0.0.1:8774/v2.1"),
    ("neutron", "network", "http://127.0.0.1:9696"),
)
SERVICES = os.environ["SERVICES"].split(",")

cloud = openstack.connect()
identity = cloud.identity
service_project = identity.create_project(name="service", domain_id="default")
admin_role = identity.find_role("admin", ignore_missing=False)
for name, service_type, url in ENDPOINTS:
    if name not in SERVICES:
        continue
    user = identity.create_user(name=name, domain_id="default", default_project_id=service_project.id,
                                password=os.environ["SERVICE_PASSWORD"])
    identity.assign_project_role_to_user(service_project, user, admin_role)
    service = identity.create_service(name=name, type=service_type)
    for interface in ("public", "internal", "admin"):
        identity.create_endpoint(service_id=service.id, interface=interface, url=url, region_id="RegionOne")
    print("registered", name, service_type, url)

demo_project = identity.create_project(name="demo", domain_id="default")
admin_user = identity.find_user("admin", domain_id="default", ignore_missing=False)
identity.assign_project_role_to_user(demo_project, admin_user, admin_role)
print("registered project demo")
