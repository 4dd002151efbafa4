"""Benchmark the build graph on real images: cold build, no-op rebuild, one-leaf rebuild, planning time,
schedule efficiency, and upstream's wave schedule replayed on the same measured durations.

    .venv/bin/python benchmarks/build_graph.py [--images a,b,c] [--max-parallel N] [--warm-cache]
    .venv/bin/python benchmarks/build_graph.py --end-to-end [--namespace tcib] [--work-dir DIR] [--runs 5]

--end-to-end times what a user runs, from start to end, on images already built (with the update check
on, the default): `ansible-playbook build.yml -e service=keystone` and `ansible-playbook build.yml` (the
whole tree) when nothing changed, and `tcib-build --check-updates` listing the whole tree's pending updates.

Images go under their own namespace (default `bench`) and the tree is copied, so the real images and
vars/tcib are left alone. Results are printed and written to <work-dir>/benchmark.json.
"""

import argparse
import heapq
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = ("base,os,memcached,redis,haproxy,mariadb,rabbitmq,keystone,"
                  "nova-base,nova-api,nova-conductor,nova-scheduler")
TOUCHED_LEAF = "redis"


def sys_path_for_collection():
    """Make `ansible_collections.tcib.images` importable from this checkout."""
    root = Path(tempfile.mkdtemp(prefix="tcib-bench-"))
    (root / "ansible_collections" / "tcib").mkdir(parents=True)
    (root / "ansible_collections" / "tcib" / "images").symlink_to(REPO)
    sys.path.insert(0, str(root))


def playbook(args, tree, work_dir, *extra):
    argv = [str(REPO / ".venv" / "bin" / "ansible-playbook"), str(REPO / "build.yml"),
            "-e", "tcib_tree=%s" % tree, "-e", "work_dir=%s" % work_dir, "-e", "image_namespace=%s" % args.namespace,
            "-e", "include=%s" % args.images, "-e", "package_cache=%s" % args.package_cache,
            "-e", "max_parallel=%d" % args.max_parallel]
    for item in extra:
        argv += ["-e", item]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    started = time.time()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.time() - started
    if done.returncode != 0:
        sys.exit("ansible-playbook failed:\n%s" % done.stdout[-5000:])
    summary = json.loads((Path(work_dir) / "summary.json").read_text())
    return wall, summary


def remove_images(namespace):
    names = subprocess.run(["podman", "images", "--format", "{{.Repository}}:{{.Tag}}"],
                           capture_output=True, text=True, check=True).stdout.split()
    mine = [name for name in names if name.startswith("localhost/%s/" % namespace)]
    if mine:
        subprocess.run(["podman", "rmi", "-f"] + mine, capture_output=True, check=False)


def critical_path(parents, durations):
    longest = {}

    def chain(name):
        if name not in longest:
            parent = parents.get(name)
            longest[name] = durations[name] + (chain(parent) if parent in durations else 0.0)
        return longest[name]
    return max(chain(name) for name in durations)


def list_schedule(names_in_order, durations, workers, release=None):
    """Makespan of running the names (in priority order) on `workers`, each no earlier than its release."""
    release = release or {}
    free = [0.0] * workers
    finish = {}
    for name in names_in_order:
        start = max(heapq.heappop(free), release.get(name, 0.0))
        finish[name] = start + durations[name]
        heapq.heappush(free, finish[name])
    return finish


def wave_makespan(parents, durations, workers):
    """Upstream tcib: the tree cut into waves by depth, each wave waiting for the whole previous one."""
    depth = {}

    def level(name):
        if name not in depth:
            parent = parents.get(name)
            depth[name] = level(parent) + 1 if parent in durations else 0
        return depth[name]
    total = 0.0
    for wave in sorted(set(level(name) for name in durations)):
        members = sorted(name for name in durations if depth[name] == wave)
        total += max(list_schedule(members, durations, workers).values())
    return total


def graph_makespan(parents, durations, workers, weights):
    """Our scheduler replayed: a child is ready when its own parent ends; the heaviest ready chain first."""
    from ansible_collections.tcib.images.plugins.module_utils import graph
    kids = graph.children(dict((n, parents[n] if parents[n] in durations else None) for n in durations))
    ready = [(-weights[n], n) for n in durations if parents.get(n) not in durations]
    heapq.heapify(ready)
    running, now = [], 0.0
    while ready or running:
        while ready and len(running) < workers:
            _weight, name = heapq.heappop(ready)
            heapq.heappush(running, (now + durations[name], name))
        now, name = heapq.heappop(running)
        for kid in kids[name]:
            heapq.heappush(ready, (-weights[kid], kid))
    return now


