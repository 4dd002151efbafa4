# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parallel scheduler, driven by a fake work function (nothing is built)."""

import threading
import time

import pytest

from ansible_collections.tcib.images.plugins.module_utils.graph import chain_weights
from ansible_collections.tcib.images.plugins.module_utils.scheduler import Scheduler

# Long enough for a scheduling bug to show, short enough that a failing test ends quickly.
WAIT = 5.0

PARENTS = {
    "base": None,
    "os": "base",
    "nova-base": "os",
    "nova-api": "nova-base",
    "nova-compute": "nova-base",
    "keystone": "os",
    "memcached": None,
}


class Recorder(object):
    """A work function that records start/finish order and concurrency."""

    def __init__(self, statuses=None, delay=0.0, hooks=None):
        self.statuses = statuses or {}
        self.delay = delay
        self.hooks = hooks or {}
        self.lock = threading.Lock()
        self.log = []
        self.running = 0
        self.max_running = 0

    def __call__(self, name):
        with self.lock:
            self.log.append(("start", name))
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if name in self.hooks:
                self.hooks[name]()
            elif self.delay:
                time.sleep(self.delay)
            status = self.statuses.get(name, "built")
            if isinstance(status, Exception):
                raise status
            return {"status": status}
        finally:
            with self.lock:
                self.running -= 1
                self.log.append(("finish", name))

    def started(self):
        return [name for kind, name in self.log if kind == "start"]

    def index(self, kind, name):
        return self.log.index((kind, name))


def by_name(results):
    return dict((result["name"], result) for result in results)


def test_every_image_once_results_in_names_order():
    work = Recorder()
    names = ["base", "os", "keystone", "nova-base", "nova-api", "nova-compute", "memcached"]
    results = Scheduler(PARENTS, names, work, max_parallel=3).run()
    assert [result["name"] for result in results] == names
    assert all(result["status"] == "built" for result in results)
    assert sorted(work.started()) == sorted(names)


@pytest.mark.parametrize("max_parallel", [1, 2, 4])
def test_parents_finish_before_children_start(max_parallel):
    work = Recorder(delay=0.01)
    Scheduler(PARENTS, list(PARENTS), work, max_parallel=max_parallel).run()
    for name, parent in PARENTS.items():
        if parent is not None:
            assert work.index("finish", parent) < work.index("start", name), (parent, name)


def test_a_child_starts_when_its_own_parent_is_done_not_in_waves():
    # slow is a root with a long build; fast -> fast-child -> fast-grandchild is another
    # branch. Both levels below fast must start while slow is still running: slow only
    # ends once it has seen the grandchild start (or after WAIT, failing the test).
    grandchild_started = threading.Event()
    seen = {}

    def slow():
        seen["grandchild started while slow ran"] = grandchild_started.wait(WAIT)

    parents = {"slow": None, "fast": None, "fast-child": "fast", "fast-grandchild": "fast-child"}
    work = Recorder(hooks={"slow": slow, "fast-grandchild": grandchild_started.set})
    started = time.time()
    results = Scheduler(parents, ["slow", "fast", "fast-child", "fast-grandchild"], work, max_parallel=2).run()
    assert seen["grandchild started while slow ran"] is True
    assert time.time() - started < WAIT
    assert work.index("start", "fast-child") < work.index("finish", "slow")
    assert work.index("start", "fast-grandchild") < work.index("finish", "slow")
    assert all(result["status"] == "built" for result in results)


def test_max_parallel_bounds_concurrency():
    parents = dict(("image-%d" % i, None) for i in range(8))
    # The first three (by name) only end once all three run at the same time.
    together = threading.Barrier(3, timeout=WAIT)
    hooks = dict(("image-%d" % i, together.wait) for i in range(3))
    work = Recorder(delay=0.05, hooks=hooks)
    results = Scheduler(parents, sorted(parents), work, max_parallel=3).run()
    assert [result["status"] for result in results] == ["built"] * 8
    assert work.max_running == 3
    assert len(work.started()) == 8


def test_max_parallel_one_runs_one_at_a_time():
    parents = dict(("image-%d" % i, None) for i in range(4))
    work = Recorder(delay=0.02)
    Scheduler(parents, sorted(parents), work, max_parallel=1).run()
    assert work.max_running == 1


@pytest.mark.parametrize("value", [0, -3])
def test_max_parallel_below_one_means_one(value):
    parents = {"a": None, "b": None}
    work = Recorder(delay=0.02)
    results = Scheduler(parents, ["a", "b"], work, max_parallel=value).run()
    assert work.max_running == 1
    assert [result["status"] for result in results] == ["built", "built"]


