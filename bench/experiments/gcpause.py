"""Run a Python server with its garbage-collection pauses recorded (and, optionally, frozen away).

    python -m bench.experiments.gcpause --stats OUT.json wsgi.py
    python -m bench.experiments.gcpause --freeze OUT.json bench/baselines/bare_python.py PORT

`--stats` times every collection (gc.callbacks) and, when the server gets SIGTERM (how the benchmark
stops it), writes OUT.json: per generation the count, total and longest pause, and every pause over
10 ms with when it happened. `--freeze` does the same and also calls gc.freeze() after each full
(generation 2) collection, so objects that survived one are never traversed again: an experiment to
show how much of the latency tail is the collector, not a setting the server ships with (frozen
objects are never collected, so cyclic garbage among them would leak). Then it runs the script as
__main__. Chosen with BENCH_GC=stats or BENCH_GC=freeze (bench/targets.py).
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


def _report():
    out = {"freeze": _freeze, "threshold": gc.get_threshold(), "frozen_objects": gc.get_freeze_count(),
           "tracked_objects": len(gc.get_objects()), "seconds": round(time.monotonic() - _started, 1)}
    for generation, pauses in _pauses.items():
        durations = [d for _, d in pauses]
        out[f"gen{generation}"] = {
            "count": len(pauses), "total_ms": round(1000 * sum(durations), 1),
            "max_ms": round(1000 * max(durations), 2) if durations else None,
            "over_10ms": [[round(at, 2), round(1000 * d, 1)] for at, d in pauses if d > 0.010]}
    return out


def main(argv):
    global _freeze
    mode, path, script, *rest = argv
    if mode not in ("--stats", "--freeze"):
        raise SystemExit("usage: python -m bench.experiments.gcpause --stats|--freeze OUT.json SCRIPT ...")
    _freeze = mode == "--freeze"

    def stop(*_args):
        with open(path, "w") as handle:
            json.dump(_report(), handle)
        os._exit(0)
    gc.callbacks.append(_callback)
    signal.signal(signal.SIGTERM, stop)
    sys.argv = [script, *rest]
    sys.path.insert(0, ".")
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
