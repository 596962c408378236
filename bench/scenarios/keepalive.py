"""(9) Kept-alive REST (issue 27): a REST call on a new connection vs on one kept-alive connection.

For one ASYNC_MODE (gevent, eventlet) the real server as `make run` starts it, two users, then `n` rounds of:
`GET /health`, `GET /me` and a REST send (`POST /chats/personal/<partner>/messages`), each once with
`requests.post`/`get` (a new connection every call, as curl) and once through one `requests.Session`
(keep-alive, as browsers, bots and a proxy's upstream keep-alive do), alternated so both see the same
machine. The figure is each one's p50/p99 and the ratio kept-alive / new connection of the p50 (target
≤ 2×). A socket send's ack (`send-personal-message` on `/personal`, one at a time) is timed on the same
server for comparison. Nagle's algorithm with the client's delayed ACK shows as ~40 ms on the kept-alive
calls (the server writes a response's headers and body as two segments); wsgi.py sets TCP_NODELAY.

`BENCH_WSGI=/path/to/other/wsgi.py` (bench/targets.py) runs another entry point, e.g. an older wsgi.py,
for a before/after figure.
"""
import asyncio
import time
import uuid

import requests

from .. import clients as client_modes
from ..common import percentiles
from ..drive import CONTENT
from .base import connect_all, running, save, users_for

ROUTES = ("health", "me", "rest_send")


def _calls(url, me, partner):
    """{route: (method, url, headers, body or None)}; the send's body is made per call (a fresh ClientId)."""
    bearer = {"Authorization": f"Bearer {me['access']}"}
    return {"health": ("GET", f"{url}/health", {}, None),
            "me": ("GET", f"{url}/me", bearer, None),
            "rest_send": ("POST", f"{url}/chats/personal/{partner['id']}/messages", bearer, True)}


def _one(call, session):
    method, url, headers, body = call
    json_body = {"Content": CONTENT, "ClientId": uuid.uuid4().hex} if body else None
    started = time.perf_counter()
    response = (session or requests).request(method, url, headers=headers, json=json_body, timeout=30)
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:200]}")
    return elapsed


def measure_rest(url, me, partner, n):
    """{route: {"new": percentiles, "kept": percentiles, "ratio_p50"}}, n alternated calls each (blocking)."""
    calls = _calls(url, me, partner)
    out = {}
    with requests.Session() as session:
        for route, call in calls.items():
            _one(call, session)  # opens the kept-alive connection (and creates the chat on the first send)
            new, kept = [], []
            for _ in range(n):
                new.append(_one(call, None))
                kept.append(_one(call, session))
            new_p, kept_p = percentiles(new), percentiles(kept)
            out[route] = {"new": new_p, "kept": kept_p,
                          "ratio_p50": round(kept_p["p50"] / new_p["p50"], 2) if new_p["p50"] else None}
    return out


async def socket_acks(client, chat_id, n):
    """p50/p99 of a socket send's ack, one message at a time."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        reply = await client.call("send-personal-message", {"ChatId": chat_id, "Content": CONTENT,
                                                            "ClientId": uuid.uuid4().hex}, "/personal")
        times.append(time.perf_counter() - started)
        if not reply.get("ok"):
            raise RuntimeError(f"send-personal-message: {reply}")
    return percentiles(times)


async def run(async_mode, n, label=None, **settings):
    previous = client_modes.MODE
    client_modes.MODE = "plain"  # one socket on /personal; the REST calls are what is measured
    try:
        async with running("real", ASYNC_MODE=async_mode, **settings) as (server, pool):
            (me, partner), _provision_s = await users_for(server, 2)
            rest = await asyncio.to_thread(measure_rest, server.url, me, partner, n)
            (client,), _connect_s = await connect_all(pool, server, [me], ["/personal"])
            reply = await client.call("fetch-personal-chat", {"Partner": partner["id"]}, "/personal")
            acks = await socket_acks(client, reply["ChatId"], n)
            metrics = {**rest, "socket_send_ack": acks,
                       "worst_ratio_p50": max(rest[r]["ratio_p50"] for r in ROUTES)}
            params = {"async_mode": async_mode, "rounds": n, "client": "requests " + requests.__version__,
                      **settings}
            return save("keepalive", "real", label or async_mode, params, metrics, server)
    finally:
        client_modes.MODE = previous
