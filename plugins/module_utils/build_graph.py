# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build a whole plan: options, scheduling, summary. Shared by the module and its action plugin."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.tcib.images.plugins.module_utils import graph, leftovers, lifeline, push, report, status, workdir
from ansible_collections.tcib.images.plugins.module_utils.aptproxy import AptProxy
from ansible_collections.tcib.images.plugins.module_utils.builder import BuildOptions, ImageBuilder
from ansible_collections.tcib.images.plugins.module_utils.buildah import Builder
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
    isolation=dict(type="str", choices=["oci", "chroot", "rootless"]),
    network=dict(type="str", default="host"),
    image_format=dict(type="str", default="docker", choices=["docker", "oci"]),
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


def run_build_graph(params, run, check_mode=False, on_event=None, buildah="buildah", podman="podman",
                    skopeo="skopeo", sleep=time.sleep):
    """Bring every image of the plan up to date (and pushed when asked); returns (results, summary dict)."""
    work_dir = os.path.dirname(params["plan"])
    if check_mode:
        # No lock: a check writes only its preview (check-plan.json), never what a real run uses.
        return _run_plan(params, run, check_mode, on_event, buildah, podman, skopeo, sleep)
    # Alone in the work_dir until the summary is written: another run would plan over our contexts.
    with workdir.exclusive(work_dir, "building"):

        def cleanup(select):
            return leftovers.clean(run, buildah, podman, params.get("package_cache"), work_dir, select)

        # A stopped run stops its builds and removes what it made; a run cleans what killed ones left.
        with lifeline.Lifeline(lambda reason: cleanup(leftovers.is_own)) as line:
            plan = plans.read_plan(params["plan"], params.get("plan_id"))
            refs = [entry.image for entry in plan.entries]
            on_wait = (lambda holder: on_event("wait", holder, {}, (0, len(refs)))) if on_event else None
            with workdir.image_names(refs, "building", on_wait=on_wait) as waited:
                # Alongside the builds (it touches only what ended runs left): a few podman calls less to wait for.
                with ThreadPoolExecutor(max_workers=1) as pool:
                    cleaning = pool.submit(cleanup, leftovers.is_left_over)

                    def about_run():
                        cleaned = cleaning.result()
                        return dict(waited, cleaned=cleaned) if cleaned else dict(waited)

                    # The builds' runner starts nothing once the run is being stopped; the cleanup's does.
                    return _run_plan(params, line.guard(run), check_mode, on_event, buildah, podman, skopeo, sleep,
                                     about_run, plan)


def _run_plan(params, run, check_mode, on_event, buildah, podman, skopeo, sleep, about_run=None, plan=None):
    work_dir = os.path.dirname(params["plan"])
    plan = plan or plans.read_plan(params["plan"], params.get("plan_id"))
    check_push_params(params, plan.entries)
    options = BuildOptions(
        force=params["force"], check=check_mode, timeout=params["timeout"], retries=params["retries"],
        retry_delay=params["retry_delay"], package_cache=params.get("package_cache"),
        volumes=params["volumes"], build_args=params["build_args"], labels=params["labels"],
        isolation=params.get("isolation"), network=params["network"], image_format=params["image_format"],
        origin=TreeOrigin(run, params.get("tree"), params.get("revision"), params.get("source")),
        candidates=read_package_index(params.get("package_index")),
        distro=plan.distro, release=plan.release)
    proxy = None
    if params.get("package_proxy") and params.get("package_cache") and not check_mode:
        proxy = AptProxy(os.path.join(params["package_cache"], leftovers.MIRROR_DIR), params["proxy_hosts"])
        # One file per run: another run in the same work_dir must not point our builds at its proxy.
        handle, conf = tempfile.mkstemp(prefix="%s%s-" % (leftovers.PROXY_SETTINGS_PREFIX, leftovers.owner_token()),
                                        suffix=".conf", dir=work_dir)
        with os.fdopen(handle, "w") as out:
            out.write('Acquire::http::Proxy "http://127.0.0.1:%d";\n' % proxy.start())
            # https sources are fetched directly: the proxy only relays plain http.
            out.write('Acquire::https::Proxy "DIRECT";\n')
        os.chmod(conf, 0o644)
        options.run_volumes.append("%s:/etc/apt/apt.conf.d/00tcib-proxy:ro" % conf)
    try:
        return _run(params, run, check_mode, on_event, buildah, podman, plan, options, proxy, skopeo, sleep,
                    about_run or dict)
    finally:
        if proxy:
            proxy.stop()
            os.unlink(conf)


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


