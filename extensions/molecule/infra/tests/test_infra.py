"""Real answers from mariadb, rabbitmq and memcached started from our images."""

import socket
import struct
import uuid

import pytest

CONTAINERS = ("tcib-infra-mariadb", "tcib-infra-rabbitmq", "tcib-infra-memcached")


@pytest.mark.parametrize("name", CONTAINERS)
def test_container_is_healthy_by_its_healthcheck(host, name):
    assert host.run("podman healthcheck run %s", name).rc == 0
    state = host.run("podman inspect --format '{{.State.Health.Status}}' %s", name)
    assert state.stdout.strip() == "healthy"


@pytest.mark.parametrize("name,user", [("tcib-infra-mariadb", "mysql"), ("tcib-infra-rabbitmq", "rabbitmq"),
                                       ("tcib-infra-memcached", "memcache")])
def test_service_runs_as_its_own_user(host, name, user):
    assert host.run("podman exec %s id -un", name).stdout.strip() == user


def test_mariadb_answers_sql(host):
    table = "t_" + uuid.uuid4().hex[:8]
    sql = ("CREATE DATABASE IF NOT EXISTS scenario; CREATE TABLE scenario.%s (v VARCHAR(32)); "
           "INSERT INTO scenario.%s VALUES ('row-from-molecule'); SELECT v FROM scenario.%s;" % (table, table, table))
    result = host.run("podman exec tcib-infra-mariadb mariadb --batch --skip-column-names -e %s", sql)
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "row-from-molecule"
    # And over TCP on the published port: the server greeting names MariaDB.
    with socket.create_connection(("127.0.0.1", 13306), timeout=10) as conn:
        greeting = conn.recv(256)
    assert b"MariaDB" in greeting


def test_rabbitmq_status_and_amqp_handshake(host):
    status = host.run("podman exec tcib-infra-rabbitmq rabbitmqctl status")
    assert status.rc == 0, status.stderr
    assert "RabbitMQ version" in status.stdout
    with socket.create_connection(("127.0.0.1", 15672), timeout=10) as conn:
        conn.sendall(b"AMQP\x00\x00\x09\x01")
        frame = conn.recv(4096)
    # A method frame on channel 0 carrying connection.start (class 10, method 10), protocol 0-9.
    frame_type, channel = struct.unpack("!BH", frame[:3])
    class_id, method_id, major, minor = struct.unpack("!HHBB", frame[7:13])
    assert (frame_type, channel, class_id, method_id, major, minor) == (1, 0, 10, 10, 0, 9)
    assert b"PLAIN" in frame


def test_memcached_set_get_round_trip(memcached):
    value = uuid.uuid4().hex.encode()
    data = memcached(11311, b"set molecule 0 0 32\r\n" + value + b"\r\nget molecule\r\n")
    assert data == b"STORED\r\nVALUE molecule 0 32\r\n" + value + b"\r\nEND\r\n"
