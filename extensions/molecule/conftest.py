"""What the scenarios' testinfra verifiers share."""

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
