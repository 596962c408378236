"""(10) A large group of away members (issue 27): group messages while every member takes the notification path.

`members` users (seeded, bench/seeded_server.py) each connect to `/group` only, as in the issue. Presence is
kept by `/` sockets (chat/sockets/presence.py), so a member with no `/` socket is *away* for notifications
(chat/notify/service.py: a push job per member, a digest marked due) while still receiving the group's pushes.
The first member creates one group with all the others; `senders` members then send `rate` group messages per
second for `duration` seconds, open loop, each waiting `ack_timeout` s for its ack (10 s, as the web client's
ACK_TIMEOUT_MS). Right after the last send, `new_connections` clients (the same users, a second connection
each, the web client's four namespaces) connect at once, each given `connect_timeout` s (socket.io-client's
default 20 s): what the backlog does to connects.

Recorded: acks ok / failed (timed out), ack p50/p99, delivery (each member's) p50/p99 and how many of the
expected deliveries arrived, the app's and the database process's CPU over the send phase and until the
deliveries drained, the database commands the server sent per message (its GET /metrics, counted until they
stop moving: the notification worker's share included), and the new connections: connected, timed out, time.
"""
import asyncio
import time

from .. import clients as client_modes
from ..clients import Client, Tracker, now
from ..common import CpuMeter, log, percentiles
from .base import running, save
from .commands import db_commands
from .fanout import group_routes


async def _send_phase(routes, rate, duration, ack_timeout, tracker):
    """Open loop at `rate` messages/s over the routes; returns the tasks that wait for the acks."""
    start = now()
    tracker.window = (start, start + duration)
    tasks, sent = [], 0

    async def one(route, client_id):
        tracker.will_send(client_id, route.receivers)
        try:
            ack = await route.client.call(route.event, {**route.data, "ClientId": client_id}, route.namespace,
                                          timeout=ack_timeout)
        except Exception as exc:  # noqa: BLE001 - a timed-out ack is a failure, counted by its kind
            ack = {"ok": False, "error": {"code": type(exc).__name__}}
        tracker.on_ack(client_id, ack)
    while now() < start + duration:
        due = int((now() - start) * rate) + 1 - sent
        for _ in range(max(0, due)):
            tasks.append(asyncio.ensure_future(one(routes[sent % len(routes)], f"away-{sent}")))
            sent += 1
        await asyncio.sleep(0.002)
    return tasks


async def _new_connections(pool, server, users, timeout):
    """Every user connects once more, all at once; (connected, timed out, errors, per-connect times)."""
    fresh = [Client(user, client_modes.WEB_CLIENT_NAMESPACES, pool.http, [None]) for user in users]
    pool.clients.extend(fresh)
    times, errors = [], {}

    async def one(client):
        started = time.perf_counter()
        try:
            await asyncio.wait_for(client.connect(server.url, timeout), timeout)
            times.append(time.perf_counter() - started)
            return True
        except Exception as exc:  # noqa: BLE001 - counted by kind
            key = "timeout" if isinstance(exc, asyncio.TimeoutError) else f"{type(exc).__name__}: {str(exc)[:60]}"
            errors[key] = errors.get(key, 0) + 1
            await client.close()
            return False
    started = time.perf_counter()
    done = await asyncio.gather(*(one(c) for c in fresh))
    return {"attempted": len(fresh), "connected": sum(done), "failed": len(fresh) - sum(done), "errors": errors,
            "all_done_s": round(time.perf_counter() - started, 2), "connect_ms": percentiles(times),
            "timeout_s": timeout}


