"""Compare two runs of benchmarks/tree.py (their tree-benchmark.json): totals, then every image whose size moved.

    .venv/bin/python benchmarks/compare_trees.py BEFORE.json AFTER.json

Totals: images, the sum of image sizes, the unique layer bytes, the cold wall time and the CPU seconds. Then
each image in both runs whose size changed by more than 0.05 MB, and the images only one run has.
"""

import json
import sys


def totals(run):
    return [("images", "%d" % run["images"]),
            ("sum of image sizes", "%.2f GB" % (run["size_sum_bytes"] / 1e9)),
            ("unique layer bytes", "%.2f GB" % (run["unique_layer_bytes"] / 1e9)),
            ("cold wall time", "%.0f s" % run["wall_seconds"]),
            ("CPU time", "%.0f s (%.1f CPU-minutes)" % (run["cpu_seconds"], run["cpu_seconds"] / 60))]


def main(before_path, after_path):
    before, after = (json.load(open(path)) for path in (before_path, after_path))
    print("%-22s %-26s %s" % ("", "before", "after"))
    for (label, old), (_label, new) in zip(totals(before), totals(after)):
        print("%-22s %-26s %s" % (label, old, new))
    sizes = [{row["image"]: row["size_mb"] for row in run["rows"]} for run in (before, after)]
    moved = [(name, sizes[0][name], sizes[1][name]) for name in sorted(sizes[0])
             if name in sizes[1] and abs(sizes[1][name] - sizes[0][name]) > 0.05]
    print("\n%-34s %9s %9s %8s" % ("image (size changed)", "before MB", "after MB", "change"))
    for name, old, new in moved:
        print("%-34s %9.1f %9.1f %+8.1f" % (name, old, new, new - old))
    for label, only in (("only before", set(sizes[0]) - set(sizes[1])), ("only after", set(sizes[1]) - set(sizes[0]))):
        if only:
            print("%s: %s" % (label, ", ".join(sorted(only))))
    grown = [name for name, old, new in moved if new > old]
    print("\n%d images changed size, %d grew%s" % (len(moved), len(grown), (": " + ", ".join(grown)) if grown else ""))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
