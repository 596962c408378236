"""Thousands of Socket.IO clients in one asyncio process (python-socketio's AsyncClient over aiohttp).

Every client shares one aiohttp session (one connector, no connection cap). A `Tracker` matches what
was sent (by ClientId, with the send time kept here, in this process) to acks and to deliveries, and
counts losses and duplicates. Times come from one monotonic clock: send, ack and delivery are all
seen by this process, so end-to-end latency needs no clock sync (it includes this process's own
scheduling delay, which is why its CPU use is reported with every figure).

Client modes (`MODE`, from BENCH_CLIENT; bench/run.py sets it per pass with BENCH_CLIENTS):
- `browser`: as the web client connects (web/static/js/sockets.js): one WebSocket carrying all four
  namespaces (`/` for the session and presence, `/self`, `/personal`, `/group`) whatever the scenario
  uses, and a handshake that offers permessage-deflate (aiohttp's
  `compress=15`), as browsers do. A server that accepts the extension then compresses every frame it sends
  to that client: the real server only with WS_COMPRESSION=true (docs/operations.md), bare python-socketio
  always (simple-websocket cannot decline it), Node socket.io never (`perMessageDeflate: false`). Being on
  `/` makes its user online, so a message to them is pushed over the socket and not queued for Web Push
  or a digest (chat/notify/service.py), as with a browser tab.
- `plain`: bare python-socketio over aiohttp, only the scenario's namespaces, no extension (what every
  figure before issue 21 used); its users are away (not on `/`), so every message also takes the
  notification path.
"""
import asyncio
import os
import time
from collections import defaultdict

import aiohttp
import socketio

from .accounts import auth
from .common import percentiles

RECEIVE = {"/personal": "receive-personal-message", "/group": "receive-group-message"}
now = time.perf_counter
MODES = ("browser", "plain")
MODE = os.environ.get("BENCH_CLIENT", "browser")


def websocket_options(mode):
    """aiohttp ws_connect() keyword arguments for a client mode."""
    if mode == "browser":
        return {"compress": 15}
    if mode == "plain":
        return {}
    raise ValueError(f"unknown client mode {mode!r}; choose from {MODES}")


WEB_CLIENT_NAMESPACES = ("/", "/self", "/personal", "/group")


def namespaces_for(mode, namespaces):
    """The namespaces a client of this mode connects: a browser, the web client's four as well."""
    if mode != "browser":
        return list(namespaces)
    return [*WEB_CLIENT_NAMESPACES, *(n for n in namespaces if n not in WEB_CLIENT_NAMESPACES)]


class Tracker:
    """Sends, acks and deliveries of one measurement phase."""

    def __init__(self, name):
        self.name = name
        self.sent, self.expected = {}, {}
        self.ack, self.e2e = [], []
        self.received = defaultdict(int)
        self.received_total = 0
        self.acked, self.failed, self.duplicates, self.unknown = set(), 0, 0, 0
        self.window = (0.0, float("inf"))
        self.in_window = 0
        self.errors = defaultdict(int)
        self.tags, self.tagged = {}, defaultdict(list)

    def will_send(self, client_id, receivers):
        self.sent[client_id] = now()
        self.expected[client_id] = receivers

    def on_ack(self, client_id, ack):
        if isinstance(ack, dict) and ack.get("ok"):
            self.acked.add(client_id)
            self.ack.append(now() - self.sent[client_id])
        else:
            self.failed += 1
            code = (ack or {}).get("error", {}).get("code") if isinstance(ack, dict) else repr(ack)
            self.errors[str(code)] += 1

    def on_receive(self, client, data):
        t = now()
        try:
            client_id = data["Message"]["ClientId"]
        except (TypeError, KeyError):
            self.unknown += 1
            return
        if client_id in client.seen:
            self.duplicates += 1
            return
        client.seen.add(client_id)
        sent = self.sent.get(client_id)
        if sent is None:
            self.unknown += 1
            return
        self.received[client_id] += 1
        self.received_total += 1
        self.e2e.append(t - sent)
        tag = self.tags.get(client_id)
        if tag is not None:
            self.tagged[tag].append(t - sent)
        if self.window[0] <= t <= self.window[1]:
            self.in_window += 1

    def total_received(self):
        return self.received_total

    def pending(self):
        return sum(self.expected[c] - self.received.get(c, 0) for c in self.acked)

    async def drain(self, timeout=30.0, stall=5.0):
        """Wait until every acked message reached every receiver; give up after `stall` seconds without
        progress or `timeout` in all (what is still missing then is counted as lost)."""
        deadline = now() + timeout
        last, last_change = -1, now()
        while now() < deadline:
            pending = self.pending()
            if pending <= 0 and len(self.acked) + self.failed >= len(self.sent):
                return
            progress = (pending, len(self.acked) + self.failed)
            if progress != last:
                last, last_change = progress, now()
            elif now() - last_change > stall:
                return
            await asyncio.sleep(0.05)

    def summary(self):
        lost = sum(max(0, self.expected[c] - self.received.get(c, 0)) for c in self.acked)
        unacked = len(self.sent) - len(self.acked) - self.failed
        duration = self.window[1] - self.window[0]
        return {"sent": len(self.sent), "acked": len(self.acked), "ack_errors": self.failed,
                "ack_error_codes": dict(self.errors), "unacked": unacked,
                "deliveries": sum(self.received.values()), "lost": lost, "duplicated": self.duplicates,
                "unknown": self.unknown,
                "deliveries_per_s": round(self.in_window / duration, 1) if duration < float("inf") else None,
                "ack_ms": percentiles(self.ack), "e2e_ms": percentiles(self.e2e),
                **({"e2e_ms_by_tag": {tag: percentiles(v) for tag, v in sorted(self.tagged.items())}}
                   if self.tagged else {})}


