"""Networks from our images: neutron (ML2/OVN) builds them in OVN, and a chassis binds a port.

The topology is made once through neutron's API (the openstack CLI of our client image, in the pod), and
each test asserts what an API or a database answered: neutron's, OVN's northbound and southbound databases
(ovn-nbctl and ovn-sbctl in their own images), the chassis' Open vSwitch (ovs-vsctl).
"""

import pytest

from conftest import is_healthy, openstack_in_pod, pod_containers, run_checked as run

POD = "tcib-molecule-network"
PREFIX = "tcib-net-"
CHASSIS = "tcib-chassis-1"
# The OVS interface that stands for the port's device on the chassis (at most 15 characters).
DEVICE = "tap-molecule0"


def openstack(host, *args, answers=True):
    """`openstack ARGS` in the client image inside the pod; its answer, parsed from JSON."""
    return openstack_in_pod(host, POD, *args, answers=answers)


def ctl(host, container, *args):
    """An OVN or Open vSwitch command line tool in one of the pod's containers; its output."""
    return run(host, ["podman", "exec", PREFIX + container, *args]).strip()


def nb(host, *args):
    return ctl(host, "ovn-nb-db-server", "ovn-nbctl", *args)


def sb(host, *args):
    return ctl(host, "ovn-sb-db-server", "ovn-sbctl", *args)


@pytest.fixture(scope="module")
def topology(host):
    """network -> subnet -> router, and a port on the network bound to the chassis' host."""
    network = openstack(host, "network", "create", "molecule-net")
    subnet = openstack(host, "subnet", "create", "--network", network["id"], "--subnet-range", "10.99.0.0/24",
                       "molecule-subnet")
    router = openstack(host, "router", "create", "molecule-router")
    openstack(host, "router", "add", "subnet", router["id"], subnet["id"], answers=False)
    port = openstack(host, "port", "create", "--network", network["id"], "--host", CHASSIS, "molecule-port")
    return {"network": network, "subnet": subnet, "router": router, "port": port}


def test_neutron_answers_what_was_created(host, topology):
    network, subnet, port = topology["network"], topology["subnet"], topology["port"]
    assert network["status"] == "ACTIVE"
    assert network["provider:network_type"] == "geneve"
    assert subnet["cidr"] == "10.99.0.0/24" and subnet["network_id"] == network["id"]
    assert port["network_id"] == network["id"]
    assert [ip["subnet_id"] for ip in port["fixed_ips"]] == [subnet["id"]]
    router_ports = openstack(host, "port", "list", "--router", topology["router"]["id"])
    assert [ip["subnet_id"] for router_port in router_ports for ip in router_port["Fixed IP Addresses"]] == \
        [subnet["id"]]


def test_the_logical_switch_and_router_are_in_the_northbound_database(host, topology):
    network, subnet, router = topology["network"], topology["subnet"], topology["router"]
    switches = nb(host, "--bare", "--columns=name", "find", "Logical_Switch").split()
    assert "neutron-%s" % network["id"] in switches
    routers = nb(host, "--bare", "--columns=name", "find", "Logical_Router").split()
    assert "neutron-%s" % router["id"] in routers
    # The router's interface on the subnet: a router port with the gateway's address.
    networks = nb(host, "--bare", "--columns=networks", "find", "Logical_Router_Port",
                  "external_ids:\"neutron:router_name\"=\"%s\"" % router["id"])
    assert "%s/24" % subnet["gateway_ip"] in networks.split()
    # The neutron port is a logical switch port of the network's switch.
    assert port_names(host, network) >= {topology["port"]["id"]}


def port_names(host, network):
    return set(nb(host, "--bare", "--columns=name", "find", "Logical_Switch_Port",
                  "external_ids:\"neutron:network_name\"=\"neutron-%s\"" % network["id"]).split())


def test_the_chassis_registered_in_the_southbound_database_and_neutron(host):
    assert sb(host, "--bare", "--columns=hostname", "find", "Chassis", "name=%s" % CHASSIS) == CHASSIS
    agents = openstack(host, "network", "agent", "list", "--host", CHASSIS)
    assert [(agent["Agent Type"], agent["Alive"]) for agent in agents] == [("OVN Controller agent", True)]
    assert ctl(host, "ovsdb-server", "ovs-vsctl", "get", "Bridge", "br-int", "datapath_type") == "netdev"


def test_the_port_bound_on_the_chassis_goes_active(host, topology, wait_for):
    port = topology["port"]
    assert port["status"] == "DOWN"
    assert port["binding_vif_type"] == "ovs"
    ctl(host, "ovsdb-server", "ovs-vsctl", "add-port", "br-int", DEVICE, "--", "set", "Interface", DEVICE,
        "type=internal", "external_ids:iface-id=%s" % port["id"])

    def status():
        return openstack(host, "port", "show", port["id"])["status"]

    wait_for(lambda: status() == "ACTIVE", 60)
    assert status() == "ACTIVE"
    assert nb(host, "lsp-get-up", port["id"]) == "up"
    chassis_uuid = sb(host, "--bare", "--columns=_uuid", "find", "Chassis", "name=%s" % CHASSIS)
    assert sb(host, "--bare", "--columns=chassis", "find", "Port_Binding",
              "logical_port=%s" % port["id"]) == chassis_uuid
    assert ctl(host, "ovsdb-server", "ovs-vsctl", "get", "Interface", DEVICE, "external_ids:ovn-installed") == \
        '"true"'


def test_every_container_is_healthy(host):
    containers = pod_containers(host, POD, PREFIX)
    assert len(containers) == 11, containers
    assert [container for container in containers if not is_healthy(host, container)] == []
