# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A caching HTTP proxy for the Debian mirror, on 127.0.0.1, for the length of one build run.

Builds point apt at it. Files that never change under their name (``pool/`` packages,
``by-hash/`` indexes) are kept on disk across runs; the rest (``InRelease`` and other
``dists/`` files) is fetched once per run. Each file is fetched by one request while
others asking for it wait, so parallel builds download every ``.deb`` at most once and
never queue on a lock of apt's. It counts the bytes fetched from the mirror and served.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import shutil
import socket
import tempfile
import threading
import time

from ansible_collections.tcib.images.plugins.module_utils import leftovers
from ansible_collections.tcib.images.plugins.module_utils.backoff import backoff_delay, no_jitter

try:  # Python 3 only; the collection's controller and build host run Python 3.
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.error import HTTPError, URLError
    from urllib.parse import urlsplit
    from urllib.request import ProxyHandler, build_opener
except ImportError:  # pragma: no cover
    BaseHTTPRequestHandler = object
    ThreadingHTTPServer = None

CHUNK = 1 << 16
# Answers of a mirror that is busy, syncing or behind a failing load balancer: asked again.
RETRIED_STATUS = (429, 500, 502, 503, 504)


def is_immutable(path):
    return "/pool/" in path or "/by-hash/" in path


def origin(parts):
    """Who serves a URL (``urlsplit`` parts), as its cached files are named: the host, and the port unless
    it is http's own (two repositories on one host, on two ports, may both have a pool/.../foo_1.0_all.deb
    of their own). Raises ValueError for a port that is not a number."""
    if parts.port in (None, 80):
        return parts.hostname
    return "%s:%d" % (parts.hostname, parts.port)


class Stats(object):
    def __init__(self):
        self.lock = threading.Lock()
        self.fetched_bytes = 0
        self.served_bytes = 0
        self.fetches = 0
        self.requests = 0
        self.sizes = {}
        # Upstream attempts that failed and were made again, and the last such failure.
        self.retries = 0
        self.last_failure = None

    def as_dict(self):
        with self.lock:
            return {"fetched_bytes": self.fetched_bytes, "served_bytes": self.served_bytes,
                    "unique_bytes": sum(self.sizes.values()), "unique_files": len(self.sizes),
                    "fetches": self.fetches, "requests": self.requests, "upstream_retries": self.retries,
                    "last_upstream_failure": self.last_failure}


