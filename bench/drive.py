"""Driving load: closed loop (find saturation) and open loop (a fixed rate), over a set of routes.

A route is one sender and where its messages go: (client, namespace, event, base payload, how many
receivers each message must reach). Both loops give each message a unique ClientId and hand the
phase's Tracker to every client, so deliveries are matched and counted per phase.
"""
import asyncio
from dataclasses import dataclass

from .clients import Tracker, now

CONTENT = "The quick brown fox jumps over the lazy dog while the benchmark runs."


@dataclass
class Route:
    client: object
    namespace: str
    event: str
    data: dict
    receivers: int


def _arm(tracker_ref, name, start, end):
    tracker = Tracker(name)
    tracker.window = (start, end)
    tracker_ref[0] = tracker
    return tracker


async def closed_loop(routes, duration, tracker_ref, name, warmup=1.0, max_pending=None, drain=30.0,
                      in_flight=256):
    """Each route keeps `window` messages in flight (the next is sent when one is acked), with about
    `in_flight` in flight overall and at most max_pending deliveries outstanding: the server's
    saturation throughput. Throughput is counted after a warm-up second."""
    start = now()
    tracker = _arm(tracker_ref, name, start + warmup, start + warmup + duration)
    end = tracker.window[1]
    max_pending = max_pending or 2 * sum(r.receivers for r in routes)
    counter = {"expected": 0}

    async def sender(index, route):
        i = 0
        while now() < end:
            while counter["expected"] - tracker.total_received() > max_pending and now() < end:
                await asyncio.sleep(0.002)
            client_id = f"{name}-{index}-{i}"
            i += 1
            tracker.will_send(client_id, route.receivers)
            counter["expected"] += route.receivers
            try:
                ack = await route.client.call(route.event, {**route.data, "ClientId": client_id}, route.namespace,
                                              timeout=60)
            except Exception as exc:  # noqa: BLE001 - a timed-out ack is a failure, counted
                ack = {"ok": False, "error": {"code": type(exc).__name__}}
            tracker.on_ack(client_id, ack)
            if not (isinstance(ack, dict) and ack.get("ok")):
                counter["expected"] -= route.receivers
    window = max(1, -(-in_flight // len(routes)))
    await asyncio.gather(*(sender(f"{i}.{w}", r) for i, r in enumerate(routes) for w in range(window)))
    await tracker.drain(drain)
    tracker_ref[0] = None
    result = tracker.summary()
    result["msgs_per_s"] = round(sum(1 for c in tracker.acked if tracker.window[0] <= tracker.sent[c] <= end)
                                 / duration, 1)
    result.update(mode="closed", duration_s=duration, senders=len(routes), window=window)
    return result


async def open_loop(routes, rate, duration, tracker_ref, name, drain=30.0, tag=None):
    """Messages at `rate` per second in total, spread round-robin over the routes, for `duration` s.

    `tag(route)`, when given, labels each message as it is sent (latency is then also reported per label).
    """
    start = now()
    tracker = _arm(tracker_ref, name, start, start + duration)
    end = tracker.window[1]
    sent = 0
    while True:
        t = now()
        if t >= end:
            break
        due = int((t - start) * rate) + 1 - sent
        for _ in range(max(0, due)):
            route = routes[sent % len(routes)]
            if tag is not None:
                tracker.tags[f"{name}-{sent}"] = tag(route)
            await route.client.send(tracker, route.event, route.namespace, route.data, f"{name}-{sent}",
                                    route.receivers)
            sent += 1
        await asyncio.sleep(0.001)
    await tracker.drain(drain)
    tracker_ref[0] = None
    result = tracker.summary()
    result.update(mode="open", rate=round(rate, 1), duration_s=duration, senders=len(routes),
                  achieved_rate=round(sent / duration, 1))
    return result
