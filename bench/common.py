"""Shared plumbing: free ports, /proc readings, CPU accounting, percentiles and result files."""
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from chat.process.localdb import free_port  # noqa: F401  (for the benchmarks)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def env_int(name, default):
    """An integer setting from the environment (how `make bench-quick` scales the suite down)."""
    return int(os.environ.get(name, default))


def env_float(name, default):
    return float(os.environ.get(name, default))


def raise_fd_limit():
    """Lift this process's open-file soft limit to the hard limit (thousands of sockets); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid):
    """VmRSS of a process in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def proc_cpu_s(pid):
    """User + system CPU seconds a process has used (from /proc/<pid>/stat), including its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def descendants(pid):
    """Every descendant process of `pid` (from /proc/<pid>/task/*/children), e.g. the real server's
    SecantusDB child process."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def tree_cpu_s(pids):
    """Summed CPU seconds of processes that may have exited (an exited one counts 0)."""
    total = 0.0
    for pid in pids:
        try:
            total += proc_cpu_s(pid)
        except OSError:
            pass
    return total


def self_cpu_s():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def listen_overflows():
    """(ListenOverflows, ListenDrops) from /proc/net/netstat: SYNs dropped because an accept queue was full."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], map(int, values.split()[1:])))
            return table.get("ListenOverflows", 0), table.get("ListenDrops", 0)
    return 0, 0


def per_cpu_second(phase):
    """Deliveries per second of server CPU in a phase: a throughput that does not depend on whether the
    load generator kept up (both share the two cores)."""
    cpu = phase.get("server_cpu_s")
    return round(phase.get("deliveries", 0) / cpu, 1) if cpu else None


def cpu_per_delivery(phase):
    """Adds the app's (and the database process's) CPU microseconds per delivered message to a phase."""
    deliveries = phase.get("deliveries") or 0
    for key, out in (("server_cpu_s", "app_cpu_us_per_delivery"), ("db_cpu_s", "db_cpu_us_per_delivery")):
        if phase.get(key) is not None and deliveries:
            phase[out] = round(1e6 * phase[key] / deliveries, 1)
    phase["deliveries_per_server_cpu_s"] = per_cpu_second(phase)
    return phase


class CpuMeter:
    """CPU used by this process (the load generator), by a server process and by the server's child
    processes (the real server's SecantusDB) over a window.

    `server_cpu_s` is the app process alone: in production the database runs elsewhere, so the app's
    own cost is what a deployment pays per message; `db_cpu_s` is the child database server's (the dev
    store's cost, which bounds the default configuration's saturation rate on this machine)."""

    def __init__(self, server_pid=None):
        self.server_pid = server_pid
        self.db_pids = descendants(server_pid) if server_pid else []
        self.start()

    def start(self):
        self.t0, self.self0 = time.monotonic(), self_cpu_s()
        self.server0 = proc_cpu_s(self.server_pid) if self.server_pid else None
        self.db0 = tree_cpu_s(self.db_pids)
        return self

    def read(self):
        wall = time.monotonic() - self.t0
        loader = self_cpu_s() - self.self0
        out = {"wall_s": round(wall, 3), "loader_cpu_s": round(loader, 3),
               "loader_cpu_pct": round(100 * loader / wall, 1) if wall else None}
        if self.server_pid:
            server = proc_cpu_s(self.server_pid) - self.server0
            out.update(server_cpu_s=round(server, 3), server_cpu_pct=round(100 * server / wall, 1) if wall else None)
        if self.db_pids:
            db = tree_cpu_s(self.db_pids) - self.db0
            out.update(db_cpu_s=round(db, 3), db_cpu_pct=round(100 * db / wall, 1) if wall else None)
        return out


def percentiles(values_s):
    """{n, p50, p90, p99, max, mean} in milliseconds for a list of durations in seconds."""
    if not values_s:
        return {"n": 0}
    ordered = sorted(values_s)
    n = len(ordered)

    def at(q):
        return round(1000 * ordered[min(n - 1, int(q * n))], 2)
    return {"n": n, "p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": round(1000 * ordered[-1], 2),
            "mean": round(1000 * sum(ordered) / n, 2)}


def stamp():
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def versions():
    """Versions of everything measured (python, gevent, python-socketio, node, socket.io)."""
    from importlib.metadata import PackageNotFoundError, version
    out = {"python": platform.python_version()}
    for name in ("gevent", "python-socketio", "python-engineio", "Flask-SocketIO", "simple-websocket", "pymongo",
                 "SecantusDB", "aiohttp"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    try:
        out["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        out["node"] = None
    package = ROOT / "bench" / "baselines" / "node_modules" / "socket.io" / "package.json"
    out["socket.io"] = json.loads(package.read_text())["version"] if package.exists() else None
    return out


def machine():
    """nproc, CPU model and RAM of this machine."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:"))
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gib": round(mem_kib / 1024 / 1024, 1),
            "kernel": platform.release()}


def write_result(name, record):
    """Print the record as one JSON line and write it to bench/results/<name>-<timestamp>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {"name": name, "at": stamp(), **record}
    line = json.dumps(record, sort_keys=False)
    (RESULTS / f"{name}-{record['at']}.json").write_text(line + "\n")
    print(line, flush=True)
    return record


def log(*parts):
    print("#", *parts, file=sys.stderr, flush=True)
