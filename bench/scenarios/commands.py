"""(8) Database commands per connect and per send, from the product's own metrics.

The real server counts every command it sends to its database (`chat_db_command_seconds_count` by
command name, chat/process/metrics.py); this scenario reads `GET /metrics` (METRICS_TOKEN, bench/targets.py)
before and after each step, so the figures are what the shipped server does, not a wrapper's count:
- `connect`: N clients connect as the client mode does (`browser`: the web client's four namespaces);
- `send_online`: one message at a time (each waits for its ack) in personal chats whose partner is
  connected: what a send costs;
- `send_away`: the same to partners who are not connected, so each message also takes the notification
  path (push subscriptions, digest state): off the request path, but on the same database.
After each batch of sends the scenario waits until the counts stop moving (the notification worker runs
after the ack). Real server only: the baselines have no database.
"""
import asyncio
import re
import secrets
import time

from .. import clients as client_modes
from ..accounts import http_session
from ..common import log
from ..drive import CONTENT
from ..targets import METRICS_TOKEN
from .base import connect_all, pairs_of, personal_routes, running, save, users_for

SAMPLE = re.compile(r'^chat_db_command_seconds_(count|sum)\{command="([^"]+)"\} ([0-9.e+-]+)$', re.M)


async def db_commands(server, token=METRICS_TOKEN):
    """{command: (how many, seconds in all)} the server has sent to its database, from its GET /metrics."""
    async with http_session(1) as http:
        async with http.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {token}"}) as response:
            if response.status != 200:
                raise RuntimeError(f"GET /metrics answered {response.status}")
            text = await response.text()
    out = {}
    for kind, name, value in SAMPLE.findall(text):
        count, seconds = out.get(name, (0.0, 0.0))
        out[name] = (float(value), seconds) if kind == "count" else (count, float(value))
    return out


def db_time(before, after):
    """{command: {"count", "mean_ms"}} of the commands sent between two db_commands() readings."""
    out = {}
    for name, (count, seconds) in after.items():
        n = count - before.get(name, (0, 0))[0]
        if n:
            out[name] = {"count": int(n), "mean_ms": round(1000 * (seconds - before.get(name, (0, 0))[1]) / n, 2)}
    return out


async def _counts(server, token):
    return {name: count for name, (count, _seconds) in (await db_commands(server, token)).items()}


async def _settled(server, token, quiet=1.0, timeout=30.0):
    """The counts once they have not moved for `quiet` seconds (the notification worker is done)."""
    last, deadline = await _counts(server, token), time.monotonic() + timeout
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet)
        now = await _counts(server, token)
        if now == last:
            return now
        last = now
    return last


def _per(before, after, count):
    """{command: commands per operation} and the total, for `count` operations."""
    diff = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    per = {name: round(n / count, 2) for name, n in sorted(diff.items()) if n}
    return {"operations": count, "by_command": per, "total": round(sum(diff.values()) / count, 2)}


async def _send_each(senders, messages):
    """`messages` sends, round-robin over (client, ChatId), each awaited to its ack."""
    for i in range(messages):
        client, chat_id = senders[i % len(senders)]
        ack = await client.call("send-personal-message", {"ChatId": chat_id, "Content": CONTENT,
                                                          "ClientId": secrets.token_hex(8)}, "/personal")
        if not ack.get("ok"):
            raise RuntimeError(f"send-personal-message: {ack}")


async def run(connections=20, messages=100):
    token = METRICS_TOKEN
    async with running("real") as (server, pool):
        users, _ = await users_for(server, 2 * connections)
        online_users, away_users = users[:connections], users[connections:]
        before = await _settled(server, token)
        clients, _ = await connect_all(pool, server, online_users, ["/personal"])
        connected = await _settled(server, token)
        routes = await personal_routes(pairs_of(clients))
        ready = await _settled(server, token)
        await _send_each([(r.client, r.data["ChatId"]) for r in routes], messages)
        online = await _settled(server, token)
        # Away partners: half of the remaining users connect and open a chat with the other half, who never do.
        senders, _ = await connect_all(pool, server, away_users[0::2], ["/personal"])
        chats = []
        for client, partner in zip(senders, away_users[1::2]):
            reply = await client.call("fetch-personal-chat", {"Partner": partner["id"]}, "/personal")
            chats.append((client, reply["ChatId"]))
        away_before = await _settled(server, token)
        await _send_each(chats, messages)
        away = await _settled(server, token)
        metrics = {"connect": _per(before, connected, len(clients)),
                   "open_chat": _per(connected, ready, len(routes) // 2),
                   "send_online": _per(ready, online, messages),
                   "send_away": _per(away_before, away, messages)}
        log(f"commands: {metrics}")
        params = {"connections": connections, "messages": messages, "client": client_modes.MODE,
                  "namespaces": client_modes.namespaces_for(client_modes.MODE, ["/personal"])}
        return save("commands", "real", client_modes.MODE, params, metrics, server)