def _run(params, run, check_mode, on_event, buildah, podman, plan, options, proxy, skopeo, sleep, about_run):
    work_dir = os.path.dirname(params["plan"])
    entries = plan.entries
    by_name = dict((entry.name, entry) for entry in entries)
    on_event = on_event or (lambda kind, name, result, counts: None)
    finished = []
    pushed = []
    # Progress comes from the scheduler's thread and from push threads: one line at a time.
    event_lock = threading.Lock()

    def tell(kind, name, result, counts):
        with event_lock:
            on_event(kind, name, result, counts)

    def on_build(name, reason):
        tell("build", name, {"reason": reason}, (len(finished), len(entries)))

    pool = None
    if params.get("push") and not check_mode:
        def on_retry(name, attempt, delay, message):
            tell("push retry", name, {"push_attempts": attempt, "delay": delay, "reason": message},
                 (len(pushed), len(entries)))

        def on_push(kind, name, result):
            with event_lock:
                pushed.append(name)
                on_event(kind, name, result, (len(pushed), len(entries)))

        opts = push_options(params, sleep)
        pool = push.PushPool(push.ImagePusher(push.Registry(run, buildah, skopeo), opts, on_retry),
                             opts.workers, on_push)

    def on_scheduler_event(kind, name, result, counts):
        if kind == "finish":
            finished.append(name)
            tell(kind, name, result, counts)
            # Handed to the push pool at once: the scheduler goes on building children meanwhile.
            if pool and result.get("status") in status.PUSHABLE and result.get("image_id"):
                pool.submit(name, result["image"], result["image_id"], push_log_path(by_name[name]))

    builder = Builder(run, buildah, podman)
    # Every image and every FROM outside the plan, in one podman call rather than one each.
    builder.prefetch([entry.image for entry in entries] +
                     [entry.from_image for entry in entries if entry.parent not in by_name])
    image_builder = ImageBuilder(builder, entries, options, on_build)
    parents = dict((entry.name, entry.parent) for entry in entries)
    names = [entry.name for entry in entries]
    summary_path = os.path.join(work_dir, "summary.json")
    # Past build times weigh the chains, so the slowest chain starts first.
    previous = report.read_json(summary_path, {}) or {}
    durations = dict((item["name"], item.get("build_seconds")) for item in previous.get("images", [])
                     if item.get("build_seconds"))
    max_parallel = 1 if check_mode else (params["max_parallel"] or default_parallelism())
    started = time.time()
    scheduler = Scheduler(parents, names, image_builder, max_parallel,
                          graph.chain_weights(parents, names, durations), on_scheduler_event)
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
        registry, opts = push.Registry(run, buildah, skopeo), push_options(params, sleep)
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
    # Whom this run waited for, and what killed runs had left that it removed.
    summary.update(about_run())
    if pool or previewing:
        summary["push_counts"] = report.counts_by_status(results, "push_status")
    if pool:
        summary["push_parallel"] = pool_workers(params)
    if proxy:
        summary["package_proxy"] = proxy.stats.as_dict()
    if options.candidates is not None:
        summary["pending_updates"] = dict((result["name"], result["pending_updates"]) for result in results
                                          if result.get("pending_updates"))
    if check_mode:
        preview_path = plans.write_plan(work_dir, plan, check=True,
                                        statuses=dict((result["name"], result) for result in results))
    else:
        report.write_json(summary_path, summary)
    summary["summary_path"] = preview_path if check_mode else summary_path
    summary["table"] = report.summary_table(results)
    return results, summary


def pool_workers(params):
    return params["push_parallel"] or push.DEFAULT_WORKERS


def push_failures(summary):
    return [item for item in summary["images"] if item.get("push_status") == push.FAILED]


def failed(summary):
    return any(word in status.NOT_BUILT for word in summary["counts"]) or bool(push_failures(summary))


def changed(results):
    return any(item["status"] in status.CHANGES
               or item.get("push_status") in (push.PUSHED, push.WOULD_PUSH) for item in results)


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
