"""Profile the real server under delivery load with py-spy, and print its hot spots as text.

    python -m bench.profile [SECONDS] [CONNECTIONS]       (default 20 s, 100 connections)
    python -m bench.profile storm [SECONDS] [CLIENTS]     (default 60 s, 2,000 clients)
    python -m bench.profile fanout [SECONDS] [MEMBERS]    (default 20 s, 256 members, 4 senders)
    python -m bench.profile redis [SECONDS] [CONNECTIONS] [RATE]   (default 20 s, 80 connections, 50 msgs/s)

Starts the real server, N connections in pairs on /personal, and a closed-loop delivery load (as the
delivery scenario's saturation phase), while `py-spy record` samples the server process. Writes
bench/results/profile-<timestamp>.svg (flame graph) and .txt (collapsed stacks), and prints the
functions with the most samples: self (on top of the stack) and inclusive (anywhere on it), plus the
share of samples inside each library (pymongo, engineio, socketio, flask, marshmallow, gevent...).
`fanout` samples the fan-out's saturation phase (bench/scenarios/fanout.py). `redis` samples one server
with REDIS_URL (a private redis-server) under 1:1 delivery at a fixed rate, as scale-out's single process.
`storm` samples the connect storm (bench/scenarios/storm.py: seeded users in pairs with a chat
each, all connecting at once), from the first connect for SECONDS.
The database server (SecantusDB, its own process) is not sampled: only the time the app spends in
pymongo waiting for it and encoding for it shows.
Samples of idle gevent thread-pool workers (the hashing pool waiting for work) are left out: py-spy
counts them as active because they wait in a lock.
"""
import asyncio
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from . import targets
from .common import RESULTS, raise_fd_limit, stamp
from .drive import closed_loop, open_loop
from .scenarios import fanout, storm
from .scenarios.base import connect_all, pairs_of, personal_routes, running, users_for

AREAS = ("pymongo", "engineio", "socketio", "flask_socketio", "flask", "werkzeug", "marshmallow", "gevent",
         "simple_websocket", "wsproto", "bson", "jwt", "flask_jwt_extended", "flask_limiter", "limits",
         "json", "chat/")


def _frames(stack):
    return [frame for frame in stack.split(";") if frame]


def _idle_worker(frames):
    """A gevent thread-pool worker waiting for work (py-spy samples it as active: it waits in a lock)."""
    return frames[0].startswith("_WorkerGreenlet.run") and any("Queue.get (gevent/_threading.py" in f
                                                               for f in frames)


def hot_spots(collapsed, top=25):
    selfs, inclusive, areas, total, idle = Counter(), Counter(), Counter(), 0, 0
    for line in Path(collapsed).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        count = int(count)
        frames = _frames(stack)
        if not frames:
            continue
        if _idle_worker(frames):
            idle += count
            continue
        total += count
        selfs[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
        seen = {area for area in AREAS for frame in frames if area in frame}
        for area in seen:
            areas[area] += count
    out = [f"{total} samples ({idle} more of idle thread-pool workers left out)"]
    out.append("\n## self (top of stack)")
    out += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in selfs.most_common(top)]
    out.append("\n## inclusive")
    out += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    out.append("\n## samples with a frame of (inclusive, overlapping)")
    out += [f"{100 * n / total:5.1f}%  {area}" for area, n in areas.most_common()]
    return "\n".join(out)


def _record(pid, seconds, base):
    """py-spy recording the process for `seconds`: a flame graph and collapsed stacks, side by side."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    common = ["record", "-d", str(seconds), "-r", "200", "--pid", str(pid)]
    return [subprocess.Popen([py_spy, *common, "-o", f"{base}.svg"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL),
            subprocess.Popen([py_spy, *common, "--format", "raw", "-o", f"{base}.txt"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)]


def _report(base, recorders, headline):
    """Wait for the recordings, then print and save the hot spots."""
    for recorder in recorders:
        recorder.wait(120)
    report = hot_spots(f"{base}.txt")
    Path(f"{base}-top.txt").write_text(report)
    print(headline)
    print(report)
    print(f"\nflame graph: {base}.svg; collapsed stacks: {base}.txt")


async def profile(seconds, connections):
    async with running("real") as (server, pool):
        users, _ = await users_for(server, connections)
        clients, _ = await connect_all(pool, server, users, ["/personal"])
        routes = await personal_routes(pairs_of(clients))
        base = RESULTS / f"profile-{stamp()}"
        recorders = _record(server.pid, seconds, base)
        result = await closed_loop(routes, seconds, pool.tracker, "prof", warmup=0.0)
    _report(base, recorders,
            f"delivered {result['deliveries_per_s']} msgs/s during the profile; lost {result['lost']}")


async def profile_fanout(seconds, members, senders=4):
    async with running("real") as (server, pool):
        routes, _, _ = await fanout.group_routes(pool, server, members, senders)
        base = RESULTS / f"profile-fanout-{stamp()}"
        recorders = _record(server.pid, seconds, base)
        result = await closed_loop(routes, seconds, pool.tracker, "prof", warmup=0.0, in_flight=len(routes))
    _report(base, recorders, f"{result['deliveries_per_s']} deliveries/s during the profile; lost {result['lost']}")


async def profile_redis(seconds, connections, rate):
    redis = targets.Redis()
    try:
        async with running("real", REDIS_URL=redis.url) as (server, pool):
            users, _ = await users_for(server, connections)
            clients, _ = await connect_all(pool, server, users, ["/personal"])
            routes = await personal_routes(pairs_of(clients))
            base = RESULTS / f"profile-redis-{stamp()}"
            recorders = _record(server.pid, seconds, base)
            result = await open_loop(routes, rate, seconds, pool.tracker, "prof")
        _report(base, recorders, f"{result['deliveries_per_s']} deliveries/s during the profile; lost {result['lost']}")
    finally:
        redis.stop()


async def profile_storm(seconds, count):
    async with running("real", seed=count) as (server, pool):
        users, _ = await users_for(server, count)
        await storm.make_chats(server, users)
        clients = pool.make(users, ["/"])
        base = RESULTS / f"profile-storm-{stamp()}"
        recorders = _record(server.pid, seconds, base)
        connected, errors = await pool.connect(clients, server.url, concurrency=0, timeout=seconds)
    _report(base, recorders, f"{connected} of {count} connected within {seconds} s {errors or ''}")


if __name__ == "__main__":
    raise_fd_limit()
    if sys.argv[1:2] == ["storm"]:
        args = [int(a) for a in sys.argv[2:]]
        asyncio.run(profile_storm(*(args + [60, 2000][len(args):])))
    elif sys.argv[1:2] == ["redis"]:
        args = [int(a) for a in sys.argv[2:]]
        asyncio.run(profile_redis(*(args + [20, 80, 50][len(args):])))
    elif sys.argv[1:2] == ["fanout"]:
        args = [int(a) for a in sys.argv[2:]]
        asyncio.run(profile_fanout(*(args + [20, 256][len(args):])))
    else:
        args = [int(a) for a in sys.argv[1:]]
        asyncio.run(profile(*(args + [20, 100][len(args):])))
