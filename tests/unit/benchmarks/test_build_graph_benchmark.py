"""The schedule arithmetic the benchmark reports: critical path, wave replay, graph replay."""

import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "build_graph_benchmark", Path(__file__).resolve().parents[3] / "benchmarks" / "build_graph.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)

# base -> os -> {long-a -> long-b, short-1, short-2, short-3}: one long branch, three short ones
PARENTS = {"base": None, "os": "base", "long-a": "os", "long-b": "long-a",
           "short-1": "os", "short-2": "os", "short-3": "os"}
DURATIONS = {"base": 2.0, "os": 2.0, "long-a": 10.0, "long-b": 10.0, "short-1": 6.0, "short-2": 6.0,
             "short-3": 6.0}


def test_critical_path_is_the_longest_chain():
    assert bench.critical_path(PARENTS, DURATIONS) == 24.0


def test_waves_wait_for_the_slowest_image_of_each_level():
    # Level 2 (long-a and three shorts) takes 16 s on 2 workers, and long-b waits for all of it.
    assert bench.wave_makespan(PARENTS, DURATIONS, 2) == pytest.approx(2 + 2 + 16 + 10)
    assert bench.wave_makespan(PARENTS, DURATIONS, 1) == pytest.approx(sum(DURATIONS.values()))


def test_graph_schedule_starts_children_at_once_and_beats_waves_on_uneven_trees():
    from ansible_collections.tcib.images.plugins.module_utils import graph
    weights = graph.chain_weights(PARENTS, list(DURATIONS), DURATIONS)
    ours = bench.graph_makespan(PARENTS, DURATIONS, 1, weights)
    assert ours == pytest.approx(sum(DURATIONS.values()))
    assert ours < bench.wave_makespan(PARENTS, DURATIONS, 1) + 1e-9
    two = bench.graph_makespan(PARENTS, DURATIONS, 2, weights)
    assert two == pytest.approx(24.0)  # the critical path: long chain on one worker, shorts on the other
    assert two < bench.wave_makespan(PARENTS, DURATIONS, 2)
