"""(11) The default store with many chats (issue 27): a personal send at 100 and at 20,000 chats, same run.

The real server as `make run` starts it (its own SecantusDB child, MONGO_POOL_SIZE=1), 2×`pairs` seeded users
(100, as in the delivery scenario's saturation) connected as the client mode does, one personal chat per pair
(made over the socket, as the web client does).
For each size in `sizes` (ascending) the `chats` collection is filled up to that many chats with other
users' personal chats, inserted straight into the server's database with pymongo (shaped as
chat/chats/repository.py writes them; the URI is the one wsgi.py prints), then:
- a socket send's ack (`send-personal-message`, one at a time, `sends` of them over the pairs' chats);
- a REST send (`POST /chats/personal/<partner>/messages`, one at a time, one kept-alive connection);
and, last, at the largest size the saturation of personal messages (closed loop, as the delivery scenario:
messages acked and delivered per second), with the app's and the database process's CPU. A fill is followed by
`settle` s of quiet, and the saturation comes after every size's sends: the store stays busy a while after a
bulk insert or a saturation phase (a send at 20,000 chats measured right after a saturation phase at 100 took
1.85× the p50 at 100; after 15 s of quiet, 0.83×).
Target: a send's p50 at 20,000 chats ≤ 1.5× that at 100, and ≥ 100 personal messages/s at 20,000 chats.

`patched=False` runs the store without the project's SecantusDB patch (localdb/secantus_point_lookup.py): the
scenario starts `LocalDatabase(dir, patched=False)` itself and hands wsgi.py MONGO_URI and MONGO_POOL_SIZE=1,
the before figure.
"""
import asyncio
import re
import shutil
import tempfile
import time
import uuid

from pymongo import MongoClient

from chat.kernel.clock import utcnow
from chat.kernel.kinds import pair_key
from chat.process.localdb import LocalDatabase

from .. import clients as client_modes
from ..accounts import http_session
from ..common import CpuMeter, cpu_per_delivery, log, percentiles
from ..drive import CONTENT, closed_loop
from .base import connect_all, pairs_of, personal_routes, running, save, users_for
from .commands import db_commands, db_time

URI_LINE = re.compile(r"local database: SecantusDB on (mongodb://\S+)")


def _uri(server, timeout=10.0):
    """The URI of the server's own SecantusDB, from the line wsgi.py prints at start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = URI_LINE.search(server.log_tail(200))
        if match:
            return match.group(1)
        time.sleep(0.1)
    raise RuntimeError(f"no 'local database' line in {server.log_path}")


def fill(chats, total):
    """Insert other users' personal chats until `chats` holds `total`; returns (count, seconds)."""
    started, have = time.perf_counter(), chats.count_documents({})
    now, batch = utcnow(), []
    for i in range(have, total):
        a, b = f"fill{i:08d}a", f"fill{i:08d}b"
        batch.append({"_id": pair_key(a, b), "kind": "personal", "members": [a, b], "names": {a: a, b: b},
                      "seq": 0, "reads": {}, "created_at": now, "updated_at": now})
        if len(batch) == 1000:
            chats.insert_many(batch)
            batch = []
    if batch:
        chats.insert_many(batch)
    return chats.count_documents({}), round(time.perf_counter() - started, 2)


async def socket_sends(routes, count):
    times = []
    for i in range(count):
        route = routes[i % len(routes)]
        started = time.perf_counter()
        reply = await route.client.call(route.event, {**route.data, "ClientId": uuid.uuid4().hex}, route.namespace)
        times.append(time.perf_counter() - started)
        if not reply.get("ok"):
            raise RuntimeError(f"{route.event}: {reply}")
    return percentiles(times)


async def rest_sends(url, pairs, count):
    times = []
    async with http_session(1) as http:
        for i in range(count):
            a, b = pairs[i % len(pairs)]
            started = time.perf_counter()
            async with http.post(f"{url}/chats/personal/{b.user['id']}/messages",
                                 json={"Content": CONTENT, "ClientId": uuid.uuid4().hex},
                                 headers={"Authorization": f"Bearer {a.user['access']}"}) as response:
                await response.read()
                if response.status not in (200, 201):
                    raise RuntimeError(f"REST send {response.status}")
            times.append(time.perf_counter() - started)
    return percentiles(times)


async def _saturation(routes, duration, pool, meter, chats):
    """Closed loop over every pair's chats (bench/drive.py), as the delivery scenario finds saturation."""
    meter.start()
    phase = {**await closed_loop(routes, duration, pool.tracker, f"sat{chats.estimated_document_count()}"),
             **meter.read()}
    phase["chats"] = chats.count_documents({})
    return cpu_per_delivery(phase)


async def run(sizes, pairs=50, sends=100, duration=10, patched=True, settle=10.0, label=None, **settings):
    database, tmp = None, None
    if not patched:
        tmp = tempfile.mkdtemp(prefix="bench-chats-")
        database = LocalDatabase(f"{tmp}/db", patched=False)
        settings.update(MONGO_URI=database.start(), MONGO_POOL_SIZE=1)
        log(f"chats: unpatched SecantusDB on {database.uri}")
    try:
        async with running("real", seed=2 * pairs, **settings) as (server, pool):
            mongo = MongoClient(settings.get("MONGO_URI") or _uri(server))
            chats = mongo["bench"]["chats"]
            users, _provision_s = await users_for(server, 2 * pairs)
            clients, connect_s = await connect_all(pool, server, users, ["/personal"])
            pairs_list = pairs_of(clients)
            routes = await personal_routes(pairs_list)
            meter = CpuMeter(server.pid)
            if database is not None:
                meter.db_pids = [database.process.pid]
            points = []
            for size in sorted(sizes):
                # In a thread: the event loop must keep answering the clients' pings meanwhile.
                count, fill_s = await asyncio.to_thread(fill, chats, size)
                log(f"chats: {count} chats (filled in {fill_s} s)")
                await asyncio.sleep(settle)  # the store's own work after a bulk insert is not a send's cost
                before = await db_commands(server)
                point = {"chats": count, "fill_s": fill_s, "socket_ack_ms": await socket_sends(routes, sends)}
                # What the store answered meanwhile (the app's own timing of each command, from GET /metrics).
                point["db_commands_socket_sends"] = db_time(before, await db_commands(server))
                point["rest_send_ms"] = await rest_sends(server.url, pairs_list, sends)
                points.append(point)
            # Last: a saturation phase leaves the store busy for a while, which would weigh on the next size's sends.
            saturation = await _saturation(routes, duration, pool, meter, chats)
            mongo.close()
            small, big = points[0], points[-1]
            ratios = {k: round(big[k]["p50"] / small[k]["p50"], 2) for k in ("socket_ack_ms", "rest_send_ms")}
            metrics = {"points": points, "ratio_p50_largest_vs_smallest": ratios, "saturation": saturation}
            params = {"sizes": sorted(sizes), "pairs": pairs, "sends": sends, "duration_s": duration,
                      "patched": patched, "client": client_modes.MODE, "connect_s": connect_s,
                      **{k: v for k, v in settings.items() if k != "MONGO_URI"}}
            return save("chats", "real", label or ("patched" if patched else "unpatched"), params, metrics, server)
    finally:
        if database is not None:
            database.stop()
            shutil.rmtree(tmp, ignore_errors=True)
