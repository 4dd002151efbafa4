# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run work over the image graph in parallel: a child starts as soon as its own parent is done.

No waves: whenever a worker is free, the ready image heading the longest remaining
chain starts. A failed image's descendants are skipped; independent branches go on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import heapq
import threading
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from ansible_collections.tcib.images.plugins.module_utils import graph, status

OK_STATUSES = status.SUCCEEDED


class Scheduler(object):
    """``work(name)`` returns a result dict with a ``status``; raising counts as failed.

    ``on_event(kind, name, result, counts)`` is called from the scheduling thread for
    kind ``start`` and ``finish`` (``counts`` is (finished, total)).
    """

    def __init__(self, parents, names, work, max_parallel=2, weights=None, on_event=None):
        self.names = list(names)
        selected = set(self.names)
        # Parents outside the selection (or outside the tree) are not waited for.
        self.parents = dict((n, parents.get(n) if parents.get(n) in selected else None) for n in self.names)
        self.children = graph.children(self.parents)
        self.work = work
        self.max_parallel = max(1, int(max_parallel))
        self.weights = weights or graph.chain_weights(self.parents, self.names)
        self.on_event = on_event or (lambda kind, name, result, counts: None)
        self.lock = threading.Lock()

    def _guarded(self, name):
        try:
            result = self.work(name)
        except Exception as exc:  # a broken worker fails its image, not the whole run
            result = {"status": status.FAILED, "reason": "%s: %s" % (type(exc).__name__, exc),
                      "traceback": traceback.format_exc()}
        result.setdefault("name", name)
        return result

    def run(self):
        """Results in the order of ``names``."""
        results = {}
        total = len(self.names)
        ready = []
        for name in self.names:
            if self.parents[name] is None:
                heapq.heappush(ready, (-self.weights[name], name))
        with ThreadPoolExecutor(max_workers=self.max_parallel) as pool:
            running = {}
            while ready or running:
                while ready and len(running) < self.max_parallel:
                    _weight, name = heapq.heappop(ready)
                    self.on_event("start", name, None, (len(results), total))
                    running[pool.submit(self._guarded, name)] = name
                done, _pending = wait(list(running), return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: running[f]):
                    name = running.pop(future)
                    result = future.result()
                    results[name] = result
                    self.on_event("finish", name, result, (len(results), total))
                    if result["status"] in OK_STATUSES:
                        for kid in self.children[name]:
                            heapq.heappush(ready, (-self.weights[kid], kid))
                    else:
                        self._skip_descendants(name, results, total)
        return [results[name] for name in self.names]

    def _skip_descendants(self, failed, results, total):
        for name in graph.descendants(self.parents, failed):
            if name not in results:
                results[name] = {"name": name, "status": status.SKIPPED,
                                 "reason": "skipped because %s failed" % failed}
                self.on_event("finish", name, results[name], (len(results), total))
