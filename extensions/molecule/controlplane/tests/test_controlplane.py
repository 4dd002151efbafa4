"""The control plane from our images answers: catalog, image upload, placement, scheduling, caching.

Every check goes through the services' own APIs (the openstack CLI of our client image, or HTTP on the
pod's ports published on 127.0.0.1), except where nova hides the answer without neutron: a boot rejected
by the scheduler is read back from nova's cell0 database.
"""

import hashlib
import json
import os
import urllib.request
import uuid

from conftest import ADMIN_PASSWORD, is_healthy, openstack_in_pod

POD = "tcib-molecule-controlplane"
STATE = "/var/tmp/tcib-molecule-controlplane/state"
KEYSTONE = "http://127.0.0.1:25000"
NOVA = "http://127.0.0.1:28774"
GLANCE = "http://127.0.0.1:29292"


def openstack(host, *args, project="admin", mounts=(), answers=True):
    """Run `openstack ARGS` in the client image inside the pod; return its answer, parsed from JSON."""
    return openstack_in_pod(host, POD, *args, project=project, volumes=["%s:%s:ro,Z" % mount for mount in mounts],
                            answers=answers)


def token(project="admin"):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
    request = urllib.request.Request(KEYSTONE + "/v3/auth/tokens", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return response.headers["X-Subject-Token"]


def call(url, auth_token, body=None, **headers):
    """GET url, or POST body as JSON; return the status and the response's body."""
    headers = {"X-Auth-Token": auth_token, "Content-Type": "application/json", **headers}
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read()


def sql(host, query):
    result = host.run("podman exec tcib-cp-mariadb mariadb --batch --skip-column-names -e %s", query)
    assert result.rc == 0, result.stderr
    return result.stdout


def test_catalog_lists_every_service(host):
    services = openstack(host, "service", "list")
    assert {service["Type"] for service in services} == {"identity", "image", "placement", "compute"}
    endpoints = openstack(host, "endpoint", "list", "--interface", "public")
    assert {endpoint["Service Type"]: endpoint["URL"] for endpoint in endpoints}["compute"] == \
        "http://127.0.0.1:8774/v2.1"


def test_an_image_uploaded_to_glance_is_listed_and_reads_back(host):
    upload_dir = os.path.join(STATE, "upload")
    os.makedirs(upload_dir, mode=0o755, exist_ok=True)
    payload = os.urandom(512 * 1024)
    with open(os.path.join(upload_dir, "tiny.img"), "wb") as handle:
        handle.write(payload)
    os.chmod(os.path.join(upload_dir, "tiny.img"), 0o644)
    name = "molecule-" + uuid.uuid4().hex[:8]

    created = openstack(host, "image", "create", "--disk-format", "raw", "--container-format", "bare",
                        "--file", "/scenario/tiny.img", name, mounts=[(upload_dir + "/tiny.img", "/scenario/tiny.img")])
    assert created["status"] == "active"
    assert created["size"] == len(payload)

    listed = {image["Name"]: image for image in openstack(host, "image", "list")}
    assert listed[name]["Status"] == "active"
    # The bytes glance stored in its file store come back unchanged over its API.
    status, body = call("%s/v2/images/%s/file" % (GLANCE, created["id"]), token())
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(payload).hexdigest()
    assert os.listdir(os.path.join(STATE, "glance-images")), "glance wrote nothing to its volume"


def test_placement_creates_and_lists_resource_providers(host):
    name = "molecule-rp-" + uuid.uuid4().hex[:8]
    created = openstack(host, "resource", "provider", "create", name)
    providers = {provider["name"]: provider for provider in openstack(host, "resource", "provider", "list")}
    assert providers[name]["uuid"] == created["uuid"]
    openstack(host, "resource", "provider", "delete", created["uuid"], answers=False)
    assert name not in {provider["name"] for provider in openstack(host, "resource", "provider", "list")}


def test_nova_api_answers_server_list(host):
    assert openstack(host, "server", "list") == []


def test_conductor_and_scheduler_report_up(host, wait_for):
    """Both register through RPC over rabbitmq (the scheduler through the conductor) and then report in;
    a service that just started may take one report interval to appear."""
    services = {}

    def both_up():
        services.update((service["Binary"], service) for service in openstack(host, "compute", "service", "list"))
        return all(services.get(binary, {}).get("State") == "up" for binary in ("nova-conductor", "nova-scheduler"))

    wait_for(both_up, 60, interval=3)
    states = {binary: services.get(binary, {}).get("State") for binary in ("nova-conductor", "nova-scheduler")}
    assert states == {"nova-conductor": "up", "nova-scheduler": "up"}, services
    assert {services[binary]["Status"] for binary in states} == {"enabled"}


def test_a_boot_goes_through_conductor_and_scheduler_to_no_valid_host(host, wait_for):
    """No compute node exists: the scheduler, asking placement, finds no host and the conductor buries
    the server in cell0. Showing a server needs neutron (its security groups), which this control plane
    lacks, so the boot is posted over HTTP, the API is asked for the plain list, and the outcome is read
    from cell0's database."""
    image = openstack(host, "image", "list")[0]["ID"]
    flavor = openstack(host, "flavor", "create", "--ram", "64", "--disk", "1", "--vcpus", "1",
                       "molecule-" + uuid.uuid4().hex[:8])["id"]
    name = "molecule-" + uuid.uuid4().hex[:8]
    demo_token = token("demo")
    # Microversion 2.37 allows "networks": "none": nothing is asked of neutron.
    status, body = call(NOVA + "/v2.1/servers", demo_token,
                        {"server": {"name": name, "imageRef": image, "flavorRef": flavor, "networks": "none"}},
                        **{"OpenStack-API-Version": "compute 2.37"})
    assert status == 202
    server = json.loads(body)["server"]["id"]

    def cell0_state():
        return sql(host, "SELECT vm_state FROM nova_cell0.instances WHERE uuid = '%s'" % server).strip()

    wait_for(lambda: cell0_state() == "error", 120)
    state = cell0_state()
    assert state == "error", "the boot did not reach the scheduler's verdict in cell0"
    fault = sql(host, "SELECT message FROM nova_cell0.instance_faults WHERE instance_uuid = '%s'" % server)
    assert "No valid host was found" in fault

    status, body = call(NOVA + "/v2.1/servers", demo_token)
    assert status == 200
    assert [entry["id"] for entry in json.loads(body)["servers"] if entry["name"] == name] == [server]


def test_keystonemiddleware_caches_tokens_in_memcached(memcached):
    data = memcached(21211, b"stats\r\n")
    stats = dict(line.split(" ")[1:3] for line in data.decode().splitlines() if line.startswith("STAT "))
    assert int(stats["cmd_set"]) > 0
    assert int(stats["curr_items"]) > 0


def test_each_service_runs_as_its_own_user(host):
    users = {"mariadb": "mysql", "rabbitmq": "rabbitmq", "memcached": "memcache", "keystone": "keystone",
             "glance-api": "glance", "placement-api": "placement", "nova-api": "nova",
             "nova-conductor": "nova", "nova-scheduler": "nova"}
    for container, user in users.items():
        assert host.run("podman exec tcib-cp-%s id -un" % container).stdout.strip() == user, container


def test_conductor_health_follows_its_message_bus_connection(host, wait_for):
    """The images' amqp HEALTHCHECK: unhealthy while rabbitmq is away, healthy again once nova reconnects.
    rabbitmq is restarted before the test ends, whatever happens."""
    def healthy(container):
        return is_healthy(host, "tcib-cp-" + container)

    assert healthy("nova-conductor") and healthy("nova-scheduler")
    assert host.run("podman stop --time 30 tcib-cp-rabbitmq").rc == 0
    try:
        assert wait_for(lambda: not healthy("nova-conductor"), 30), "healthy without its message bus"
        assert not healthy("nova-scheduler")
    finally:
        assert host.run("podman start tcib-cp-rabbitmq").rc == 0
    assert wait_for(lambda: healthy("nova-conductor") and healthy("nova-scheduler"), 120), "did not reconnect"
