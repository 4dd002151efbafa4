# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build a whole plan: options, scheduling, summary. Shared by the module and its action plugin."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.tcib.images.plugins.module_utils import graph, report
from ansible_collections.tcib.images.plugins.module_utils.aptproxy import AptProxy
from ansible_collections.tcib.images.plugins.module_utils.builder import BuildOptions, ImageBuilder
from ansible_collections.tcib.images.plugins.module_utils.buildah import Builder
from ansible_collections.tcib.images.plugins.module_utils.plan import plan_dot
from ansible_collections.tcib.images.plugins.module_utils.provenance import PackageVersions
from ansible_collections.tcib.images.plugins.module_utils.scheduler import Scheduler

ARGUMENT_SPEC = dict(
    plan=dict(type="path", required=True),
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
    package_proxy=dict(type="bool", default=True),
    proxy_hosts=dict(type="list", elements="str", default=["deb.debian.org", "security.debian.org"]),
)

# More parallel builds than this make buildah fight over its storage locks (upstream saw it at 8+).
MAX_PARALLEL_CAP = 6


def default_parallelism():
    """One build per core plus one: builds wait on downloads part of the time."""
    return max(2, min(MAX_PARALLEL_CAP, (os.cpu_count() or 1) + 1))


def run_build_graph(params, run, check_mode=False, on_event=None, buildah="buildah", podman="podman"):
    """Bring every image of the plan up to date; returns (results, summary dict)."""
    plan_path = params["plan"]
    work_dir = os.path.dirname(plan_path)
    plan = report.read_json(plan_path)
    if not plan or "images" not in plan:
        raise ValueError("%s is not a plan written by tcib_plan" % plan_path)
    entries = plan["images"]
    options = BuildOptions(
        force=params["force"], check=check_mode, timeout=params["timeout"], retries=params["retries"],
        retry_delay=params["retry_delay"], package_cache=params.get("package_cache"),
        volumes=params["volumes"], build_args=params["build_args"], labels=params["labels"],
        isolation=params.get("isolation"), network=params["network"], image_format=params["image_format"],
        revision=params.get("revision"), source=params.get("source"))
    proxy = None
    if params.get("package_proxy") and params.get("package_cache") and not check_mode:
        proxy = AptProxy(os.path.join(params["package_cache"], "mirror"), params["proxy_hosts"])
        conf = os.path.join(work_dir, "apt-proxy.conf")
        with open(conf, "w") as handle:
            handle.write('Acquire::http::Proxy "http://127.0.0.1:%d";\n' % proxy.start())
        options.run_volumes.append("%s:/etc/apt/apt.conf.d/00tcib-proxy:ro" % conf)
    try:
        return _run(params, run, check_mode, on_event, buildah, podman, plan, options, proxy)
    finally:
        if proxy:
            proxy.stop()


def _run(params, run, check_mode, on_event, buildah, podman, plan, options, proxy):
    plan_path = params["plan"]
    work_dir = os.path.dirname(plan_path)
    entries = plan["images"]
    roots = [entry["from"] for entry in entries if not entry.get("parent")]
    versions = PackageVersions(run, podman, roots[0], [entry.get("package") for entry in entries],
                               os.path.join(work_dir, "apt-lists"), options.run_volumes) if roots else None
    on_event = on_event or (lambda kind, name, result, counts: None)
    finished = []

    def on_build(name, reason):
        on_event("build", name, {"reason": reason}, (len(finished), len(entries)))

    def on_scheduler_event(kind, name, result, counts):
        if kind == "finish":
            finished.append(name)
            on_event(kind, name, result, counts)

    if versions and versions.lists_dir and not os.path.isdir(versions.lists_dir):
        os.makedirs(versions.lists_dir)
    image_builder = ImageBuilder(Builder(run, buildah, podman), entries, options, on_build, versions)
    parents = dict((entry["name"], entry.get("parent")) for entry in entries)
    names = [entry["name"] for entry in entries]
    summary_path = os.path.join(work_dir, "summary.json")
    # Past build times weigh the chains, so the slowest chain starts first.
    previous = report.read_json(summary_path, {}) or {}
    durations = dict((item["name"], item.get("build_seconds")) for item in previous.get("images", [])
                     if item.get("build_seconds"))
    max_parallel = 1 if check_mode else (params["max_parallel"] or default_parallelism())
    started = time.time()
    scheduler = Scheduler(parents, names, image_builder, max_parallel,
                          graph.chain_weights(parents, names, durations), on_scheduler_event)
    results = scheduler.run()
    image_builder.forget_replaced()
    summary = {
        "images": results,
        "counts": report.counts_by_status(results),
        "max_parallel": max_parallel,
        "wall_seconds": round(time.time() - started, 1),
        "check_mode": check_mode,
    }
    if proxy:
        summary["package_proxy"] = proxy.stats.as_dict()
    if check_mode:
        by_name = dict((result["name"], result) for result in results)
        for entry in entries:
            entry["status"] = by_name[entry["name"]]["status"]
            entry["reason"] = by_name[entry["name"]].get("reason")
        report.write_json(plan_path, plan)
        with open(os.path.join(work_dir, "plan.dot"), "w") as handle:
            handle.write(plan_dot(entries))
    else:
        report.write_json(summary_path, summary)
    summary["summary_path"] = plan_path if check_mode else summary_path
    summary["table"] = report.summary_table(results)
    return results, summary


def failed(summary):
    return any(status in ("failed", "skipped") for status in summary["counts"])
