"""p99 at 1 msg/s with N idle connections: the server as shipped against Python's garbage-collector defaults.

    python -m bench.experiments.gc_light 1000 30      # connections, seconds of the light phase
    python -m bench.experiments.gc_light 1000 30 shipped,python-defaults,startup

Runs bench/scenarios/delivery.py on the real server once per mode, back to back, every one with its GC
pauses recorded (BENCH_GC=stats, bench/experiments/gcpause.py):
- `shipped`: the settings as they ship (GC_FREEZE=true, GC_THRESHOLDS=5000,20,100; chat/process/gctune.py);
- `python-defaults`: GC_FREEZE=false and GC_THRESHOLDS=700,10,10 (what the server did before);
- `startup`: Python's thresholds, frozen once when the server answers /health (BENCH_GC=startup).
Each run's light phase (1 msg/s while the other connections idle) comes first; its saturation and half
phases are short. The GC reports are in bench/results/gcpause-real-*.json; this prints one JSON line per
run with the light phase's latencies and that run's GC report (a pause histogram per generation).
"""
import asyncio
import json
import os
import sys

from ..common import RESULTS, log, raise_fd_limit
from ..scenarios import delivery

PYTHON_DEFAULTS = {"GC_FREEZE": "false", "GC_THRESHOLDS": "700,10,10"}
# mode: (BENCH_GC, the server's settings)
SETTINGS = {"shipped": ("stats", {}), "python-defaults": ("stats", PYTHON_DEFAULTS),
            "startup": ("startup", PYTHON_DEFAULTS)}
MODES = ("shipped", "python-defaults")


async def main(n, light_s, modes=MODES):
    out = []
    for mode in modes:
        before = set(RESULTS.glob("gcpause-real-*.json"))
        wrapper, settings = SETTINGS[mode]
        os.environ["BENCH_GC"] = wrapper
        log(f"=== gc {mode}: {n} connections, {light_s} s at 1 msg/s")
        record = await delivery.run("real", n, 3, light_duration=light_s, label=f"n{n}-gc-{mode}", **settings)
        reports = sorted(set(RESULTS.glob("gcpause-real-*.json")) - before)
        gc_report = json.loads(reports[-1].read_text()) if reports else None
        light = record["metrics"]["light"]
        line = {"gc": mode, "connections": n, "light_e2e_ms": light["e2e_ms"], "light_ack_ms": light["ack_ms"],
                "lost": light["lost"], "server_cpu_pct": light.get("server_cpu_pct"), "gc_report": gc_report}
        print(json.dumps(line), flush=True)
        out.append(line)
    os.environ.pop("BENCH_GC", None)
    return out


if __name__ == "__main__":
    raise_fd_limit()
    args = [int(a) for a in sys.argv[1:3]]
    n, light_s = (args + [1000, 30][len(args):])[:2]
    asyncio.run(main(n, light_s, sys.argv[3].split(",") if len(sys.argv) > 3 else MODES))