async def run(members, rate, duration, senders=4, ack_timeout=10.0, connect_timeout=20.0, new_connections=None,
              probe_messages=10, label=None, **settings):
    previous = client_modes.MODE
    client_modes.MODE = "plain"  # `/group` only: away for notifications, as in the issue
    try:
        async with running("real", seed=members, **settings) as (server, pool):
            routes, provision_s, connect_s = await group_routes(pool, server, members, senders)
            users = [c.user for c in pool.clients][:new_connections or members]
            probe = await _commands_per_message(server, routes[0], probe_messages)
            tracker = Tracker("away")
            pool.tracker[0] = tracker
            meter = CpuMeter(server.pid)
            tasks = await _send_phase(routes, rate, duration, ack_timeout, tracker)
            send_cpu = meter.read()
            log(f"away: {len(tracker.sent)} sent; {len(users)} new connections")
            connects = await _new_connections(pool, server, users, connect_timeout)
            await asyncio.gather(*tasks)
            await tracker.drain(timeout=120.0, stall=20.0)
            await _quiet(tracker)
            drained_cpu = meter.read()
            pool.tracker[0] = None
            sends = tracker.summary()
            expected = sum(tracker.expected.values())
            sends["expected_deliveries"] = expected
            sends["delivered_share"] = round(sends["deliveries"] / expected, 4) if expected else None
            metrics = {"sends": sends, "cpu_send_phase": send_cpu, "cpu_until_drained": drained_cpu,
                       "db_commands_probe": probe, "new_connections": connects}
            params = {"members": members, "senders": senders, "rate": rate, "duration_s": duration,
                      "ack_timeout_s": ack_timeout, "connect_timeout_s": connect_timeout,
                      "namespaces": ["/group"], "provision_s": provision_s, "connect_s": connect_s, **settings}
            return save("away", "real", label or f"m{members}-r{rate}", params, metrics, server)
    finally:
        client_modes.MODE = previous


async def _quiet(tracker, quiet=10.0, timeout=120.0):
    """Wait until no delivery has arrived for `quiet` s: a message whose ack timed out may still be stored and
    pushed later (tracker.drain waits for the acked ones only)."""
    deadline, last, since = now() + timeout, tracker.total_received(), now()
    while now() < deadline and now() - since < quiet:
        await asyncio.sleep(0.25)
        if tracker.total_received() != last:
            last, since = tracker.total_received(), now()


def _counts(reading):
    return {name: count for name, (count, _seconds) in reading.items()}


async def _commands_per_message(server, route, count, window=2.0, timeout=120.0):
    """Database commands per group message to these away members, ack and notification work included: `count`
    messages one at a time, before the load (so no connect or other traffic is counted).

    The server's own polling (mail, digests, sweeps) keeps sending commands, so the counts never stand still:
    its rate is read over 2 windows before the probe and taken off, and the probe's work is over once a window
    sees no more than that rate (plus one command)."""
    first = _counts(await db_commands(server))
    await asyncio.sleep(2 * window)
    start, started = _counts(await db_commands(server)), time.monotonic()
    background = {k: (v - first.get(k, 0)) / (2 * window) for k, v in start.items()}
    for i in range(count):
        reply = await route.client.call(route.event, {**route.data, "ClientId": f"probe-{i}"}, route.namespace,
                                        timeout=60)
        if not reply.get("ok"):
            raise RuntimeError(f"{route.event}: {reply}")
    last, at = _counts(await db_commands(server)), time.monotonic()
    while time.monotonic() - started < timeout:
        await asyncio.sleep(window)
        current, now_at = _counts(await db_commands(server)), time.monotonic()
        extra = sum(current.values()) - sum(last.values()) - sum(background.values()) * (now_at - at)
        last, at = current, now_at
        if extra <= 1:
            break
    elapsed = at - started
    by_command = {k: (v - start.get(k, 0) - background.get(k, 0) * elapsed) / count for k, v in last.items()}
    by_command = {k: round(v, 1) for k, v in by_command.items() if round(v, 1) > 0}
    return {"messages": count, "per_message": round(sum(by_command.values()), 1), "by_command": by_command,
            "background_per_s": {k: round(v, 2) for k, v in background.items() if v}, "waited_s": round(elapsed, 1)}
