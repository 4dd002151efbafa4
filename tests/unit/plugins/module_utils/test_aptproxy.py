# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The package proxy against a real HTTP mirror on 127.0.0.1 that fails on purpose."""

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError
from urllib.request import ProxyHandler, build_opener

import pytest

from ansible_collections.tcib.images.plugins.module_utils import leftovers
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
