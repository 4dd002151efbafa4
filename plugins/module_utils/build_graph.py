# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build a whole plan: options, scheduling, summary. ``execute`` is the one execution path: the module runs
it on the host, the action plugin on the controller (only to stream the progress)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import functools
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.tcib.images.plugins.module_utils import graph, leftovers, lifeline, push, report, status, workdir
from ansible_collections.tcib.images.plugins.module_utils.aptproxy import AptProxy
from ansible_collections.tcib.images.plugins.module_utils.builder import BuildOptions, ImageBuilder
from ansible_collections.tcib.images.plugins.module_utils import buildah
from ansible_collections.tcib.images.plugins.module_utils import plan as plans
from ansible_collections.tcib.images.plugins.module_utils.provenance import TreeOrigin
from ansible_collections.tcib.images.plugins.module_utils.scheduler import Scheduler

ARGUMENT_SPEC = dict(
    plan=dict(type="path", required=True),
    plan_id=dict(type="str"),
    max_parallel=dict(type="int", default=0),
    force=dict(type="bool", default=False),
    timeout=dict(type="int", default=0),
    retries=dict(type="int", default=2),
    retry_delay=dict(type="float", default=5.0),
    package_cache=dict(type="path"),
    volumes=dict(type="list", elements="str", default=[]),
    build_args=dict(type="dict", default={}),
    labels=dict(type="dict", default={}),
    **buildah.RUN_OPTIONS_SPEC,
    revision=dict(type="str"),
    source=dict(type="str"),
    tree=dict(type="path"),
    package_proxy=dict(type="bool", default=True),
    proxy_hosts=dict(type="list", elements="str", default=["deb.debian.org", "security.debian.org"]),
    push=dict(type="bool", default=False),
    push_retries=dict(type="int", default=10),
    push_retry_delay=dict(type="float", default=1.0),
    push_parallel=dict(type="int", default=0),
    authfile=dict(type="path"),
    tls_verify=dict(type="bool", default=True),
    package_index=dict(type="path"),
)

SUMMARY_FILE = "summary.json"
# What podman said of the images, by image id, for the next run (buildah.Buildah.prefetch).
INSPECT_CACHE_FILE = "image-inspect-cache.json"

# More parallel builds than this make buildah fight over its storage locks (upstream saw it at 8+).
MAX_PARALLEL_CAP = 6


def default_parallelism():
    """One build per core plus one: builds wait on downloads part of the time."""
    return max(2, min(MAX_PARALLEL_CAP, (os.cpu_count() or 1) + 1))


def check_push_params(params, entries):
    """Refuse, before anything is built, a push that cannot work."""
    if not params.get("push"):
        return
    # podman's convention: "localhost/" names are local only (a registry on localhost has a port).
    local = [entry.image for entry in entries if entry.image.startswith("localhost/")]
    if local:
        raise ValueError("push needs a registry: %s names no registry to push to (set registry, e.g. "
                         "registry=registry.example.com:5000)" % local[0])
    authfile = params.get("authfile")
    if authfile and not os.path.isfile(authfile):
        raise ValueError("authfile %s is not a file" % authfile)


def push_options(params, sleep=time.sleep):
    return push.PushOptions(retries=params["push_retries"], retry_delay=params["push_retry_delay"],
                            authfile=params.get("authfile"), tls_verify=params["tls_verify"],
                            workers=params["push_parallel"], sleep=sleep)


# The tools a run calls, by path (the module finds them on the host, the action plugin on the controller).
Tools = collections.namedtuple("Tools", ["buildah", "podman", "skopeo"])
DEFAULT_TOOLS = Tools(buildah="buildah", podman="podman", skopeo="skopeo")


def execute(params, run_command, check_mode=False, on_event=None, tools=DEFAULT_TOOLS, sleep=time.sleep):
    """The whole task, by either path (the module, or the action plugin on the controller): what it returns."""
    results, summary = build_plan(params, run_command, check_mode=check_mode, on_event=on_event, tools=tools,
                                  sleep=sleep)
    return task_result(results, summary)


