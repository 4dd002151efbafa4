import hashlib
import http.client
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from ansible_collections.tcib.images.plugins.module_utils import aptproxy


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture
def serve(tmp_path):
    """serve(name, {path: bytes}) -> a URL of 127.0.0.1 serving those files, on a port of its own."""
    servers = []

    def start(name, files):
        root = tmp_path / name
        for path, data in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(data)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return "http://127.0.0.1:%d" % server.server_address[1]
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def fetch(proxy, url):
    parts = urlsplit(url)
    with open(proxy.fetch(url, aptproxy.origin(parts), parts.path), "rb") as handle:
        return handle.read()


def test_pool_files_of_two_repositories_on_one_host_are_kept_apart(tmp_path, serve):
    # Two repositories on one host, on different ports, each with its own build of foo 1.0: the cache of
    # pool/ files (kept across runs) must not give one's file for the other's, which apt refuses (Hash Sum
    # mismatch).
    path = "pool/main/f/foo/foo_1.0_all.deb"
    first, second = serve("first", {path: b"first build"}), serve("second", {path: b"second build"})
    proxy = aptproxy.AptProxy(str(tmp_path / "cache"), ["127.0.0.1"])
    proxy.open()
    try:
        assert fetch(proxy, "%s/%s" % (first, path)) == b"first build"
        assert fetch(proxy, "%s/%s" % (second, path)) == b"second build"
        assert fetch(proxy, "%s/%s" % (first, path)) == b"first build"
    finally:
        proxy.stop()
    assert proxy.stats.fetches == 2


def test_cache_keys_of_the_default_port_are_the_host_name():
    # Files cached before ports were told apart keep their names: the mirror cache stays valid.
    assert aptproxy.origin(urlsplit("http://deb.debian.org/debian/pool/x.deb")) == "deb.debian.org"
    assert aptproxy.origin(urlsplit("http://deb.debian.org:80/debian/pool/x.deb")) == "deb.debian.org"
    assert aptproxy.origin(urlsplit("http://127.0.0.1:8080/pool/x.deb")) == "127.0.0.1:8080"
    proxy = aptproxy.AptProxy("/cache", ["deb.debian.org"])
    key = hashlib.sha256(b"deb.debian.org/debian/pool/x.deb").hexdigest()
    assert proxy.local_path("deb.debian.org", "/debian/pool/x.deb") == "/cache/%s/%s" % (key[:2], key)


def test_a_port_that_is_not_a_number_is_refused(tmp_path):
    proxy = aptproxy.AptProxy(str(tmp_path / "cache"), ["127.0.0.1"])
    port = proxy.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "http://127.0.0.1:abc/pool/x.deb")
        response = connection.getresponse()
        assert (response.status, response.read()) == (400, b"not a valid URL: http://127.0.0.1:abc/pool/x.deb\n")
    finally:
        proxy.stop()
