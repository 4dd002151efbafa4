"""What the scenarios' testinfra verifiers share."""

import json
import shlex
import socket
import time

import pytest


def _memcached(port, request):
    """Send one memcached text-protocol request to 127.0.0.1:port; the reply, up to its final END."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while not data.endswith(b"END\r\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    return data


@pytest.fixture
def memcached():
    """``memcached(port, request)`` -> the reply bytes, read until END."""
    return _memcached


def _wait_for(predicate, seconds, interval=2):
    """Call predicate until it is true or seconds have passed; its last answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def wait_for():
    """``wait_for(predicate, seconds, interval=2)`` -> predicate's last answer, once true or out of time."""
    return _wait_for


# The client image and the admin of the shared bring-up (extensions/molecule/shared), for every scenario's
# verifier. The test modules import these (pytest puts this directory on sys.path for its conftest).
CLIENT = "localhost/tcib/openstack-client:latest"
ADMIN_PASSWORD = "controlplane-admin-secret"


def run_checked(host, command):
    """Run ``command`` (a list of words) on the host; its output, or a failed assertion naming it."""
    result = host.run(" ".join(shlex.quote(part) for part in command))
    assert result.rc == 0, "%s: %s" % (" ".join(command), result.stderr)
    return result.stdout


def openstack_in_pod(host, pod, *args, project="admin", env=None, volumes=(), answers=True):
    """`openstack ARGS` in the client image inside the pod, as the bring-up's admin; its answer parsed from
    JSON, or its text when ``answers`` is false. ``volumes`` are podman --volume values."""
    environment = {"OS_AUTH_URL": "http://127.0.0.1:5000/v3", "OS_USERNAME": "admin",
                   "OS_PASSWORD": ADMIN_PASSWORD, "OS_PROJECT_NAME": project, "OS_USER_DOMAIN_NAME": "Default",
                   "OS_PROJECT_DOMAIN_NAME": "Default", "OS_REGION_NAME": "RegionOne"}
    environment.update(env or {})
    command = ["podman", "run", "--rm", "--pod", pod] + ["--volume=%s" % volume for volume in volumes]
    command += ["--env=%s=%s" % item for item in environment.items()]
    output = run_checked(host, command + [CLIENT, "openstack", *args] + (["-f", "json"] if answers else []))
    return json.loads(output) if answers else output


def pod_containers(host, pod, prefix):
    """Names of the pod's running containers that the scenario started (they start with ``prefix``)."""
    names = run_checked(host, ["podman", "ps", "--filter", "pod=%s" % pod, "--format", "{{.Names}}"]).split()
    return [name for name in names if name.startswith(prefix)]


def is_healthy(host, container):
    """What the container's own HEALTHCHECK answers now."""
    return host.run("podman healthcheck run %s" % container).rc == 0
