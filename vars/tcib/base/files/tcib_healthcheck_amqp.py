"""tcib-healthcheck amqp NAME CONFIG...: a process named NAME holds an established TCP connection to the
message bus that CONFIG's [DEFAULT] transport_url names (any of its hosts' ports; 5672 when none is given).

A service that only runs is not healthy: an RPC server (nova-conductor, a neutron agent, ...) whose bus
connection is lost serves nobody. Run by tcib-healthcheck with python3, which every OpenStack image has;
installed as /usr/local/lib/tcib/tcib_healthcheck_amqp.py.

The files are read in order, the last transport_url wins (as oslo.config does); a directory stands for its
*.conf files. Sockets are matched through /proc: the process's socket inodes against /proc/net/tcp{,6}.
"""

import configparser
import glob
import os
import sys
import urllib.parse

ESTABLISHED = "01"
DEFAULT_PORT = 5672


def transport_url(paths):
    url = None
    for path in paths:
        files = sorted(glob.glob(os.path.join(path, "*.conf"))) if os.path.isdir(path) else [path]
        for name in files:
            parser = configparser.RawConfigParser(strict=False, interpolation=None, default_section="\0")
            try:
                parser.read(name)
            except configparser.Error as exc:
                raise SystemExit("%s: %s" % (name, exc))
            if parser.has_option("DEFAULT", "transport_url"):
                url = parser.get("DEFAULT", "transport_url")
    return url


def bus_ports(url):
    """Ports of every host of a transport URL: rabbit://u:p@h1:5672,u:p@h2/vhost -> {5672}."""
    netloc = urllib.parse.urlsplit(url.strip()).netloc
    ports = set()
    for host in netloc.split(","):
        host = host.rsplit("@", 1)[-1]
        if host.startswith("["):
            port = host.split("]", 1)[1].lstrip(":")
        else:
            port = host.rsplit(":", 1)[1] if ":" in host else ""
        ports.add(int(port) if port else DEFAULT_PORT)
    return ports


def process_ids(name, proc="/proc"):
    own = str(os.getpid())
    found = []
    for pid in os.listdir(proc):
        if not pid.isdigit() or pid == own:
            continue
        try:
            with open(os.path.join(proc, pid, "cmdline"), "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(os.path.join(proc, pid, "comm")) as handle:
                comm = handle.read().strip()
        except OSError:
            continue
        if comm == name or name in cmdline:
            found.append(pid)
    return found


def socket_inodes(pids, proc="/proc"):
    inodes = set()
    for pid in pids:
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    return inodes


def connected_ports(inodes, proc="/proc"):
    """Remote ports of the established TCP connections among these socket inodes."""
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            with open(os.path.join(proc, "self", "net", table)) as handle:
                lines = handle.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == ESTABLISHED and fields[9] in inodes:
                ports.add(int(fields[2].rsplit(":", 1)[1], 16))
    return ports


def main(argv, proc="/proc"):
    if len(argv) < 2:
        raise SystemExit("usage: tcib-healthcheck amqp NAME CONFIG...")
    name, paths = argv[0], argv[1:]
    url = transport_url(paths)
    if not url:
        raise SystemExit("no [DEFAULT] transport_url in %s" % " ".join(paths))
    wanted = bus_ports(url)
    pids = process_ids(name, proc)
    if not pids:
        raise SystemExit("no %s process" % name)
    if not wanted & connected_ports(socket_inodes(pids, proc), proc):
        raise SystemExit("%s holds no connection to the message bus (port %s)" % (
            name, ", ".join(str(port) for port in sorted(wanted))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
