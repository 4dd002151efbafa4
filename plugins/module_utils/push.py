# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Push images to their registry, idempotently, with retries, in a pool of their own.

Before pushing, the registry's manifest for the name is read (``skopeo inspect --raw``);
when its config digest is the local image id, the registry already holds this very
image and nothing is pushed. Otherwise the image is pushed by id with ``buildah push``.
Failed attempts are retried with exponential backoff and jitter.

Credentials: only the path of an auth file is ever handled (``--authfile``); its
content is never read here, and nothing secret is put on a command line. Command
output is redacted before it is logged or reported, in case a tool echoes a header.

Pushes run in their own worker pool: a built image is handed over and the build
scheduler goes on at once, so a child's build waits neither for its parent's push
nor for anything else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import random
import re
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.tcib.images.plugins.module_utils import status
from ansible_collections.tcib.images.plugins.module_utils.backoff import backoff_delay

# Pushed images need no more than a few at once: the link to the registry is the limit.
DEFAULT_WORKERS = 3
# As upstream (tenacity wait_random_exponential(max=10)): a registry that is down fails in about a minute.
MAX_DELAY = 10.0
# Failures no retry can fix: the registry refused these credentials or this name.
DETERMINISTIC_MARKERS = (
    "unauthorized", "authentication required", "requested access to the resource is denied",
    "denied:", "invalid username/password", "no such image", "image not known",
)
_SECRETS = (
    (re.compile(r"(?i)(authorization:\s*)(?:(?:basic|bearer)\s+)?\S+"), r"\1***"),
    (re.compile(r"(?i)\b((?:basic|bearer)\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1***"),
    (re.compile(r"(?i)(\b(?:password|passwd|token|auth|secret)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"), r"\1***"),
    (re.compile(r"(://[^/\s:@]+:)[^/\s@]+@"), r"\1***@"),
)


def redact(text):
    """Mask anything in tool output that looks like a credential."""
    text = text or ""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def registry_of(ref):
    """The registry host of an image reference (``docker.io`` when the name has none)."""
    first = ref.split("/", 1)[0]
    if "/" in ref and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def normalize_id(image_id):
    image_id = (image_id or "").strip()
    return image_id if image_id.startswith("sha256:") else "sha256:" + image_id


def config_digest(raw_manifest):
    """The config digest of a raw image manifest, or None (a manifest list, or not a manifest)."""
    try:
        manifest = json.loads(raw_manifest)
    except (TypeError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    config = manifest.get("config")
    if isinstance(config, dict) and config.get("digest"):
        return config["digest"]
    return None


def is_up_to_date(remote_config_digest, image_id):
    """True when the registry's manifest under the name describes exactly the local image."""
    return bool(remote_config_digest) and remote_config_digest == normalize_id(image_id)


def is_retryable(message):
    lowered = (message or "").lower()
    return not any(marker in lowered for marker in DETERMINISTIC_MARKERS)


def _tls_flag(tls_verify):
    return "--tls-verify=%s" % ("true" if tls_verify else "false")


def inspect_command(skopeo, ref, authfile=None, tls_verify=True):
    argv = [skopeo, "inspect", "--raw", _tls_flag(tls_verify)]
    if authfile:
        argv += ["--authfile", authfile]
    return argv + ["docker://%s" % ref]


def push_command(buildah, image_id, ref, authfile=None, tls_verify=True, digestfile=None):
    """``buildah push`` of an image id to ``docker://ref``. buildah's own retries are turned off
    (``--retry 0``; older buildah ignores it, so its retry delay is made short): ours back off."""
    argv = [buildah, "push", "--quiet", "--retry", "0", "--retry-delay", "200ms", _tls_flag(tls_verify)]
    if authfile:
        argv += ["--authfile", authfile]
    if digestfile:
        argv += ["--digestfile", digestfile]
    return argv + [image_id, "docker://%s" % ref]


class PushOptions(object):
    def __init__(self, retries=10, retry_delay=1.0, authfile=None, tls_verify=True, workers=0,
                 max_delay=MAX_DELAY, sleep=time.sleep, jitter=random.random):
        self.retries = max(0, int(retries))
        self.retry_delay = float(retry_delay)
        self.authfile = authfile
        self.tls_verify = tls_verify
        self.workers = int(workers) or DEFAULT_WORKERS
        self.max_delay = max(max_delay, self.retry_delay)
        self.sleep = sleep
        self.jitter = jitter


class Registry(object):
    """skopeo and buildah through an injected runner ``run(argv) -> (rc, stdout, stderr)``."""

    def __init__(self, run, buildah="buildah", skopeo="skopeo"):
        self.run = run
        self.buildah = buildah
        self.skopeo = skopeo

    def config_digest(self, ref, options):
        """(config digest or None, message): None when the name is not there or cannot be read."""
        rc, out, err = self.run(inspect_command(self.skopeo, ref, options.authfile, options.tls_verify))
        if rc != 0:
            return None, redact((err or out).strip())
        return config_digest(out), ""

    def push(self, image_id, ref, options, digestfile=None):
        """(rc, redacted output, argv)."""
        argv = push_command(self.buildah, image_id, ref, options.authfile, options.tls_verify, digestfile)
        rc, out, err = self.run(argv)
        return rc, redact("\n".join(part for part in (out.strip(), err.strip()) if part)), argv


_WRAPPERS = (
    re.compile(r'^time="[^"]*" level=\w+ msg="(.*)"$'),
    re.compile(r'^(?:Error: )?(?:pushing image|copying image) "[^"]*" to "[^"]*": (.*)$'),
    re.compile(r'^trying to reuse blob \S+ at destination: (.*)$'),
    re.compile(r'^checking whether a blob \S+ exists in \S+: (.*)$'),
)


def short_error(text):
    """The last line of a tool's error output, without the wrapping that repeats the image's name."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    for wrapper in _WRAPPERS:
        match = wrapper.match(line)
        if match:
            line = match.group(1)
    return line


class ImagePusher(object):
    """Callable ``(name, ref, image_id, log_path)`` -> push result: up to date, pushed, or failed."""

    def __init__(self, registry, options, on_retry=None):
        self.registry = registry
        self.options = options
        # Told (name, attempt, delay, message) before waiting to try again.
        self.on_retry = on_retry or (lambda name, attempt, delay, message: None)

    def __call__(self, name, ref, image_id, log_path=None):
        started = time.time()
        result = {"push_registry": registry_of(ref)}
        attempt = 0
        log = _Log(log_path)
        while True:
            attempt += 1
            result["push_attempts"] = attempt
            remote, inspect_error = self.registry.config_digest(ref, self.options)
            log.write("# attempt %d: %s has config %s%s" % (attempt, ref, remote or "(none)",
                                                            "; " + short_error(inspect_error) if inspect_error else ""))
            if is_up_to_date(remote, image_id) and attempt > 1:
                # An attempt that reported a failure had landed after all: this run pushed it.
                result.update(push_status=status.PUSHED, push_reason="pushed to %s" % result["push_registry"])
                break
            if is_up_to_date(remote, image_id):
                result.update(push_status=status.ALREADY_PUSHED, push_reason="the registry holds this image")
                break
            digestfile = _digest_path(log_path)
            rc, output, argv = self.registry.push(image_id, ref, self.options, digestfile)
            log.write("# command: %s\n# exit code: %s\n%s" % (" ".join(argv), rc, output))
            if rc == 0:
                result.update(push_status=status.PUSHED, push_reason="pushed to %s" % result["push_registry"])
                digest = _read_and_remove(digestfile)
                if digest:
                    result["push_digest"] = digest
                break
            _read_and_remove(digestfile)
            message = short_error(output) or "buildah push failed with exit code %s" % rc
            if attempt > self.options.retries or not is_retryable(output):
                result.update(push_status=status.PUSH_FAILED, push_reason="push to %s failed after %d attempt%s: %s" % (
                    result["push_registry"], attempt, "" if attempt == 1 else "s", message))
                break
            delay = backoff_delay(attempt, self.options.retry_delay, self.options.max_delay, self.options.jitter)
            self.on_retry(name, attempt, delay, message)
            log.write("# retrying in %.2f s" % delay)
            self.options.sleep(delay)
        result["push_duration"] = round(time.time() - started, 1)
        if log_path:
            result["push_log"] = log_path
        return result


def preview(registry, ref, image_id, options):
    """Check mode: what a push of ``image_id`` (None: not built yet) to ``ref`` would do, read from the
    registry without writing to it."""
    result = {"push_registry": registry_of(ref)}
    if not image_id:
        result.update(push_status=status.WOULD_PUSH, push_reason="pushed once built")
        return result
    remote, error = registry.config_digest(ref, options)
    if is_up_to_date(remote, image_id):
        result.update(push_status=status.ALREADY_PUSHED, push_reason="the registry holds this image")
    elif remote:
        result.update(push_status=status.WOULD_PUSH, push_reason="the registry holds another image under this name")
    else:
        result.update(push_status=status.WOULD_PUSH, push_reason="not read from the registry: %s" % (
            short_error(error) or "no manifest"))
    return result


class _Log(object):
    def __init__(self, path):
        self.path = path
        if path and os.path.dirname(path) and not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        if path:
            with open(path, "w"):
                pass

    def write(self, text):
        if self.path:
            with open(self.path, "a") as handle:
                handle.write(text.rstrip("\n") + "\n")


def _digest_path(log_path):
    if log_path:
        return log_path + ".digest"
    handle, path = tempfile.mkstemp(prefix="tcib-push-", suffix=".digest")
    os.close(handle)
    return path


def _read_and_remove(path):
    try:
        with open(path) as handle:
            text = handle.read().strip()
        os.unlink(path)
        return text
    except (IOError, OSError):
        return ""


class PushPool(object):
    """Pushes in worker threads of their own. ``submit`` returns at once; ``wait`` returns
    {name: push result} when every push submitted has ended.

    ``on_event(kind, name, result)`` is told ``push`` when a push ends (from a push thread).
    """

    def __init__(self, pusher, workers, on_event=None):
        self.pusher = pusher
        self.on_event = on_event or (lambda kind, name, result: None)
        self.pool = ThreadPoolExecutor(max_workers=max(1, int(workers)))
        self.futures = {}
        self.lock = threading.Lock()

    def submit(self, name, ref, image_id, log_path=None):
        with self.lock:
            self.futures[name] = self.pool.submit(self._guarded, name, ref, image_id, log_path)

    def _guarded(self, name, ref, image_id, log_path):
        started = time.time()
        try:
            result = self.pusher(name, ref, image_id, log_path)
        except Exception as exc:  # a broken push fails its image, not the run
            result = {"push_status": status.PUSH_FAILED, "push_registry": registry_of(ref),
                      "push_reason": "push to %s failed: %s: %s" % (registry_of(ref), type(exc).__name__, exc),
                      "push_duration": round(time.time() - started, 1)}
        self.on_event("push", name, result)
        return result

    def wait(self):
        self.pool.shutdown(wait=True)
        with self.lock:
            return dict((name, future.result()) for name, future in self.futures.items())
