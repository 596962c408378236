"""Run the benchmark suite (or some scenarios), baselines back to back, and summarise.

    python -m bench.run                 # everything, full size (`make bench`, ~30 min)
    BENCH_QUICK=1 python -m bench.run   # the ~2-minute smoke version (`make bench-quick`)
    python -m bench.run delivery fanout # some scenarios only
    python -m bench.run keepalive away chats   # issue 27's three (docs/performance.md, "Performance as shipped")

Every benchmark prints one JSON line and writes it to bench/results/<name>-<timestamp>.json; the
run ends with a table of every figure and its ratio to the baselines (bench/results/summary-*.md).
Sizes come from the environment (BENCH_* below), so a slower machine can scale the suite down.
BENCH_CLIENTS=browser,plain runs delivery and fan-out once per client mode (bench/clients.py: `browser`
negotiates permessage-deflate as browsers do, `plain` does not), each pass with its baselines; the
other scenarios use the first mode.
Only one run at a time: a lock file keeps runs from overlapping (they share the two cores).
"""
import asyncio
import fcntl
import json
import os
import subprocess
import sys
import time

from . import clients
from .common import RESULTS, env_int, log, machine, raise_fd_limit, stamp, versions, write_result
from .experiments import gc_light
from .scenarios import away, capacity, chats, commands, delivery, fanout, keepalive, login, scaleout, storm
from .summary import summarise
from .targets import PY, TARGETS

QUICK = env_int("BENCH_QUICK", 0)


def _list(name, default):
    return [int(x) for x in os.environ.get(name, default).split(",") if x]


SIZES = {
    "duration": env_int("BENCH_DURATION", 4 if QUICK else 10),
    # 5000 is opt-in (BENCH_DELIVERY_N=100,1000,5000): 5000 users signed up over HTTP (signup, mail,
    # verify, login each) take minutes before the first message.
    "delivery_n": _list("BENCH_DELIVERY_N", "100" if QUICK else "100,1000"),
    "light_n": env_int("BENCH_LIGHT_N", 1000),
    "light_s": env_int("BENCH_LIGHT_S", 5 if QUICK else 30),
    "fanout_members": env_int("BENCH_FANOUT_MEMBERS", 256),
    "fanout_senders": env_int("BENCH_FANOUT_SENDERS", 4),
    "capacity": _list("BENCH_CAPACITY", "1000" if QUICK else "1000,5000,10000"),
    "capacity_users": env_int("BENCH_CAPACITY_USERS", 100),
    "storm": env_int("BENCH_STORM", 500 if QUICK else 2000),
    "history": _list("BENCH_HISTORY", "100,5000" if QUICK else "100,100000"),
    "login_pairs": env_int("BENCH_LOGIN_PAIRS", 20),
    "login_burst": env_int("BENCH_LOGIN_BURST", 50),
    "login_rate": env_int("BENCH_LOGIN_RATE", 50),
    "login_windows": env_int("BENCH_LOGIN_WINDOWS", 1 if QUICK else 3),
    "login_window_s": env_int("BENCH_LOGIN_WINDOW_S", 3 if QUICK else 5),
    "scale_pairs": env_int("BENCH_SCALE_PAIRS", 20 if QUICK else 40),
    "scale_rate": env_int("BENCH_SCALE_RATE", 50),
    "commands_n": env_int("BENCH_COMMANDS_N", 20),
    "commands_messages": env_int("BENCH_COMMANDS_MESSAGES", 100),
    "clients": [m for m in os.environ.get("BENCH_CLIENTS", "browser").split(",") if m],
    # Issue 27: kept-alive REST per async mode, a group of away members, a send as the store's chats grow.
    "keepalive_rounds": env_int("BENCH_KEEPALIVE_ROUNDS", 30 if QUICK else 200),
    "keepalive_modes": [m for m in os.environ.get("BENCH_KEEPALIVE_MODES", "gevent,eventlet").split(",") if m],
    "away_members": env_int("BENCH_AWAY_MEMBERS", 50 if QUICK else 200),
    "away_rate": env_int("BENCH_AWAY_RATE", 10 if QUICK else 20),
    "away_s": env_int("BENCH_AWAY_S", 5 if QUICK else 20),
    "chats": _list("BENCH_CHATS", "100,2000" if QUICK else "100,20000"),
    "chats_sends": env_int("BENCH_CHATS_SENDS", 30 if QUICK else 100),
    # BENCH_CHATS_UNPATCHED=1 also runs `chats` on SecantusDB without the project's patch (the before figure).
    "chats_unpatched": env_int("BENCH_CHATS_UNPATCHED", 0),
    # Issue 32: messages, chats, and how many of them the searching user is a member of.
    "search": _list("BENCH_SEARCH", "10000,100,50" if QUICK else "100000,1000,50"),
    # Issue 30: a catch-up with 10 changes since the client's Rev, at these chat lengths (one run).
    "sync": _list("BENCH_SYNC", "100,5000" if QUICK else "100,100000"),
}
SCENARIOS = ("commands", "delivery", "fanout", "deflate", "gc", "capacity", "storm", "history", "login", "scaleout",
             "keepalive", "away", "chats", "search", "sync")


