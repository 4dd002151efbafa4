# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The package proxy against real HTTP servers on 127.0.0.1: repositories, and a mirror that fails on purpose."""

import hashlib
import http.client
import os
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import ProxyHandler, build_opener

import pytest

from ansible_collections.tcib.images.plugins.module_utils import aptproxy, leftovers
from ansible_collections.tcib.images.plugins.module_utils.aptproxy import AptProxy


class FlakyMirror(object):
    """Answers ``status`` to the first ``failures`` requests, then the file's content."""

    def __init__(self, failures, status=503):
        self.failures, self.status, self.requests = failures, status, 0
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                mirror.requests += 1
                body, code = b"Package: a\n", 200
                if mirror.requests <= mirror.failures:
                    body, code = b"busy\n", mirror.status
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def started(tmp_path):
    made = []

    def start(failures, status=503, attempts=5):
        mirror = FlakyMirror(failures, status)
        sleeps = []
        proxy = AptProxy(str(tmp_path / "mirror"), ["127.0.0.1"], timeout=5, attempts=attempts,
                         sleep=sleeps.append)
        port = proxy.start()
        made.append((mirror, proxy))
        opener = build_opener(ProxyHandler({"http": "http://127.0.0.1:%d" % port}))
        return mirror, proxy, opener, sleeps

    yield start
    for mirror, proxy in made:
        proxy.stop()
        mirror.close()


def test_a_busy_mirror_is_asked_again_with_growing_waits(started):
    mirror, proxy, opener, sleeps = started(failures=6, status=502, attempts=8)
    assert opener.open(mirror.url + "/debian/dists/trixie/InRelease").read() == b"Package: a\n"
    assert mirror.requests == 7
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    stats = proxy.stats.as_dict()
    assert stats["upstream_retries"] == 6 and "502" in stats["last_upstream_failure"]


def test_a_mirror_that_stays_down_is_reported_to_apt(started):
    mirror, _proxy, opener, sleeps = started(failures=100, status=503, attempts=3)
    with pytest.raises(HTTPError) as caught:
        opener.open(mirror.url + "/debian/dists/trixie/InRelease")
    assert caught.value.code == 503
    assert mirror.requests == 3 and len(sleeps) == 2


def test_not_found_is_not_asked_again(started):
    mirror, _proxy, opener, sleeps = started(failures=1, status=404)
    with pytest.raises(HTTPError) as caught:
        opener.open(mirror.url + "/debian/pool/main/a/a.deb")
    assert caught.value.code == 404
    assert mirror.requests == 1 and sleeps == []


def test_a_run_directory_is_named_after_its_owner_and_cleaned_after_a_kill(tmp_path):
    cache = tmp_path / "mirror"
    left = cache / (".run-p%d-1-abc" % os.getpid())  # this pid, another start time: a run that ended
    left.mkdir(parents=True)
    proxy = AptProxy(str(cache), ["127.0.0.1"])
    proxy.open()
    try:
        assert not left.exists()
        assert leftovers.owner_of(os.path.basename(proxy.volatile_dir)) == leftovers.owner_token()
    finally:
        proxy.stop()


def test_a_host_that_failed_every_attempt_is_tried_once_for_a_while(tmp_path):
    mirror = FlakyMirror(failures=100, status=503)
    now = [1000.0]
    proxy = AptProxy(str(tmp_path / "mirror"), ["127.0.0.1"], timeout=5, attempts=3, give_up_seconds=10,
                     sleep=lambda seconds: None, clock=lambda: now[0])
    opener = build_opener(ProxyHandler({"http": "http://127.0.0.1:%d" % proxy.start()}))
    try:
        for expected_requests in (3, 4, 5):  # all attempts, then one each (apt retrying)
            with pytest.raises(HTTPError):
                opener.open(mirror.url + "/debian/dists/trixie/InRelease")
            assert mirror.requests == expected_requests
        now[0] += 11  # later (the build retried): the mirror gets every attempt again
        with pytest.raises(HTTPError):
            opener.open(mirror.url + "/debian/dists/trixie/InRelease")
        assert mirror.requests == 8
    finally:
        proxy.stop()
        mirror.close()


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
