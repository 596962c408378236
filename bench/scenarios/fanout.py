"""(2) Fan-out: one group of 256 members on /group, a few senders.

The first member creates the group with the other 255 (who are connected, so they join its room
then); `senders` members send. Phases: `saturation` (closed loop: deliveries per second, every
member's latency) and `half` (open loop at half the real server's message rate).
"""
import asyncio

from .. import clients as client_modes
from ..clients import now
from ..common import CpuMeter, cpu_per_delivery
from ..drive import CONTENT, Route, closed_loop, open_loop
from .base import connect_all, running, save, users_for


async def group_routes(pool, server, members, senders):
    """`members` users connected, in one group the first of them created; (routes of the first `senders`,
    provisioning seconds, connect seconds)."""
    users, provision_s = await users_for(server, members)
    clients, connect_s = await connect_all(pool, server, users, ["/group"])
    admin = clients[0]
    reply = await admin.call("create-group-chat", {"Name": "bench fan-out", "Participants":
                                                   [c.user["id"] for c in clients[1:]]}, "/group")
    if not reply.get("ok"):
        raise RuntimeError(f"create-group-chat: {reply}")
    group_id = reply["Group"]["GroupId"]
    deadline = now() + 30
    while now() < deadline and not all("group-created" in c.events for c in clients):
        await asyncio.sleep(0.05)
    data = {"GroupId": group_id, "Content": CONTENT}
    routes = [Route(c, "/group", "send-group-message", data, members - 1) for c in clients[:senders]]
    return routes, provision_s, connect_s


async def run(kind, members, senders, duration, half_rate=None, label=None, **settings):
    async with running(kind, **settings) as (server, pool):
        routes, provision_s, connect_s = await group_routes(pool, server, members, senders)
        meter = CpuMeter(server.pid)
        phases = {"saturation": {**await closed_loop(routes, duration, pool.tracker, "sat",
                                                              in_flight=len(routes)), **meter.read()}}
        rate = half_rate or max(1.0, phases["saturation"]["msgs_per_s"] / 2)
        meter.start()
        phases["half"] = {**await open_loop(routes, rate, duration, pool.tracker, "half"), **meter.read()}
        for phase in phases.values():
            cpu_per_delivery(phase)
        params = {"members": members, "senders": senders, "duration_s": duration, "half_rate_msgs": round(rate, 1),
                  "provision_s": provision_s, "connect_s": connect_s,
                  "client": client_modes.MODE, **settings}
        return save("fanout", kind, label or f"m{members}-{client_modes.MODE}", params, phases, server)
