"""(1) Delivery: N connections in pairs on /personal.

Phases, one after the other on the same connections (the light one first, while the store is empty;
each phase notes how many messages were stored before it, since a store whose cost grows with its
size would show it here):
- `light` (optional): 1 message per second while the other connections idle;
- `saturation`: closed loop, every connection sends its next message when the last is acked:
  delivered messages per second at saturation;
- `half`: open loop at half the real server's saturation rate (the same absolute rate for the
  baselines): ack and end-to-end latency.
Every phase counts lost and duplicated messages (matched by ClientId). On the real server each phase
also has `db_commands`: how many of each database command it sent and their mean round trip as the app
timed it (from its GET /metrics), the store's share of the latency.
"""
from .. import clients as client_modes
from ..common import CpuMeter, cpu_per_delivery
from ..drive import closed_loop, open_loop
from .base import connect_all, pairs_of, personal_routes, running, save, users_for
from .commands import db_commands, db_time


async def _measured(server, meter, stored, load):
    """One phase: the load's result, the CPU it cost and, on the real server, the database commands it sent."""
    before = await db_commands(server) if server.kind == "real" else None
    meter.start()
    phase = {"stored_before": stored, **await load, **meter.read()}
    if before is not None:
        phase["db_commands"] = db_time(before, await db_commands(server))
    return phase


async def run(kind, n, duration, half_rate=None, light_duration=0, label=None, **settings):
    async with running(kind, **settings) as (server, pool):
        users, provision_s = await users_for(server, n)
        clients, connect_s = await connect_all(pool, server, users, ["/personal"])
        routes = await personal_routes(pairs_of(clients))
        phases, stored = {}, 0
        meter = CpuMeter(server.pid)
        if light_duration:
            phases["light"] = await _measured(server, meter, stored,
                                              open_loop(routes, 1.0, light_duration, pool.tracker, "light"))
            stored += phases["light"]["acked"]
        phases["saturation"] = await _measured(server, meter, stored,
                                               closed_loop(routes, duration, pool.tracker, "sat"))
        stored += phases["saturation"]["acked"]
        rate = half_rate or max(1.0, phases["saturation"]["deliveries_per_s"] / 2)
        phases["half"] = await _measured(server, meter, stored, open_loop(routes, rate, duration, pool.tracker, "half"))
        for phase in phases.values():
            cpu_per_delivery(phase)
        params = {"connections": n, "pairs": n // 2, "duration_s": duration, "half_rate": round(rate, 1),
                  "provision_s": provision_s, "connect_s": connect_s,
                  "client": client_modes.MODE, **settings}
        return save("delivery", kind, label or f"n{n}-{client_modes.MODE}", params, phases, server)