def build_plan(params, run_command, check_mode=False, on_event=None, tools=DEFAULT_TOOLS, sleep=time.sleep):
    """Bring every image of the plan up to date (and pushed when asked), or in check mode say what that
    would do; returns (results, summary). ``run_command(argv)`` runs a tool: (rc, stdout, stderr)."""
    work_dir = os.path.dirname(params["plan"])
    progress = Progress(on_event)
    if check_mode:
        # No lock: a check writes only its preview (check-plan.json), never what a real run uses.
        plan = plans.read_plan(params["plan"], params.get("plan_id"))
        progress.total = len(plan.entries)
        results, summary = _build_with_proxy(params, plan, run_command, tools, progress, check_mode=True,
                                             sleep=sleep)
        statuses = dict((result["name"], result) for result in results)
        return _finished(results, summary, plans.write_plan(work_dir, plan, check=True, statuses=statuses))
    clean = functools.partial(leftovers.clean, run_command, tools.buildah, tools.podman,
                              params.get("package_cache"), work_dir)
    # Alone in the work_dir until the summary is written: another run would plan over our contexts.
    with workdir.exclusive(work_dir, "building"):
        # A stopped run stops its builds, removes what it made and its mark; a run cleans what killed ones left.
        ended = leftovers.ended_runs()
        with lifeline.Lifeline(lambda _reason: leftovers.clean_own(run_command, tools.buildah, tools.podman,
                                                                   params.get("package_cache"), work_dir)) as line, \
                leftovers.marked_run():
            plan = plans.read_plan(params["plan"], params.get("plan_id"))
            progress.total = len(plan.entries)
            refs = [entry.image for entry in plan.entries]
            with workdir.image_names(refs, "building", on_wait=progress.waiting) as waited:
                # Alongside the builds (it touches only what ended runs left): a few podman calls less to wait for.
                with ThreadPoolExecutor(max_workers=1) as pool:
                    cleaning = pool.submit(leftovers.clean_after_ended_runs,
                                           functools.partial(clean, select=leftovers.is_left_over), ended)
                    # The builds' runner starts nothing once the run is being stopped; the cleanup's does.
                    results, summary = _build_with_proxy(params, plan, line.guard(run_command), tools, progress,
                                                         check_mode=False, sleep=sleep)
                    # Whom this run waited for, and what killed runs had left that it removed.
                    summary.update(waited)
                    cleaned = cleaning.result()
                    if cleaned:
                        summary["cleaned"] = cleaned
                    summary_path = os.path.join(work_dir, SUMMARY_FILE)
                    report.write_json(summary_path, summary)
                    return _finished(results, summary, summary_path)


def _finished(results, summary, summary_path):
    summary["summary_path"] = summary_path
    summary["table"] = report.summary_table(results)
    return results, summary


class Progress(object):
    """The progress lines of a run, told one at a time (they come from the scheduler's thread and from
    push threads), each with its count: ``on_event(kind, name, result, (done, total))``."""

    def __init__(self, on_event=None):
        self.on_event = on_event
        self.total = 0
        self.finished = 0
        self.pushed = 0
        self.lock = threading.Lock()

    def _tell(self, kind, name, result, done):
        if self.on_event:
            self.on_event(kind, name, result, (done, self.total))

    def waiting(self, holder):
        with self.lock:
            self._tell("wait", holder, {}, 0)

    def building(self, name, reason):
        with self.lock:
            self._tell("build", name, {"reason": reason}, self.finished)

    def built(self, name, result, counts):
        with self.lock:
            self.finished += 1
            if self.on_event:
                self.on_event("finish", name, result, counts)

    def push_retry(self, name, attempt, delay, message):
        with self.lock:
            self._tell("push retry", name, {"push_attempts": attempt, "delay": delay, "reason": message},
                       self.pushed)

    def push_ended(self, kind, name, result):
        with self.lock:
            self.pushed += 1
            self._tell(kind, name, result, self.pushed)


