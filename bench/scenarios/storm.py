"""(4) Connect storm: N clients connect to `/` at once; time until each has user-id and both lists.

Against the real server, users come in pairs that already share a personal chat with one message
(created over REST), so every personal-chat-list has an entry with a LastMessage and Unread.
SYNs dropped by a full accept queue (ListenOverflows in /proc/net/netstat) are reported too.
"""
import asyncio

from ..accounts import http_session
from ..clients import now
from ..common import CpuMeter, listen_overflows, percentiles
from .base import running, save, users_for

LISTS = ("user-id", "personal-chat-list", "group-chat-list")


async def make_chats(server, users):
    """A personal chat with one message (sent over REST) for each pair of users."""
    async with http_session(64) as http:
        semaphore = asyncio.Semaphore(64)

        async def pair(a, b):
            async with semaphore:
                headers = {"Authorization": f"Bearer {a['access']}"}
                async with http.post(f"{server.url}/chats/personal/{b['id']}/messages", headers=headers,
                                     json={"Content": "hello before the storm"}) as response:
                    if response.status not in (200, 201):
                        raise RuntimeError(f"REST send {response.status}: {await response.text()}")
        await asyncio.gather(*(pair(a, b) for a, b in zip(users[0::2], users[1::2])))


async def run(kind, count):
    async with running(kind, seed=count) as (server, pool):
        users, provision_s = await users_for(server, count)
        if kind == "real":
            await make_chats(server, users)
        clients = pool.make(users, ["/"])
        overflows = listen_overflows()
        meter = CpuMeter(server.pid)
        start = now()
        connected, errors = await pool.connect(clients, server.url, concurrency=0)
        deadline = now() + 120
        while now() < deadline and not all(all(e in c.events for e in LISTS) for c in clients):
            await asyncio.sleep(0.02)
        complete = [max(c.events[e] for e in LISTS) - start for c in clients if all(e in c.events for e in LISTS)]
        first = [c.events["user-id"] - start for c in clients if "user-id" in c.events]
        after = listen_overflows()
        metrics = {"clients": count, "connected": connected, "connect_errors": errors, "complete": len(complete),
                   "all_done_s": round(max(complete), 3) if complete else None,
                   "lists_ms": percentiles(complete), "user_id_ms": percentiles(first),
                   "listen_overflows": after[0] - overflows[0], "listen_drops": after[1] - overflows[1],
                   **meter.read()}
        return save("storm", kind, f"n{count}", {"clients": count, "namespaces": ["/"], "provision_s": provision_s},
                    metrics, server)
