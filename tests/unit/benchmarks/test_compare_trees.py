"""The comparison of two tree benchmark runs: totals side by side, images whose size moved, images in one run."""

import importlib.util
import json
from pathlib import Path

SPEC = importlib.util.spec_from_file_location(
    "compare_trees", Path(__file__).resolve().parents[3] / "benchmarks" / "compare_trees.py")
compare = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(compare)


def run(rows, wall, cpu, unique):
    return {"images": len(rows), "size_sum_bytes": int(sum(rows.values()) * 1e6), "unique_layer_bytes": unique,
            "wall_seconds": wall, "cpu_seconds": cpu,
            "rows": [{"image": name, "size_mb": size} for name, size in rows.items()]}


def test_compare_prints_totals_moved_images_and_those_in_one_run(tmp_path, capsys):
    before = tmp_path / "before.json"
    after = tmp_path / "after.json"
    before.write_text(json.dumps(run({"os": 93.5, "keystone": 314.6, "nova-base": 528.6}, 2505.7, 2232.0, 8.2e9)))
    after.write_text(json.dumps(run({"os": 93.5, "oslo": 252.0, "keystone": 312.3, "nova-base": 529.0},
                                    2000.0, 1800.0, 6.4e9)))
    assert compare.main(str(before), str(after)) == 0
    out = capsys.readouterr().out
    assert "unique layer bytes     8.20 GB" in out and "6.40 GB" in out
    assert "37.2 CPU-minutes" in out and "30.0 CPU-minutes" in out
    assert "keystone" in out and "-2.3" in out
    assert "\nos " not in out, "an unchanged size is not listed"
    assert "only after: oslo" in out
    assert "2 images changed size, 1 grew: nova-base" in out
