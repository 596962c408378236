"""(3) Capacity: idle authenticated connections held by one server process, and memory per connection.

Each client is shaped like the web client: one WebSocket carrying the four namespaces (`/`, `/self`,
`/personal`, `/group`), each authenticated. Memory per idle connection = (VmRSS of the server
process at a checkpoint − VmRSS before the first connection) / connections. The users (and their
sessions) exist before the first reading, so only connections are counted.

The connections belong to `users` users (100 by default, BENCH_CAPACITY_USERS), several each, like
tabs; the baselines get the same users and shape. (The first runs used 100 users because every
connect then scanned the users and sessions; connects now look both up by `_id`, and 10,000
distinct users connect at the same rate.)

Under gevent, simple-websocket dup()s each WebSocket's socket, so a Python server holds two file
descriptors per connection: with an open-file limit of 20,000 it holds at most ~9,997. Connections
beyond that wait in the accept queue until one closes, so a connect that has not completed within
`connect_timeout` seconds is counted as failed and closed.
"""
import asyncio

from .. import clients as client_modes
from ..common import CpuMeter, rss_kib
from .base import connect_all, running, save, users_for

WEB_CLIENT = list(client_modes.WEB_CLIENT_NAMESPACES)


async def run(kind, checkpoints, users=100, namespaces=None, settle=3.0, label=None, concurrency=50,
              connect_timeout=30):
    namespaces = namespaces or WEB_CLIENT
    count = min(users, checkpoints[-1])
    async with running(kind, seed=count) as (server, pool):
        people, provision_s = await users_for(server, count)
        users = [people[i % count] for i in range(checkpoints[-1])]
        await asyncio.sleep(settle)
        base = rss_kib(server.pid)
        readings, done, held = [], 0, 0
        meter = CpuMeter(server.pid)
        for checkpoint in checkpoints:
            _clients, connect_s, connected, errors = await connect_all(
                pool, server, users[done:checkpoint], namespaces, concurrency=concurrency, strict=False,
                timeout=connect_timeout)
            held += connected
            done = checkpoint
            await asyncio.sleep(settle)
            rss = rss_kib(server.pid)
            # Count what the server still holds (a client the server dropped is not idle-connected).
            live = sum(1 for c in pool.clients if c.sio.connected)
            readings.append({"connections": live, "attempted": checkpoint, "failed": checkpoint - held,
                             "errors": errors, "rss_kib": rss, "delta_kib": rss - base,
                             "kib_per_connection": round((rss - base) / live, 2) if live else None,
                             "connect_s": connect_s, "connects_per_s": round(connected / connect_s, 1)
                             if connect_s else None})
        metrics = {"base_rss_kib": base, "checkpoints": readings, **meter.read()}
        params = {"namespaces": namespaces, "users": count, "provision_s": provision_s}
        params["client"] = client_modes.MODE
        return save("capacity", kind, label or f"n{checkpoints[-1]}-{client_modes.MODE}", params, metrics, server)
