# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image's AMQP health check against a fake /proc (the real one is exercised by molecule controlplane)."""

import importlib.machinery
import importlib.util
import os

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), *[".."] * 6, "vars", "tcib", "base", "files",
                      "tcib_healthcheck_amqp.py")


def load():
    loader = importlib.machinery.SourceFileLoader("tcib_healthcheck_amqp", os.path.abspath(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


amqp = load()
TCP_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"


def tcp_line(remote_port, state, inode):
    return ("   0: 0100007F:A1B2 0100007F:%04X %s 00000000:00000000 00:00000000 00000000 42413 0 %s 1\n"
            % (remote_port, state, inode))


def fake_proc(tmp_path, processes, tcp_lines):
    """processes: {pid: (comm, cmdline, [socket inodes])}."""
    proc = tmp_path / "proc"
    for pid, (comm, cmdline, inodes) in processes.items():
        fd_dir = proc / str(pid) / "fd"
        fd_dir.mkdir(parents=True)
        (proc / str(pid) / "comm").write_text(comm + "\n")
        (proc / str(pid) / "cmdline").write_bytes(b"\0".join(part.encode() for part in cmdline.split()) + b"\0")
        for number, inode in enumerate(inodes):
            os.symlink("socket:[%s]" % inode, str(fd_dir / str(number + 3)))
        os.symlink("/dev/null", str(fd_dir / "0"))
    (proc / "self" / "net").mkdir(parents=True)
    (proc / "self" / "net" / "tcp").write_text(TCP_HEADER + "".join(tcp_lines))
    (proc / "self" / "net" / "tcp6").write_text(TCP_HEADER)
    return str(proc)


def config(tmp_path, url, name="nova.conf"):
    path = tmp_path / name
    path.write_text("[DEFAULT]\nstate_path = /var/lib/nova\ntransport_url = %s\n[database]\nconnection = x\n" % url)
    return str(path)


CONDUCTOR = {101: ("nova-conducto", "/usr/bin/python3 /usr/bin/nova-conductor --config-file=/etc/nova/nova.conf",
                   ["9001", "9002"])}


def test_healthy_when_the_process_holds_an_established_connection_to_the_bus(tmp_path):
    proc = fake_proc(tmp_path, CONDUCTOR, [tcp_line(3306, "01", "9001"), tcp_line(5672, "01", "9002")])
    assert amqp.main(["nova-conductor", config(tmp_path, "rabbit://u:p@127.0.0.1:5672/")], proc) == 0


@pytest.mark.parametrize("lines", [
    [tcp_line(3306, "01", "9001")],                       # connected to the database only
    [tcp_line(5672, "06", "9002")],                       # TIME_WAIT: the bus connection is gone
    [tcp_line(5672, "01", "7777")],                       # another process's connection
], ids=["database only", "not established", "not its socket"])
def test_unhealthy_without_its_own_established_bus_connection(tmp_path, lines):
    proc = fake_proc(tmp_path, CONDUCTOR, lines)
    with pytest.raises(SystemExit, match="nova-conductor holds no connection to the message bus \\(port 5672\\)"):
        amqp.main(["nova-conductor", config(tmp_path, "rabbit://u:p@127.0.0.1:5672/")], proc)


def test_unhealthy_without_the_process_or_the_transport_url(tmp_path):
    proc = fake_proc(tmp_path, CONDUCTOR, [tcp_line(5672, "01", "9002")])
    with pytest.raises(SystemExit, match="no nova-scheduler process"):
        amqp.main(["nova-scheduler", config(tmp_path, "rabbit://u:p@127.0.0.1/")], proc)
    with pytest.raises(SystemExit, match="no \\[DEFAULT\\] transport_url in /nonexistent"):
        amqp.main(["nova-conductor", "/nonexistent"], proc)


def test_any_host_of_the_url_counts_and_the_last_file_wins(tmp_path):
    proc = fake_proc(tmp_path, CONDUCTOR, [tcp_line(5673, "01", "9002")])
    first = config(tmp_path, "rabbit://u:p@a:5672/", "nova.conf")
    conf_d = tmp_path / "nova.conf.d"
    conf_d.mkdir()
    config(conf_d, "rabbit://u:p@a:5672,u:p@b:5673,u:p@[::1]:5674/", "50-bus.conf")
    assert amqp.main(["nova-conductor", first, str(conf_d)], proc) == 0
    with pytest.raises(SystemExit):
        amqp.main(["nova-conductor", first], proc)


@pytest.mark.parametrize("url,ports", [
    ("rabbit://u:p@h:5672/", {5672}),
    ("rabbit://u:p@h1,u:p@h2:5671/vhost", {5671, 5672}),
    ("rabbit://u:p%40x@[fd00::1]:5673/", {5673}),
    ("rabbit://h/", {5672}),
])
def test_bus_ports(url, ports):
    assert amqp.bus_ports(url) == ports


def test_the_check_does_not_count_itself(tmp_path):
    processes = {os.getpid(): ("python3", "python3 /usr/local/lib/tcib/tcib_healthcheck_amqp.py nova-conductor "
                                          "/etc/nova/nova.conf", ["9002"])}
    proc = fake_proc(tmp_path, processes, [tcp_line(5672, "01", "9002")])
    with pytest.raises(SystemExit, match="no nova-conductor process"):
        amqp.main(["nova-conductor", config(tmp_path, "rabbit://u:p@h/")], proc)
