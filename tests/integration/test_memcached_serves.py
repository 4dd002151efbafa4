"""base, os and memcached are really built, and memcached answers a set/get round trip."""

import json
import socket
import time
import uuid

import pytest

from conftest import podman, real_image

MEMCACHED = real_image("memcached")


def _talk(port, payload, expect, timeout=10):
    deadline = time.time() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=3) as conn:
                conn.sendall(payload)
                data = b""
                while not data.endswith(expect):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                return data
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)


@pytest.fixture
def memcached_container(built_memcached):
    name = "tcib-test-memcached-%s" % uuid.uuid4().hex[:8]
    podman("run", "-d", "--name", name, "-p", "127.0.0.1::11211", MEMCACHED)
    try:
        port = int(podman("port", name, "11211/tcp").stdout.strip().rsplit(":", 1)[1])
        yield name, port
    finally:
        podman("rm", "-f", name, check=False)


def test_images_are_up_to_date_in_dependency_order(built_memcached):
    summary = json.loads((built_memcached["work_dir"] / "summary.json").read_text())
    assert [item["name"] for item in summary["images"]] == ["base", "os", "memcached"]
    assert all(item["status"] in ("built", "up to date") for item in summary["images"]), summary


def test_memcached_set_get_round_trip(memcached_container):
    _name, port = memcached_container
    value = uuid.uuid4().hex
    reply = _talk(port, b"set probe 0 0 32\r\n" + value.encode() + b"\r\nget probe\r\n", b"END\r\n")
    assert reply == b"STORED\r\nVALUE probe 0 32\r\n" + value.encode() + b"\r\nEND\r\n"


def test_memcached_runs_as_memcache_and_is_healthy(memcached_container):
    name, port = memcached_container
    _talk(port, b"version\r\n", b"\r\n")
    assert podman("exec", name, "id", "-un").stdout.strip() == "memcache"
    assert podman("healthcheck", "run", name, check=False).returncode == 0


def test_sizes_within_targets(built_memcached):
    sizes = {}
    for name in ("base", "memcached"):
        inspect = podman("image", "inspect", "--format", "{{.Size}}", real_image(name))
        sizes[name] = int(inspect.stdout.strip())
    assert sizes["base"] <= 110 * 1000 * 1000, sizes
    assert sizes["memcached"] <= 130 * 1000 * 1000, sizes


def test_no_apt_lists_or_caches_left(built_memcached):
    out = podman("run", "--rm", "--entrypoint", "sh", MEMCACHED, "-c",
                 "ls -A /var/lib/apt/lists /var/cache/apt/archives; ls /usr/share/man 2>/dev/null | wc -l").stdout
    assert out.split() == ["/var/cache/apt/archives:", "/var/lib/apt/lists:", "0"], out
