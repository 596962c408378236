"""What every scenario does: start a target, make its users, connect them, pair them, write results."""
import asyncio
import time
from contextlib import asynccontextmanager

from .. import targets
from ..accounts import provision
from ..clients import Pool
from ..common import log, rss_kib, write_result
from ..drive import CONTENT, Route


@asynccontextmanager
async def running(kind, seed=0, **settings):
    """A started target and a client pool; both are torn down afterwards. `seed=N` (real server only)
    puts N users in its store before it serves (bench/seeded_server.py)."""
    server = targets.start(kind, seed=seed if kind == "real" else 0, **settings)
    pool = Pool()
    try:
        yield server, pool
    finally:
        await pool.close()
        server.stop()


async def users_for(server, count):
    started = time.monotonic()
    users = await provision(server, count)
    elapsed = time.monotonic() - started
    log(f"{server.kind}: {count} users in {elapsed:.1f} s")
    return users, round(elapsed, 2)


async def connect_all(pool, server, users, namespaces, concurrency=100, url=None, strict=True, timeout=120):
    clients = pool.make(users, namespaces)
    started = time.monotonic()
    connected, errors = await pool.connect(clients, url or server.url, concurrency, timeout)
    elapsed = time.monotonic() - started
    log(f"{server.kind}: {connected}/{len(clients)} connected in {elapsed:.1f} s {errors or ''}")
    if connected < len(clients) and strict:
        raise RuntimeError(f"only {connected}/{len(clients)} clients connected: {errors}")
    if not strict:
        return clients, round(elapsed, 2), connected, errors
    return clients, round(elapsed, 2)


async def personal_routes(pairs, concurrency=100):
    """Both directions of each pair's personal chat (created by a first fetch, as the web client does)."""
    semaphore = asyncio.Semaphore(concurrency)

    async def chat(a, b):
        async with semaphore:
            reply = await a.call("fetch-personal-chat", {"Partner": b.user["id"]}, "/personal")
        if not reply.get("ok"):
            raise RuntimeError(f"fetch-personal-chat: {reply}")
        data = {"ChatId": reply["ChatId"], "Content": CONTENT}
        return [Route(a, "/personal", "send-personal-message", data, 1),
                Route(b, "/personal", "send-personal-message", data, 1)]
    chats = await asyncio.gather(*(chat(a, b) for a, b in pairs))
    # Interleave so that consecutive sends go to different chats.
    return [route for pair in zip(*chats) for route in pair] if chats else []


def pairs_of(clients):
    return list(zip(clients[0::2], clients[1::2]))


def save(scenario, kind, variant, params, metrics, server=None, extra=None):
    name = f"{scenario}-{kind}" + (f"-{variant}" if variant else "")
    record = {"scenario": scenario, "target": kind, "variant": variant, "params": params, "metrics": metrics}
    if server is not None and server.process.poll() is None:
        record["server_rss_kib"] = rss_kib(server.pid)
    record.update(extra or {})
    return write_result(name, record)
