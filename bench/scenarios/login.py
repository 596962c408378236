"""(6) Login: logins per second, and other users' message latency while bursts of logins run.

The server runs with the production argon2 cost (ARGON2_TIME_COST=3, ARGON2_MEMORY_COST=65536, the
defaults), since that is what a login costs. Its users are seeded (bench/seeded_server.py: signing
them up would hash every password twice at that cost); the logins in the bursts are real /login calls.
Background pairs chat at a fixed rate for the whole run; windows alternate between quiet and a
burst of `burst` concurrent logins (then the next burst,
until the window ends), so both kinds of window see the same store size. Each message is labelled
by the window it was sent in; the figure is p99 in burst windows / p99 in quiet windows.
"""
import asyncio
import time

from ..accounts import http_session, login
from ..common import CpuMeter
from ..drive import open_loop
from .base import connect_all, pairs_of, personal_routes, running, save, users_for

PRODUCTION_ARGON2 = {"ARGON2_TIME_COST": "3", "ARGON2_MEMORY_COST": "65536"}


async def run(pairs, burst, rate, windows, window_s):
    async with running("real", seed=2 * pairs + burst, **PRODUCTION_ARGON2) as (server, pool):
        users, provision_s = await users_for(server, 2 * pairs + burst)
        chatters, loggers = users[:2 * pairs], users[2 * pairs:]
        clients, _ = await connect_all(pool, server, chatters, ["/personal"])
        routes = await personal_routes(pairs_of(clients))
        state = {"label": "quiet"}
        bursts = []

        async def controller(http):
            for index in range(2 * windows):
                end = time.monotonic() + window_s
                if index % 2 == 0:
                    state["label"] = "quiet"
                    await asyncio.sleep(window_s)
                    continue
                state["label"] = "burst"
                while time.monotonic() < end:
                    started = time.monotonic()
                    await asyncio.gather(*(login(http, server.url, dict(u)) for u in loggers))
                    bursts.append(time.monotonic() - started)
                state["label"] = "quiet"
        meter = CpuMeter(server.pid)
        async with http_session(burst) as http:
            control = asyncio.create_task(controller(http))
            result = await open_loop(routes, rate, 2 * windows * window_s, pool.tracker, "login",
                                     tag=lambda _route: state["label"])
            await control
        result.update(meter.read())
        by_tag = result.get("e2e_ms_by_tag", {})
        quiet, loud = by_tag.get("quiet", {}), by_tag.get("burst", {})
        metrics = {"messages": result, "bursts": len(bursts), "logins": len(bursts) * burst,
                   "burst_s": {"min": round(min(bursts), 3), "max": round(max(bursts), 3)} if bursts else None,
                   "logins_per_s": round(len(bursts) * burst / sum(bursts), 1) if bursts else None,
                   "p99_ratio_burst_vs_quiet": round(loud["p99"] / quiet["p99"], 2)
                   if quiet.get("p99") and loud.get("p99") else None}
        params = {"pairs": pairs, "burst": burst, "rate": rate, "windows": windows, "window_s": window_s,
                  "provision_s": provision_s, **PRODUCTION_ARGON2}
        return save("login", "real", f"b{burst}", params, metrics, server)