class Client:
    """One user's connection (one WebSocket, several namespaces) that records what it receives."""

    def __init__(self, user, namespaces, http, tracker_ref):
        self.user, self.namespaces = user, namespaces_for(MODE, namespaces)
        self.seen = set()
        self.events = {}  # first arrival time of each event name (connect storm)
        self.tracker_ref = tracker_ref  # a one-item list: the current phase's Tracker
        self.sio = socketio.AsyncClient(reconnection=False, http_session=http, request_timeout=120,
                                        websocket_extra_options=websocket_options(MODE))
        for namespace in self.namespaces:
            if namespace in RECEIVE:
                self.sio.on(RECEIVE[namespace], self._receive, namespace=namespace)
        if "/" in self.namespaces:
            for name in ("user-id", "personal-chat-list", "group-chat-list"):
                self.sio.on(name, self._marker(name), namespace="/")
        self.sio.on("group-created", self._marker("group-created"), namespace="/group")

    def _receive(self, data):
        tracker = self.tracker_ref[0]
        if tracker is not None:
            tracker.on_receive(self, data)

    def _marker(self, name):
        def mark(*_args):
            self.events.setdefault(name, now())
        return mark

    async def connect(self, url, timeout=120):
        await self.sio.connect(url, namespaces=self.namespaces, auth=auth(self.user), transports=["websocket"],
                               wait_timeout=timeout)
        return self

    async def call(self, event, data, namespace, timeout=60):
        return await self.sio.call(event, data, namespace=namespace, timeout=timeout)

    async def send(self, tracker, event, namespace, data, client_id, receivers):
        """Emit with an ack callback (no await on the ack): what open-loop sending needs."""
        tracker.will_send(client_id, receivers)
        await self.sio.emit(event, {**data, "ClientId": client_id}, namespace=namespace,
                            callback=lambda ack=None: tracker.on_ack(client_id, ack))

    async def close(self):
        try:
            await self.sio.disconnect()
        except Exception:  # noqa: BLE001 - closing after a benchmark; the server may be gone
            pass


class Pool:
    """The clients of one benchmark, sharing one aiohttp session and the current Tracker."""

    def __init__(self):
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False),
                                          timeout=aiohttp.ClientTimeout(total=None))
        self.tracker = [None]
        self.clients = []

    def make(self, users, namespaces):
        made = [Client(user, namespaces, self.http, self.tracker) for user in users]
        self.clients.extend(made)
        return made

    async def connect(self, clients, url, concurrency=100, timeout=120):
        """Connect clients with at most `concurrency` handshakes in flight; returns (connected, errors).

        A client not connected within `timeout` seconds counts as an error and is closed: a server out of
        file descriptors leaves new connections in its accept queue, and the WebSocket handshake
        (aiohttp, no total timeout) would otherwise wait until some other connection closes."""
        semaphore = asyncio.Semaphore(concurrency) if concurrency else None
        errors = defaultdict(int)

        async def attempt(client):
            try:
                await asyncio.wait_for(client.connect(url), timeout)
            except asyncio.TimeoutError:
                await client.close()
                raise TimeoutError(f"not connected within {timeout} s") from None

        async def one(client):
            try:
                if semaphore:
                    async with semaphore:
                        await attempt(client)
                else:
                    await attempt(client)
                return True
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors[type(exc).__name__ + ": " + str(exc)[:80]] += 1
                return False
        done = await asyncio.gather(*(one(c) for c in clients))
        return sum(done), dict(errors)

    async def close(self):
        for start in range(0, len(self.clients), 500):
            await asyncio.gather(*(c.close() for c in self.clients[start:start + 500]))
        await self.http.close()
