"""A server boots on our compute node: nova-compute and libvirtd from our images, a guest from Debian.

Everything is asked through the services' APIs with the openstack CLI of our client image (in the pod),
except what only the compute node can tell: libvirt's domains (virsh in nova-libvirt) and the files in
the instances' directory.
"""

import os

import pytest

from conftest import is_healthy, openstack_in_pod, pod_containers, run_checked as run

POD = "tcib-molecule-compute"
PREFIX = "tcib-cmp-"
STATE = "/var/tmp/tcib-molecule-compute/state"
MARKER = "TCIB-GUEST-MARKER: booted from Debian packages"


def openstack(host, *args, answers=True):
    """`openstack ARGS` in the client image inside the pod (the scenario's guest files at /guest); its
    answer, parsed from JSON, or its text when answers is false."""
    return openstack_in_pod(host, POD, *args, env={"OS_COMPUTE_API_VERSION": "2.79"},
                            volumes=["%s/guest:/guest:ro,z" % STATE], answers=answers)


def virsh(host, *args):
    return run(host, ["podman", "exec", PREFIX + "nova-libvirt", "virsh", "-c", "qemu:///system", *args])


@pytest.fixture(scope="module")
def guest(host):
    """The guest in glance: kernel (aki), ramdisk (ari) and a machine image (ami) that names them."""
    with open(os.path.join(STATE, "guest", "disk.img"), "wb") as handle:
        handle.truncate(1024 * 1024)
    kernel = openstack(host, "image", "create", "--disk-format", "aki", "--container-format", "aki",
                       "--file", "/guest/vmlinuz", "molecule-kernel")
    ramdisk = openstack(host, "image", "create", "--disk-format", "ari", "--container-format", "ari",
                        "--file", "/guest/initrd.img", "molecule-ramdisk")
    machine = openstack(host, "image", "create", "--disk-format", "ami", "--container-format", "ami",
                        "--file", "/guest/disk.img", "--property", "kernel_id=%s" % kernel["id"],
                        "--property", "ramdisk_id=%s" % ramdisk["id"],
                        "--property", "os_command_line=console=ttyS0", "molecule-guest")
    flavor = openstack(host, "flavor", "create", "--ram", "128", "--disk", "1", "--vcpus", "1", "molecule-tiny")
    return {"kernel": kernel, "ramdisk": ramdisk, "machine": machine, "flavor": flavor}


def virt_type():
    with open(os.path.join(STATE, "virt_type")) as handle:
        return handle.read().strip()


def test_the_compute_service_and_its_hypervisor_are_up(host, wait_for):
    def compute_up():
        services = openstack(host, "compute", "service", "list", "--service", "nova-compute")
        return [(service["State"], service["Status"]) for service in services] == [("up", "enabled")]

    assert wait_for(compute_up, 60, interval=5)
    hypervisors = openstack(host, "hypervisor", "list", "--long")
    assert [hypervisor["State"] for hypervisor in hypervisors] == ["up"]
    assert hypervisors[0]["Hypervisor Type"] == "QEMU"


def test_placement_has_the_hypervisor_with_inventory(host):
    hypervisor = openstack(host, "hypervisor", "list")[0]["Hypervisor Hostname"]
    providers = openstack(host, "resource", "provider", "list", "--name", hypervisor)
    assert len(providers) == 1
    inventory = {entry["resource_class"]: entry
                 for entry in openstack(host, "resource", "provider", "inventory", "list", providers[0]["uuid"])}
    assert {"VCPU", "MEMORY_MB", "DISK_GB"} <= set(inventory)
    assert all(inventory[name]["total"] > 0 for name in ("VCPU", "MEMORY_MB", "DISK_GB"))


def test_the_guest_is_registered_as_kernel_ramdisk_and_machine_image(host, guest):
    machine = openstack(host, "image", "show", guest["machine"]["id"])
    assert machine["status"] == "active" and machine["disk_format"] == "ami"
    assert machine["properties"]["kernel_id"] == guest["kernel"]["id"]
    assert machine["properties"]["ramdisk_id"] == guest["ramdisk"]["id"]
    assert [guest[kind]["status"] for kind in ("kernel", "ramdisk")] == ["active", "active"]


def test_a_server_boots_prints_its_marker_and_goes_without_a_trace(host, guest, wait_for):
    server = openstack(host, "server", "create", "--nic", "none", "--image", guest["machine"]["id"],
                       "--flavor", guest["flavor"]["id"], "--wait", "molecule-server")
    assert server["status"] == "ACTIVE", server
    domain = server["OS-EXT-SRV-ATTR:instance_name"]
    assert 'type="%s"' % virt_type() in virsh(host, "dumpxml", domain).replace("'", '"').split("\n")[0]

    def console():
        return openstack(host, "console", "log", "show", server["id"], answers=False)

    assert wait_for(lambda: MARKER in console(), 180, interval=5), console()[-2000:]
    instance_dir = os.path.join(STATE, "instances", server["id"])
    assert os.path.isdir(instance_dir)

    openstack(host, "server", "delete", "--wait", server["id"], answers=False)
    assert server["id"] not in [entry["ID"] for entry in openstack(host, "server", "list", "--all-projects")]
    assert virsh(host, "list", "--all", "--name").split() == []
    assert not os.path.exists(instance_dir)


def test_every_container_is_healthy(host):
    containers = pod_containers(host, POD, PREFIX)
    assert len(containers) == 15, containers
    assert [container for container in containers if not is_healthy(host, container)] == []
