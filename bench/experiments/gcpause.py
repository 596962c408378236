"""Run a Python server with its garbage-collection pauses recorded (and, optionally, frozen away).

    python -m bench.experiments.gcpause --stats OUT.json wsgi.py
    python -m bench.experiments.gcpause --freeze OUT.json bench/baselines/bare_python.py PORT
    python -m bench.experiments.gcpause --startup OUT.json wsgi.py

`--stats` times every collection (gc.callbacks) and, when the server gets SIGTERM (how the benchmark
stops it), writes OUT.json: per generation the count, total and longest pause, and every pause over
10 ms with when it happened. `--freeze` does the same and also calls gc.freeze() after each full
(generation 2) collection, so objects that survived one are never traversed again: an experiment to
show how much of the latency tail is the collector, not a setting the server ships with (frozen
objects are never collected, so cyclic garbage among them would leak). Then it runs the script as
__main__. Chosen with BENCH_GC=stats or BENCH_GC=freeze (bench/targets.py).

`--startup` freezes once, after start-up: on SIGUSR1 (bench/targets.py sends it once the server
answers /health) it runs a full collection and then gc.freeze(), so everything that exists once the
app is built and serving (modules, the app, its schemas and routes) is never traversed again: what a
server would do with one `gc.freeze()` call before it starts serving (BENCH_GC=startup).
The report is written on SIGTERM or SIGUSR2: wsgi.py's own SIGTERM handler (it stops its database
first) replaces this one, so bench/targets.py sends SIGUSR2 before it stops a server.
"""
import gc
import json
import os
import runpy
import signal
import sys
import time

_started = time.monotonic()
_pauses = {0: [], 1: [], 2: []}
_begun = [0.0]
_freeze = False


def _callback(phase, info):
    if phase == "start":
        _begun[0] = time.perf_counter()
        return
    _pauses[info["generation"]].append((time.monotonic() - _started, time.perf_counter() - _begun[0]))
    if _freeze and info["generation"] == 2:
        gc.freeze()


BUCKETS_MS = (1, 5, 10, 25, 50, 100)


def _histogram(durations):
    """How many pauses fell in each bucket: "<1", "1-5", ..., ">=100" (milliseconds)."""
    edges = (0, *BUCKETS_MS)
    labels = [f"<{BUCKETS_MS[0]}", *[f"{a}-{b}" for a, b in zip(edges[1:], edges[2:])], f">={BUCKETS_MS[-1]}"]
    counts = dict.fromkeys(labels, 0)
    for d in durations:
        ms = 1000 * d
        index = sum(1 for edge in BUCKETS_MS if ms >= edge)
        counts[labels[index]] += 1
    return counts


def _report():
    out = {"freeze": _freeze, "threshold": gc.get_threshold(), "frozen_objects": gc.get_freeze_count(),
           "tracked_objects": len(gc.get_objects()), "seconds": round(time.monotonic() - _started, 1)}
    for generation, pauses in _pauses.items():
        durations = [d for _, d in pauses]
        out[f"gen{generation}"] = {
            "count": len(pauses), "total_ms": round(1000 * sum(durations), 1),
            "max_ms": round(1000 * max(durations), 2) if durations else None,
            "over_10ms": [[round(at, 2), round(1000 * d, 1)] for at, d in pauses if d > 0.010],
            "histogram_ms": _histogram(durations)}
    return out


def main(argv):
    global _freeze
    mode, path, script, *rest = argv
    if mode not in ("--stats", "--freeze", "--startup"):
        raise SystemExit("usage: python -m bench.experiments.gcpause --stats|--freeze|--startup OUT.json SCRIPT ...")
    _freeze = mode == "--freeze"

    def write(*_args):
        report = _report()
        report["mode"] = mode[2:]
        with open(path, "w") as handle:
            json.dump(report, handle)

    def stop(*_args):
        write()
        os._exit(0)

    def freeze_now(*_args):
        gc.collect()
        gc.freeze()
    gc.callbacks.append(_callback)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGUSR2, write)
    if mode == "--startup":
        signal.signal(signal.SIGUSR1, freeze_now)
    sys.argv = [script, *rest]
    sys.path.insert(0, ".")
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