def test_heaviest_chain_goes_first():
    parents = {"a": None, "b": None, "b1": "b", "b2": "b1", "c": None}
    work = Recorder()
    Scheduler(parents, ["a", "b", "b1", "b2", "c"], work, max_parallel=1).run()
    # b heads a chain of 3; once it is done, b1 (2 left) beats the single images a and c.
    assert work.started() == ["b", "b1", "a", "b2", "c"]


def test_past_durations_weigh_the_chains():
    parents = {"a": None, "b": None, "b1": "b", "c": None}
    names = ["a", "b", "b1", "c"]
    work = Recorder()
    weights = chain_weights(parents, names, {"c": 600.0, "a": 30.0})
    Scheduler(parents, names, work, max_parallel=1, weights=weights).run()
    assert work.started() == ["c", "a", "b", "b1"]


def test_failed_image_skips_its_descendants_only():
    parents = dict(PARENTS, **{"nova-api-extra": "nova-api"})
    names = ["base", "os", "keystone", "nova-base", "memcached", "nova-api", "nova-compute", "nova-api-extra"]
    work = Recorder(statuses={"nova-base": "failed"})
    results = by_name(Scheduler(parents, names, work, max_parallel=2).run())
    assert results["nova-base"]["status"] == "failed"
    for name in ("nova-api", "nova-compute", "nova-api-extra"):
        assert results[name]["status"] == "skipped"
        assert results[name]["reason"] == "skipped because nova-base failed"
        assert ("start", name) not in work.log
    for name in ("base", "os", "keystone", "memcached"):
        assert results[name]["status"] == "built"


def test_exception_in_work_is_a_failure():
    work = Recorder(statuses={"os": RuntimeError("disk on fire")})
    results = by_name(Scheduler(PARENTS, list(PARENTS), work, max_parallel=2).run())
    assert results["os"]["status"] == "failed"
    assert results["os"]["name"] == "os"
    assert results["os"]["reason"] == "RuntimeError: disk on fire"
    assert "disk on fire" in results["os"]["traceback"]
    assert results["keystone"]["status"] == "skipped"
    assert results["keystone"]["reason"] == "skipped because os failed"
    assert results["memcached"]["status"] == "built"
    assert results["base"]["status"] == "built"


@pytest.mark.parametrize("status", ["up to date", "would build", "built"])
def test_ok_statuses_let_children_run(status):
    parents = {"base": None, "os": "base"}
    work = Recorder(statuses={"base": status})
    results = Scheduler(parents, ["base", "os"], work).run()
    assert [result["status"] for result in results] == [status, "built"]
    assert work.started() == ["base", "os"]


@pytest.mark.parametrize("status", ["failed", "skipped", "something else"])
def test_other_statuses_stop_children(status):
    parents = {"base": None, "os": "base"}
    work = Recorder(statuses={"base": status})
    results = Scheduler(parents, ["base", "os"], work).run()
    assert results[1]["status"] == "skipped"
    assert work.started() == ["base"]


def test_parents_outside_the_selection_are_not_waited_for():
    work = Recorder()
    results = Scheduler(PARENTS, ["nova-api", "keystone"], work, max_parallel=1).run()
    assert [result["status"] for result in results] == ["built", "built"]
    assert sorted(work.started()) == ["keystone", "nova-api"]


def test_on_event_start_and_finish_with_counts():
    events = []
    main_thread = threading.current_thread()

    def on_event(kind, name, result, counts):
        events.append((kind, name, result["status"] if result else None, counts,
                       threading.current_thread() is main_thread))

    parents = {"base": None, "os": "base", "os-child": "os", "other": None}
    work = Recorder(statuses={"os": "failed"})
    Scheduler(parents, ["base", "os", "os-child", "other"], work, max_parallel=1, on_event=on_event).run()
    # Called from the scheduling thread only.
    assert all(event[4] for event in events)
    starts = [event for event in events if event[0] == "start"]
    finishes = [event for event in events if event[0] == "finish"]
    assert sorted(event[1] for event in starts) == ["base", "os", "other"]
    assert all(event[2] is None for event in starts)
    # Every image finishes once, skipped ones included; the count goes up by one each time.
    assert sorted(event[1] for event in finishes) == ["base", "os", "os-child", "other"]
    assert [event[3] for event in finishes] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert dict((event[1], event[2]) for event in finishes) == {
        "base": "built", "os": "failed", "os-child": "skipped", "other": "built"}
    # A start reports how many had finished before it, and comes before its finish.
    for event in starts:
        finished_before = [e for e in events[:events.index(event)] if e[0] == "finish"]
        assert event[3] == (len(finished_before), 4)
        finish = [e for e in finishes if e[1] == event[1]][0]
        assert events.index(event) < events.index(finish)
    assert events[0][:2] == ("start", "base")  # the heavier chain first
