"""Build the whole image tree and print, per image: size, build time, layer count, and upstream's sizes.

    .venv/bin/python benchmarks/tree.py [--images a,b] [--namespace tree-bench] [--warm-cache]

By default the package cache starts empty, so the package proxy's counts show what a cold full-tree
build fetches from the mirror against the unique bytes it needs. Results are printed and written to
<work-dir>/tree-benchmark.json.

CPU seconds are those of the run and every process it waited for (buildah, runc, apt, dpkg, python), so
other work on the host does not count; wall time does depend on it. Unique bytes count each layer once,
however many images share it: what the tree costs on disk and in a registry, uncompressed.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Published sizes in MB (seed 002, peers.md): upstream tcib and Kolla.
UPSTREAM = {"base": (211, 588), "nova-base": (720, 1090), "nova-libvirt": (1900, 2140),
            "keystone": (532, 973), "memcached": (379, 633)}
TARGETS = {"base": 110, "memcached": 130, "keystone": 400, "nova-base": 540, "nova-libvirt": 1400}


def podman(*args):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False).stdout


LAYER_STORE = Path("/var/lib/containers/storage/overlay-layers/layers.json")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def unique_layer_bytes(image_ids):
    """The uncompressed size of the layers these images hold, each layer counted once."""
    sizes = {layer["diff-digest"]: layer.get("diff-size", 0)
             for layer in json.loads(LAYER_STORE.read_text()) if "diff-digest" in layer}
    digests = set()
    for image_id in image_ids:
        digests.update(json.loads(podman("image", "inspect", "--format", "{{json .RootFS.Layers}}", image_id)))
    return sum(sizes.get(digest, 0) for digest in digests)


def print_table(result):
    """The per-image table and the totals of a run (as written to tree-benchmark.json)."""
    header = ("image", "status", "size MB", "seconds", "layers", "tcib MB", "Kolla MB", "target")
    print("%-28s %-11s %9s %8s %6s %9s %9s %8s" % header)
    for row in result["rows"]:
        print("%-28s %-11s %9.1f %8s %6s %9s %9s %8s" % (
            row["image"], row["status"], row["size_mb"], row["seconds"], row["layers"] or "-",
            row["upstream_tcib_mb"] or "", row["kolla_mb"] or "", row["target_mb"] or ""))
    counts = ", ".join("%s %d" % kv for kv in sorted(result["counts"].items()))
    print("\n%d images in %.1f s (max_parallel %d): %s" % (len(result["rows"]), result["wall_seconds"],
                                                           result["max_parallel"], counts))
    cpu, size_sum, unique = result["cpu_seconds"], result["size_sum_bytes"], result["unique_layer_bytes"]
    print("CPU %.0f s (%.1f CPU-minutes); sizes sum to %.1f GB, unique layers %.1f GB" % (
        cpu, cpu / 60, size_sum / 1e9, unique / 1e9))
    proxy = result.get("package_proxy")
    if proxy:
        print("package proxy: fetched %.1f MB from the mirror for %.1f MB of unique files (%d files), "
              "served %.1f MB to builds" % (proxy["fetched_bytes"] / 1e6, proxy["unique_bytes"] / 1e6,
                                            proxy["unique_files"], proxy["served_bytes"] / 1e6))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", default="", help="comma-separated image names (default: the whole tree)")
    parser.add_argument("--namespace", default="tree-bench")
    parser.add_argument("--work-dir", default="/var/tmp/tcib-tree-bench")
    parser.add_argument("--warm-cache", action="store_true", help="use /var/cache/tcib/apt-archives")
    parser.add_argument("--keep", action="store_true", help="keep the built images")
    parser.add_argument("--show", metavar="JSON", help="print the table of a saved tree-benchmark.json, build nothing")
    args = parser.parse_args()
    if args.show:
        print_table(json.loads(Path(args.show).read_text()))
        return 0
    work_dir = Path(args.work_dir)
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    cache = "/var/cache/tcib/apt-archives" if args.warm_cache else str(work_dir / "package-cache")
    argv = [str(REPO / ".venv" / "bin" / "ansible-playbook"), str(REPO / "build.yml"),
            "-e", "work_dir=%s" % (work_dir / "work"), "-e", "image_namespace=%s" % args.namespace,
            "-e", "package_cache=%s" % cache]
    if args.images:
        argv += ["-e", "include=%s" % args.images]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    started, cpu_before = time.time(), children_cpu_seconds()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.time() - started, children_cpu_seconds() - cpu_before
    (work_dir / "ansible.log").write_text(done.stdout + done.stderr)
    summary = json.loads((work_dir / "work" / "summary.json").read_text())
    rows = []
    for item in summary["images"]:
        layers = None
        if item.get("image_id"):
            layers = int(podman("image", "inspect", "--format", "{{len .RootFS.Layers}}", item["image_id"]) or 0)
        tcib, kolla = UPSTREAM.get(item["name"], (None, None))
        rows.append({"image": item["name"], "status": item["status"], "size_mb": round((item.get("size") or 0) / 1e6, 1),
                     "seconds": item.get("duration"), "layers": layers, "upstream_tcib_mb": tcib, "kolla_mb": kolla,
                     "target_mb": TARGETS.get(item["name"])})
    proxy = summary.get("package_proxy") or {}
    size_sum = sum(item.get("size") or 0 for item in summary["images"])
    unique = unique_layer_bytes([item["image_id"] for item in summary["images"] if item.get("image_id")])
    result = {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "size_sum_bytes": size_sum,
              "unique_layer_bytes": unique, "images": len(rows), "counts": summary["counts"],
              "max_parallel": summary["max_parallel"], "package_proxy": proxy, "rows": rows}
    (work_dir / "tree-benchmark.json").write_text(json.dumps(result, indent=2) + "\n")

    print_table(result)
    if not args.keep:
        names = [n for n in podman("images", "--format", "{{.Repository}}:{{.Tag}}").split()
                 if n.startswith("localhost/%s/" % args.namespace)]
        if names:
            subprocess.run(["podman", "rmi", "-f"] + names, capture_output=True, check=False)
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