def read_package_index(path):
    """The candidates of the package index tcib_base_image read this run; None when none is given."""
    if not path:
        return None
    index = report.read_json(path)
    if not index or "candidates" not in index:
        raise ValueError("%s is not a package index written by tcib_base_image" % path)
    return index["candidates"]


def push_log_path(entry):
    log_path = entry.log_path
    if not log_path:
        return None
    if log_path.endswith("-build.log"):
        return log_path[:-len("-build.log")] + "-push.log"
    return log_path + ".push"


def _build_options(params, plan, run_command, check_mode):
    return BuildOptions(
        force=params["force"], check=check_mode, timeout=params["timeout"], retries=params["retries"],
        retry_delay=params["retry_delay"], package_cache=params.get("package_cache"),
        volumes=params["volumes"], build_args=params["build_args"], labels=params["labels"],
        isolation=params.get("isolation"), network=params["network"], image_format=params["image_format"],
        origin=TreeOrigin(run_command, params.get("tree"), params.get("revision"), params.get("source")),
        candidates=read_package_index(params.get("package_index")),
        distro=plan.distro, release=plan.release)


def _start_package_proxy(params, work_dir):
    """The run's package proxy and the apt settings file that points its builds at it."""
    proxy = AptProxy(os.path.join(params["package_cache"], leftovers.MIRROR_DIR), params["proxy_hosts"])
    # One file per run: another run in the same work_dir must not point our builds at its proxy.
    handle, conf = tempfile.mkstemp(prefix="%s%s-" % (leftovers.PROXY_SETTINGS_PREFIX, leftovers.owner_token()),
                                    suffix=".conf", dir=work_dir)
    with os.fdopen(handle, "w") as out:
        out.write('Acquire::http::Proxy "http://127.0.0.1:%d";\n' % proxy.start())
        # https sources are fetched directly: the proxy only relays plain http.
        out.write('Acquire::https::Proxy "DIRECT";\n')
    os.chmod(conf, 0o644)
    return proxy, conf


def _build_with_proxy(params, plan, run_command, tools, progress, check_mode, sleep):
    """The builds, behind the run's package proxy when it has one; (results, summary)."""
    check_push_params(params, plan.entries)
    options = _build_options(params, plan, run_command, check_mode)
    if not (params.get("package_proxy") and params.get("package_cache")) or check_mode:
        return _schedule(params, plan, run_command, tools, progress, options, check_mode=check_mode, sleep=sleep)
    proxy, conf = _start_package_proxy(params, os.path.dirname(params["plan"]))
    try:
        options.run_volumes.append("%s:/etc/apt/apt.conf.d/00tcib-proxy:ro" % conf)
        results, summary = _schedule(params, plan, run_command, tools, progress, options, check_mode=check_mode,
                                     sleep=sleep)
        summary["package_proxy"] = proxy.stats.as_dict()
        return results, summary
    finally:
        proxy.stop()
        os.unlink(conf)


def _hand_over(progress, pool, log_paths, kind, name, result, counts):
    """The scheduler's events: a finished image is told, and handed to the push pool at once (the scheduler
    goes on building children meanwhile)."""
    if kind != "finish":
        return
    progress.built(name, result, counts)
    if pool and result.get("status") in status.PUSHABLE and result.get("image_id"):
        pool.submit(name, result["image"], result["image_id"], log_paths[name])


