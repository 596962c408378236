"""The soak (issue 37, bench/scenarios/soak.py): `python -m bench.soak`, 30 minutes by default.

    BENCH_SOAK_MINUTES=5 python -m bench.soak   # a shortened run

It takes the benchmark lock (bench/run.py's), so it never overlaps another benchmark run; run it on a quiet
machine. The result goes to bench/results/soak-real-<N>min-<time>.json; docs/performance.md has the figures.
"""
import fcntl
import json

from .common import RESULTS, raise_fd_limit
from .scenarios import soak

if __name__ == "__main__":
    raise_fd_limit()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        print(json.dumps(soak.main(), default=str)[:2000])