class AptProxy(object):
    """Start with ``start()`` (returns the port), stop with ``stop()``; ``stats`` counts bytes."""

    def __init__(self, cache_dir, allowed_hosts, timeout=120, attempts=8, retry_delay=0.5, max_delay=4.0,
                 give_up_seconds=10.0, sleep=time.sleep, clock=time.time):
        self.cache_dir = cache_dir
        self.allowed_hosts = set(allowed_hosts)
        self.timeout = timeout
        # Each upstream fetch is tried up to ``attempts`` times, waiting retry_delay, 2x, 4x... (at most
        # max_delay) between: about 20 s of a mirror's hiccup is absorbed before apt hears of it.
        self.attempts = attempts
        self.retry_delay = retry_delay
        self.max_delay = max_delay
        # For this long after a host failed every attempt, its requests are tried once.
        self.give_up_seconds = give_up_seconds
        self.given_up = {}
        self.clock = clock
        self.sleep = sleep
        self.stats = Stats()
        self.locks = {}
        self.locks_lock = threading.Lock()
        self.volatile_dir = None
        self.server = None
        self.thread = None
        # Straight to the mirror, whatever proxy settings the environment has.
        self.opener = build_opener(ProxyHandler({}))

    def open(self):
        """Ready ``fetch()`` for this run, without listening."""
        if self.volatile_dir is None:
            # Concurrent runs share the cache: either may create it first.
            os.makedirs(self.cache_dir, exist_ok=True)
            # What killed runs left (named after their owner process, see leftovers.py).
            leftovers.remove_paths(leftovers.matching_paths(self.cache_dir, leftovers.RUN_DIR_PREFIX))
            self.volatile_dir = tempfile.mkdtemp(prefix="%s%s-" % (leftovers.RUN_DIR_PREFIX, leftovers.owner_token()),
                                                 dir=self.cache_dir)

    def start(self):
        """Listen on 127.0.0.1; returns the port."""
        self.open()
        proxy = self

        class Handler(ProxyRequestHandler):
            owner = proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A short poll: shutdown() waits for it, and every run ends with one.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="tcib-apt-proxy")
        self.thread.daemon = True
        self.thread.start()
        return self.server.server_address[1]

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self.volatile_dir:
            shutil.rmtree(self.volatile_dir, ignore_errors=True)
            self.volatile_dir = None

    def _lock_for(self, key):
        with self.locks_lock:
            return self.locks.setdefault(key, threading.Lock())

    def local_path(self, host, path):
        """Where the file of ``host`` (see ``origin()``) and ``path`` is kept."""
        key = hashlib.sha256(("%s%s" % (host, path)).encode("utf-8")).hexdigest()
        if is_immutable(path):
            return os.path.join(self.cache_dir, key[:2], key)
        return os.path.join(self.volatile_dir, key)

    def fetch(self, url, host, path):
        """The local file holding url, fetched at most once; raises HTTPError/URLError."""
        local = self.local_path(host, path)
        if os.path.exists(local):
            return local
        with self._lock_for(local):
            if os.path.exists(local):
                return local
            directory = os.path.dirname(local)
            # The proxy serves requests in threads: two may create one directory at once.
            os.makedirs(directory, exist_ok=True)
            # A host that just failed every attempt gets one: apt's own retries would otherwise multiply ours.
            with self.stats.lock:
                attempts = 1 if self.clock() - self.given_up.get(host, float("-inf")) < self.give_up_seconds \
                    else self.attempts
            attempt = 0
            while True:
                attempt += 1
                try:
                    size = self._download(url, directory, local)
                    break
                except (HTTPError, URLError, socket.timeout, ConnectionError) as exc:
                    if isinstance(exc, HTTPError) and exc.code not in RETRIED_STATUS:
                        raise
                    if attempt >= attempts:
                        if attempts > 1:
                            with self.stats.lock:
                                self.given_up[host] = self.clock()
                        raise
                    with self.stats.lock:
                        self.stats.retries += 1
                        self.stats.last_failure = "%s: %s" % (url, exc)
                    self.sleep(backoff_delay(attempt, self.retry_delay, self.max_delay, no_jitter))
            with self.stats.lock:
                self.stats.fetched_bytes += size
                self.stats.fetches += 1
        return local

    def _download(self, url, directory, local):
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                response = self.opener.open(url, timeout=self.timeout)
                size = 0
                for block in iter(lambda: response.read(CHUNK), b""):
                    out.write(block)
                    size += len(block)
            os.rename(temporary, local)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return size


class ProxyRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner = None

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # quiet: the counts are reported at the end

    def _refuse(self, code, text):
        body = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        proxy = self.owner
        parts = urlsplit(self.path)
        if parts.scheme != "http" or parts.hostname not in proxy.allowed_hosts:
            return self._refuse(403, "only http://%s is proxied\n" % " http://".join(sorted(proxy.allowed_hosts)))
        try:
            host = origin(parts)
        except ValueError:
            return self._refuse(400, "not a valid URL: %s\n" % self.path)
        with proxy.stats.lock:
            proxy.stats.requests += 1
        try:
            local = proxy.fetch(self.path, host, parts.path)
        except HTTPError as exc:
            return self._refuse(exc.code, "%s\n" % exc.reason)
        except (URLError, OSError) as exc:
            return self._refuse(502, "cannot fetch %s: %s\n" % (self.path, exc))
        size = os.path.getsize(local)
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if self.command == "HEAD":
            return None
        with open(local, "rb") as source:
            shutil.copyfileobj(source, self.wfile, CHUNK)
        with proxy.stats.lock:
            proxy.stats.served_bytes += size
            proxy.stats.sizes[host + parts.path] = size
        return None
