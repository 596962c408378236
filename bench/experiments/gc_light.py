"""p99 at 1 msg/s with N idle connections, with and without gc.freeze() after start-up (real server only).

    python -m bench.experiments.gc_light 1000 30      # connections, seconds of the light phase

Runs bench/scenarios/delivery.py on the real server twice, back to back: under BENCH_GC=stats (GC pauses
recorded, nothing changed) and under BENCH_GC=startup (one full collection and gc.freeze() once the server
answers /health; bench/experiments/gcpause.py). Each run's light phase (1 msg/s while the other
connections idle) comes first; its saturation and half phases are short. The GC reports are in
bench/results/gcpause-real-*.json; this prints one JSON line per run with the light phase's latencies and
that run's GC report.
"""
import asyncio
import json
import os
import sys

from ..common import RESULTS, log, raise_fd_limit
from ..scenarios import delivery


async def main(n, light_s, modes):
    out = []
    for mode in modes:
        before = set(RESULTS.glob("gcpause-real-*.json"))
        os.environ["BENCH_GC"] = mode
        log(f"=== gc {mode}: {n} connections, {light_s} s at 1 msg/s")
        record = await delivery.run("real", n, 3, light_duration=light_s, label=f"n{n}-gc-{mode}")
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
    asyncio.run(main(n, light_s, sys.argv[3].split(",") if len(sys.argv) > 3 else ["stats", "startup"]))