def _modes():
    """Each client mode of BENCH_CLIENTS in turn (bench/clients.py reads clients.MODE), then the first."""
    for mode in SIZES["clients"]:
        clients.websocket_options(mode)  # refuses an unknown mode before anything starts
        clients.MODE = mode
        yield mode
    clients.MODE = SIZES["clients"][0]


async def run_delivery(records):
    for _mode in _modes():
        await _run_delivery(records)


async def _run_delivery(records):
    for n in SIZES["delivery_n"]:
        # The 1 msg/s phase with many idle connections is the `gc` scenario's (with its pause histograms).
        light = SIZES["light_s"] if len(SIZES["delivery_n"]) == 1 else 0
        real = await delivery.run("real", n, SIZES["duration"], light_duration=light)
        records.append(real)
        half = real["params"]["half_rate"]
        for kind in TARGETS[1:]:
            records.append(await delivery.run(kind, n, SIZES["duration"], half_rate=half, light_duration=light))


async def run_fanout(records):
    for _mode in _modes():
        await _run_fanout(records)


async def _run_fanout(records):
    m, s, d = SIZES["fanout_members"], SIZES["fanout_senders"], SIZES["duration"]
    real = await fanout.run("real", m, s, d)
    records.append(real)
    for kind in TARGETS[1:]:
        records.append(await fanout.run(kind, m, s, d, half_rate=real["params"]["half_rate_msgs"]))


async def run_deflate(records):
    """permessage-deflate both ways: the real server with WS_COMPRESSION false (as shipped) and true, browser
    clients (which offer it), 1:1 delivery and the fan-out, back to back."""
    clients.MODE = "browser"
    try:
        for setting in ("false", "true"):
            records.append(await delivery.run("real", SIZES["delivery_n"][0], SIZES["duration"],
                                              label=f"deflate-{setting}", WS_COMPRESSION=setting))
            records.append(await fanout.run("real", SIZES["fanout_members"], SIZES["fanout_senders"], SIZES["duration"],
                                            label=f"deflate-{setting}", WS_COMPRESSION=setting))
    finally:
        clients.MODE = SIZES["clients"][0]


async def run_commands(records):
    records.append(await commands.run(SIZES["commands_n"], SIZES["commands_messages"]))


async def run_gc(records):
    """1 msg/s with light_n idle connections, the server as shipped (GC_FREEZE, GC_THRESHOLDS) and with Python's
    garbage-collector defaults, each with its pauses recorded (bench/experiments/gc_light.py)."""
    for line in await gc_light.main(SIZES["light_n"], SIZES["light_s"], gc_light.MODES):
        records.append(write_result(f"gc-real-{line['gc']}", {"scenario": "gc", "target": "real", "variant": line["gc"],
                                                               "params": {"connections": line["connections"],
                                                                          "seconds": SIZES["light_s"]},
                                                               "metrics": {"light": line}}))


async def run_capacity(records):
    for kind in TARGETS:
        records.append(await capacity.run(kind, SIZES["capacity"], users=SIZES["capacity_users"]))


async def run_storm(records):
    for kind in TARGETS:
        records.append(await storm.run(kind, SIZES["storm"]))