def plan_timing(tree):
    from ansible_collections.tcib.images.plugins.module_utils.plan import PlanSettings, make_plan, write_contexts
    work = tempfile.mkdtemp(prefix="tcib-bench-plan-")
    started = time.time()
    entries = make_plan(str(tree), PlanSettings("localhost/tcib/debian:trixie"))
    write_contexts(entries, work)
    in_process = time.time() - started
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    argv = [str(REPO / ".venv" / "bin" / "ansible"), "localhost", "-m", "tcib.images.tcib_plan", "-a",
            "tree=%s work_dir=%s base_image=localhost/tcib/debian:trixie" % (tree, work)]
    started = time.time()
    subprocess.run(argv, cwd=REPO, env=env, capture_output=True, check=True)
    module = time.time() - started
    shutil.rmtree(work, ignore_errors=True)
    return len(entries), in_process, module


def timed(argv, runs):
    """Median wall time of a command over runs (each must succeed, or exit 100 for pending updates)."""
    times = []
    for _run in range(runs):
        started = time.time()
        done = subprocess.run(argv, cwd=REPO, env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg")),
                              capture_output=True, text=True, check=False)
        times.append(time.time() - started)
        if done.returncode not in (0, 100):
            sys.exit("%s failed:\n%s" % (" ".join(argv), done.stdout[-3000:]))
    return sorted(times)[len(times) // 2], done.stdout


def end_to_end(args):
    playbook_argv = [str(REPO / ".venv" / "bin" / "ansible-playbook"), str(REPO / "build.yml"),
                     "-e", "image_namespace=%s" % args.namespace]
    cli_argv = [str(REPO / ".venv" / "bin" / "tcib-build"), "--check-updates", "--namespace", args.namespace]
    if args.work_dir:
        # The work dir that built these images: its bills of materials spare reading the images' own.
        playbook_argv += ["-e", "work_dir=%s" % args.work_dir]
        cli_argv += ["--work-dir", args.work_dir]
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip()
    results = {"namespace": args.namespace, "runs": args.runs, "commit": revision,
               "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    results["noop_keystone_chain_s"], out = timed(playbook_argv + ["-e", "service=keystone"], args.runs)
    assert "built " not in out.split("IMAGE", 1)[-1], "the keystone chain was not up to date"
    whole, out = timed(playbook_argv, args.runs)
    tree_up_to_date = " built " not in out.split("IMAGE", 1)[-1] and "not built yet" not in out
    results["noop_whole_tree_s"] = round(whole, 2) if tree_up_to_date else None
    results["whole_tree_images"] = out.split("IMAGE", 1)[-1].count(" up to date ")
    listing, out = timed(cli_argv, args.runs)
    results["list_pending_updates_whole_tree_s"] = round(listing, 2)
    results["pending_updates_listed"] = out.count("\n") if "no pending updates" not in out else 0
    results["noop_keystone_chain_s"] = round(results["noop_keystone_chain_s"], 2)
    print("no-op keystone chain, end to end      %s s   (target <= 4 s)" % results["noop_keystone_chain_s"])
    print("no-op whole tree, end to end          %s   (target <= 6 s)" % (
        "%s s" % results["noop_whole_tree_s"] if tree_up_to_date else "not measured: the whole tree is not built"))
    print("list pending updates, whole tree      %s s" % results["list_pending_updates_whole_tree_s"])
    print("(median of %d runs, update check on)" % args.runs)
    out_path = REPO / "benchmarks" / "results" / "end_to_end.json"
    out_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--end-to-end", action="store_true", help="time no-op runs of built images (see above)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--images", default=DEFAULT_IMAGES)
    parser.add_argument("--namespace", default="bench")
    parser.add_argument("--max-parallel", type=int, default=0, help="0: the build's own default")
    parser.add_argument("--work-dir", default=None,
                        help="default /var/tmp/tcib-bench; with --end-to-end, the build's own default")
    parser.add_argument("--package-cache", default=None,
                        help="default: a fresh directory, so the cold build downloads every package")
    parser.add_argument("--warm-cache", action="store_true", help="reuse /var/cache/tcib/apt-archives")
    args = parser.parse_args()
    if args.end_to_end:
        if args.namespace == "bench":
            args.namespace = "tcib"
        return end_to_end(args)
    sys_path_for_collection()
    from ansible_collections.tcib.images.plugins.module_utils import graph
    from ansible_collections.tcib.images.plugins.module_utils.build_graph import default_parallelism
    if not args.max_parallel:
        args.max_parallel = default_parallelism()

    work_dir = Path(args.work_dir or "/var/tmp/tcib-bench")
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    tree = work_dir / "tree"
    shutil.copytree(REPO / "vars" / "tcib", tree)
    if args.warm_cache:
        args.package_cache = "/var/cache/tcib/apt-archives"
    elif not args.package_cache:
        args.package_cache = str(work_dir / "apt-archives")
    remove_images(args.namespace)

    builds = work_dir / "work"
    cold_wall, cold = playbook(args, tree, builds)
    noop_wall, noop = playbook(args, tree, builds)
    assert set(item["status"] for item in noop["images"]) == {"up to date"}, noop["counts"]
    leaf_file = tree / "base" / "os" / TOUCHED_LEAF / "zz-benchmark.yaml"
    leaf_file.write_text("tcib_labels:\n  tcib.benchmark.touched: '%d'\n" % time.time())
    leaf_wall, leaf = playbook(args, tree, builds)
    rebuilt = [item["name"] for item in leaf["images"] if item["status"] == "built"]
    assert rebuilt == [TOUCHED_LEAF], rebuilt
    leaf_build = [item for item in leaf["images"] if item["name"] == TOUCHED_LEAF][0]["duration"]
    count, plan_in_process, plan_module = plan_timing(REPO / "vars" / "tcib")

    durations = dict((item["name"], item["duration"]) for item in cold["images"])
    plan = json.loads((builds / "plan.json").read_text())
    parents = dict((item["name"], item.get("parent")) for item in plan["images"])
    critical = critical_path(parents, durations)
    lower_bound = max(critical, sum(durations.values()) / args.max_parallel)
    actual = cold["wall_seconds"]
    weights = graph.chain_weights(parents, list(durations), durations)
    waves = wave_makespan(parents, durations, args.max_parallel)
    replay = graph_makespan(parents, durations, args.max_parallel, weights)
    results = {
        "images": len(durations), "max_parallel": args.max_parallel,
        "cold_build_wall_s": round(cold_wall, 1), "cold_build_scheduler_s": actual,
        "noop_rebuild_wall_s": round(noop_wall, 1),
        "one_leaf_rebuild_wall_s": round(leaf_wall, 1), "one_leaf_own_build_s": leaf_build,
        "one_leaf_overhead_s": round(leaf_wall - leaf_build, 1),
        "plan_whole_tree_images": count, "plan_whole_tree_in_process_s": round(plan_in_process, 2),
        "plan_whole_tree_module_s": round(plan_module, 2),
        "critical_path_s": round(critical, 1), "sum_build_s": round(sum(durations.values()), 1),
        "lower_bound_s": round(lower_bound, 1), "efficiency": round(lower_bound / actual, 2),
        "wave_schedule_makespan_s": round(waves, 1), "our_schedule_replayed_s": round(replay, 1),
        "per_image": dict((item["name"], {"seconds": item["duration"], "size": item.get("size")})
                          for item in cold["images"]),
    }
    (work_dir / "benchmark.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print("images %(images)d, max_parallel %(max_parallel)d" % results)
    print("cold build (whole run / scheduler)   %(cold_build_wall_s)7.1f s / %(cold_build_scheduler_s).1f s" % results)
    print("no-op rebuild of the tree            %(noop_rebuild_wall_s)7.1f s   (target <= 5 s)" % results)
    print("one-leaf rebuild                     %(one_leaf_rebuild_wall_s)7.1f s   (its own build %(one_leaf_own_build_s).1f s,"
          " overhead %(one_leaf_overhead_s).1f s; target <= 3 s)" % results)
    print("discover+render+plan, %(plan_whole_tree_images)d images     %(plan_whole_tree_module_s)7.2f s   (module;"
          " %(plan_whole_tree_in_process_s).2f s in process; target <= 2 s)" % results)
    print("critical path %(critical_path_s).1f s, sum %(sum_build_s).1f s, lower bound %(lower_bound_s).1f s" % results)
    print("schedule efficiency                  %(efficiency)7.2f     (target >= 0.85)" % results)
    print("upstream wave schedule (replayed)    %(wave_schedule_makespan_s)7.1f s" % results)
    print("our schedule (replayed)              %(our_schedule_replayed_s)7.1f s" % results)
    print("\n%-16s %8s %10s" % ("image", "seconds", "size"))
    for name, item in results["per_image"].items():
        print("%-16s %8.1f %8.1f MB" % (name, item["seconds"], (item["size"] or 0) / 1e6))
    remove_images(args.namespace)


if __name__ == "__main__":
    main()