def _schedule(params, plan, run_command, tools, progress, options, check_mode, sleep):
    """Every image in dependency order, pushes beside them; (results, summary), nothing written."""
    entries = plan.entries
    by_name = dict((entry.name, entry) for entry in entries)
    pool = None
    if params.get("push") and not check_mode:
        opts = push_options(params, sleep)
        pusher = push.ImagePusher(push.Registry(run_command, tools.buildah, tools.skopeo), opts, progress.push_retry)
        pool = push.PushPool(pusher, opts.workers, progress.push_ended)
    builder = buildah.Buildah(run_command, tools.buildah, tools.podman)
    # Every image and every FROM outside the plan, in one podman call rather than one each.
    builder.prefetch([entry.image for entry in entries] +
                     [entry.from_image for entry in entries if entry.parent not in by_name],
                     cache_path=os.path.join(os.path.dirname(params["plan"]), INSPECT_CACHE_FILE),
                     update_cache=not check_mode)
    image_builder = ImageBuilder(builder, entries, options, progress.building)
    parents = dict((entry.name, entry.parent) for entry in entries)
    names = [entry.name for entry in entries]
    # Past build times weigh the chains, so the slowest chain starts first.
    previous = report.read_json(os.path.join(os.path.dirname(params["plan"]), SUMMARY_FILE), {}) or {}
    durations = dict((item["name"], item.get("build_seconds")) for item in previous.get("images", [])
                     if item.get("build_seconds"))
    max_parallel = 1 if check_mode else (params["max_parallel"] or default_parallelism())
    started = time.time()
    log_paths = dict((entry.name, push_log_path(entry)) for entry in entries)
    scheduler = Scheduler(parents, names, image_builder, max_parallel=max_parallel,
                          weights=graph.chain_weights(parents, names, durations),
                          on_event=functools.partial(_hand_over, progress, pool, log_paths))
    try:
        results = scheduler.run()
    finally:
        builder.unpin_all()
        # Every push ends before the summary (and before a failure of the scheduler goes up).
        push_results = pool.wait() if pool else {}
    for result in results:
        result.update(push_results.get(result["name"], {}))
        if pool and "push_status" not in result:
            result["push_status"] = status.NOT_PUSHED
    previewing = params.get("push") and check_mode
    if previewing:
        # Read-only: each image is looked up in the registry, nothing is pushed.
        registry, opts = push.Registry(run_command, tools.buildah, tools.skopeo), push_options(params, sleep)
        for result in results:
            if result["status"] in (status.UP_TO_DATE, status.WOULD_BUILD):
                result.update(push.preview(registry, result["image"], result.get("image_id"), opts))
    image_builder.forget_replaced()
    summary = {
        "images": results,
        "counts": report.counts_by_status(results),
        "max_parallel": max_parallel,
        "wall_seconds": round(time.time() - started, 1),
        "check_mode": check_mode,
    }
    if pool or previewing:
        summary["push_counts"] = report.counts_by_status(results, "push_status")
    if pool:
        summary["push_parallel"] = pool_workers(params)
    if options.candidates is not None:
        summary["pending_updates"] = dict((result["name"], result["pending_updates"]) for result in results
                                          if result.get("pending_updates"))
    return results, summary


def pool_workers(params):
    return params["push_parallel"] or push.DEFAULT_WORKERS


def push_failures(summary):
    return [item for item in summary["images"] if item.get("push_status") == status.PUSH_FAILED]


def failed(summary):
    return any(word in status.NOT_BUILT for word in summary["counts"]) or bool(push_failures(summary))


def changed(results):
    return any(item["status"] in status.CHANGES
               or item.get("push_status") in (status.PUSHED, status.WOULD_PUSH) for item in results)


def task_result(results, summary):
    """What the task returns, by either path (the module, or the action plugin on the controller)."""
    outcome = dict(summary, changed=changed(results))
    if failed(summary):
        outcome.update(failed=True, msg=failure_message(summary) + "\n" + summary["table"])
    return outcome


def failure_message(summary):
    """Why the run failed, in a few lines: images not built, then each push that failed (by registry)."""
    lines = []
    not_built = [item["name"] for item in summary["images"] if item["status"] in status.NOT_BUILT]
    if not_built:
        lines.append("some images were not built: %s; see %s" % (", ".join(not_built), summary["summary_path"]))
    for item in push_failures(summary):
        lines.append("%s: %s" % (item.get("image") or item["name"], item.get("push_reason")))
    if push_failures(summary):
        registries = sorted(set(item.get("push_registry") for item in push_failures(summary)))
        lines.append("push to %s failed for %d image%s; the built images stay tagged locally" % (
            ", ".join(registries), len(push_failures(summary)), "" if len(push_failures(summary)) == 1 else "s"))
    return "\n".join(lines)