async def run_history(records):
    out = subprocess.run([PY, "-m", "bench.history", *map(str, SIZES["history"])], capture_output=True, text=True,
                         timeout=900)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    record = json.loads(out.stdout.strip().splitlines()[-1])
    name = record.pop("name")
    records.append(write_result(name, record))


async def run_login(records):
    records.append(await login.run(SIZES["login_pairs"], SIZES["login_burst"], SIZES["login_rate"],
                                   SIZES["login_windows"], SIZES["login_window_s"]))


async def run_scaleout(records):
    pairs, rate, d = SIZES["scale_pairs"], SIZES["scale_rate"], SIZES["duration"] + 5
    records.append(await scaleout.cluster(pairs, rate, d))
    for with_redis in (False, True):
        records.append(await scaleout.single(pairs, rate, d, with_redis))


async def run_keepalive(records):
    """Issue 27 item 1: REST calls on new connections vs one kept-alive session, per async mode."""
    for mode in SIZES["keepalive_modes"]:
        records.append(await keepalive.run(mode, SIZES["keepalive_rounds"]))


async def run_away(records):
    """Issue 27 item 2: group messages to members connected to /group only (away), then new connections."""
    records.append(await away.run(SIZES["away_members"], SIZES["away_rate"], SIZES["away_s"]))


async def run_chats(records):
    """Issue 27 item 3: a personal send at 100 and 20,000 chats, and saturation at 20,000, on the default store."""
    records.append(await chats.run(SIZES["chats"], sends=SIZES["chats_sends"], duration=SIZES["duration"]))
    if SIZES["chats_unpatched"]:
        records.append(await chats.run(SIZES["chats"], sends=SIZES["chats_sends"], duration=SIZES["duration"],
                                       patched=False))


async def run_search(records):
    """Issue 32: a two-term search for a member of 50 of 1,000 chats of 100,000 messages (bench/scenarios/search.py)."""
    out = subprocess.run([PY, "-m", "bench.scenarios.search", *map(str, SIZES["search"])], capture_output=True,
                         text=True, timeout=1800)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    record = json.loads(out.stdout.strip().splitlines()[-1])
    name = record.pop("name")
    records.append(write_result(name, record))


async def run_sync(records):
    """Issue 30: `GET /chats/<id>/changes` and `sync-chat`'s service call, 10 changes since the client's Rev, at
    100 and 100,000 messages (bench/scenarios/sync.py)."""
    out = subprocess.run([PY, "-m", "bench.scenarios.sync", *map(str, SIZES["sync"])], capture_output=True,
                         text=True, timeout=1800)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    record = json.loads(out.stdout.strip().splitlines()[-1])
    name = record.pop("name")
    records.append(write_result(name, record))


async def main(names):
    records = []
    timings = {}
    for name in names:
        started = time.monotonic()
        log(f"=== {name}")
        try:
            await globals()[f"run_{name}"](records)
        except Exception as exc:  # noqa: BLE001 - one failed scenario must not hide the others' results
            log(f"{name} FAILED: {type(exc).__name__}: {exc}")
            records.append({"scenario": name, "target": "error", "error": f"{type(exc).__name__}: {exc}"})
        timings[name] = round(time.monotonic() - started, 1)
        log(f"=== {name} took {timings[name]} s")
    return records, timings


def cli(argv):
    names = [a for a in argv if not a.startswith("-")] or list(SCENARIOS)
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios {sorted(unknown)}; choose from {SCENARIOS}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    lock = open(RESULTS / ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit("another benchmark run holds bench/results/.lock; runs must not overlap") from None
    clients.MODE = SIZES["clients"][0]
    log(f"fd limit {raise_fd_limit()}; sizes {SIZES}")
    started = time.monotonic()
    records, timings = asyncio.run(main(names))
    context = {"quick": bool(QUICK), "sizes": SIZES, "timings_s": timings,
               "total_s": round(time.monotonic() - started, 1), "versions": versions(), "machine": machine()}
    table = summarise(records, context)
    path = RESULTS / f"summary-{stamp()}.md"
    path.write_text(table)
    print(table)
    log(f"summary written to {path}")
    return 1 if any(r.get("target") == "error" for r in records) else 0


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
