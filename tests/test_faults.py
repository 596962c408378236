"""Failures of dependencies: the database, SMTP; and the cheap refusal of bad connects.

A database outage is a real one: the app talks to the database through a TCP proxy (`TcpProxy`) that
the test cuts, so pymongo sees its connections closed and new ones dropped, as when the database
server goes away. Nothing is faked inside the process. An unreachable MONGO_URI from the start is
covered in tests/test_users.py.
"""
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from pymongo import MongoClient, monitoring
from pymongo.uri_parser import parse_uri

from conftest import (
    DEADLINE,
    PASSWORD,
    Accounts,
    bearer,
    database_uri,
    free_port,
    start_live_server,
    stop_live_server,
    unique,
)

COLLECTIONS = ("users", "sessions", "one_time_tokens", "chats", "messages")
# How long the apps behind the proxy wait for the database before answering 503. pymongo takes at least
# half a second to give up on a server it cannot reach, whatever this says.
OUTAGE_TIMEOUT_MS = 300


class TcpProxy:
    """A TCP forwarder on a free loopback port in front of a server, whose line the test can cut.

    `cut()` closes every connection through it and closes each new one as soon as it is accepted, as
    when the server is stopped; `resume()` forwards new connections again. `uri` is a mongodb:// URI
    through the proxy.
    """

    def __init__(self, target):
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.uri = f"mongodb://127.0.0.1:{self.port}/?directConnection=true"
        self._lock = threading.Lock()
        self._lines = set()
        self._up = True
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def _accept(self):
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:  # closed
                return
            line = _Line(downstream)
            with self._lock:
                up = self._up
                if up:
                    self._lines.add(line)
            if not up or not line.open(self.target):
                self._drop(line)
                continue
            for source, sink in ((line.downstream, line.upstream), (line.upstream, line.downstream)):
                threading.Thread(target=self._pump, args=(line, source, sink), daemon=True).start()

    def _pump(self, line, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._drop(line)

    def _drop(self, line):
        with self._lock:
            self._lines.discard(line)
        line.close()

    def cut(self):
        """Close every connection and refuse new ones until `resume()`."""
        with self._lock:
            self._up = False
            lines, self._lines = self._lines, set()
        for line in lines:
            line.close()

    def resume(self):
        with self._lock:
            self._up = True

    def close(self):
        self.cut()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        self._listener.close()


class _Line:
    """One proxied connection: the client's socket and ours to the server; closing it is idempotent."""

    def __init__(self, downstream):
        self.downstream, self.upstream = downstream, None
        self._closed = threading.Lock()

    def open(self, target):
        try:
            self.upstream = socket.create_connection(target, timeout=5)
        except OSError:
            return False
        self.upstream.settimeout(None)
        return True

    def close(self):
        if not self._closed.acquire(blocking=False):
            return
        for sock in (self.downstream, self.upstream):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # wakes the pump blocked in recv
                except OSError:
                    pass
                sock.close()


@pytest.fixture
def proxy():
    """A TcpProxy in front of the session's database server."""
    nodes = parse_uri(database_uri())["nodelist"]
    assert len(nodes) == 1, "the outage test proxies a single database server"
    proxy = TcpProxy(nodes[0])
    yield proxy
    proxy.close()


@pytest.fixture
def direct_client():
    """A client straight to the database server (not through any proxy)."""
    client = MongoClient(database_uri(), tz_aware=True)
    yield client
    client.close()


def snapshot(db):
    """Every document the app stores, to show that an outage changed nothing."""
    return {name: sorted(map(repr, db[name].find())) for name in COLLECTIONS}


def rest_probes(user, partner):
    """(method, path, body, token) for REST calls that all need the database."""
    return [
        ("POST", "/signup", {"username": unique(), "email": f"{unique()}@example.test", "password": PASSWORD}, None),
        ("POST", "/login", {"login": user["username"], "password": PASSWORD}, None),
        ("POST", "/resend", {"email": user["email"]}, None),
        ("GET", "/me", None, user["access"]),
        ("GET", "/chats", None, user["access"]),
        ("POST", f"/chats/personal/{partner['id']}/messages", {"Content": "lost?", "ClientId": "rest-1"},
         user["access"]),
    ]


def assert_unavailable_ack(ack):
    assert ack["ok"] is False and ack["error"]["code"] == "unavailable" and ack["error"]["retry_after"] == 5, ack


def on_each(items, action):
    """action(item) for every item at once (each failure wait is half a second); re-raises the first failure."""
    with ThreadPoolExecutor(len(items)) as pool:
        return [future.result() for future in [pool.submit(action, item) for item in items]]


def wait_until_healthy(side, timeout=15):
    """Poll /health until it answers 200 (pymongo notices the server is back within a heartbeat)."""
    deadline = time.monotonic() + timeout
    while side.request("GET", "/health")[0] != 200:
        assert time.monotonic() < deadline, f"{side.name}: /health not 200 within {timeout} s"
        time.sleep(0.1)


class AppSide:
    """The app in this process: the Flask test client and Flask-SocketIO test clients."""

    name = "app"

    def __init__(self, app, smtp, connect_socket):
        self.app, self.http, self.connect_socket = app, app.test_client(), connect_socket
        self.db_name = app.config["MONGO_DB"]
        self.accounts = Accounts(self.http, smtp)

    def user(self):
        return self.accounts.user()

    def request(self, method, path, json=None, token=None):
        response = self.http.open(path, method=method, json=json, headers=bearer(token) if token else {})
        return response.status_code, response.get_json()

    def connect(self, user, namespace):
        """A test client of namespace (check `connected`)."""
        return self.connect_socket(self.app, user, namespace)

    def connected(self, sock, namespace):
        return sock.is_connected(namespace)

    def call(self, sock, event, data, namespace):
        return sock.emit(event, data, namespace=namespace, callback=True)

    def refusal(self, user, namespace):
        """None when a new socket connects; {} when refused (the test client does not keep the reason)."""
        sock = self.connect(user, namespace)
        return None if sock.is_connected(namespace) else {}


class LiveSide:
    """The real server process: HTTP with requests, Socket.IO over a real WebSocket."""

    name = "live"

    def __init__(self, server, smtp, live_socket):
        self.server, self.smtp, self.live_socket = server, smtp, live_socket
        self.db_name = server.env["MONGO_DB"]

    def user(self):
        return self.server.signup_verify_login(self.smtp)

    def request(self, method, path, json=None, token=None):
        response = requests.request(method, self.server.url + path, json=json,
                                    headers=bearer(token) if token else {}, timeout=10)
        return response.status_code, response.json()

    def connect(self, user, namespace):
        return self.live_socket(self.server, user, (namespace,))

    def connected(self, sock, namespace):
        return sock.client.connected and namespace in sock.client.namespaces

    def call(self, sock, event, data, namespace):
        return sock.call(event, data, namespace=namespace)

    def refusal(self, user, namespace):
        """None when a new socket connects, else the connect_error data ({"code", "message"})."""
        import socketio
        sock = self.live_socket(self.server, user, (namespace,), connect=False)
        try:
            sock.connect()
        except socketio.exceptions.ConnectionError:
            return sock.connect_errors[namespace]["data"]
        return None


class Scene:
    """Two verified users on one side, a personal chat between them and a connected /personal socket."""

    def __init__(self, side):
        self.side = side
        self.alice, self.bob = side.user(), side.user()
        status, body = side.request("GET", f"/chats/personal/{self.bob['id']}/messages", token=self.alice["access"])
        assert status == 200, body
        self.chat_id = body["ChatId"]
        self.sock = side.connect(self.alice, "/personal")
        assert side.connected(self.sock, "/personal")

    def send(self, content, client_id):
        return self.side.call(self.sock, "send-personal-message",
                              {"ChatId": self.chat_id, "Content": content, "ClientId": client_id}, "/personal")

    def assert_unavailable(self):
        """Every REST probe, the connected socket's ack and /health answer unavailable; the socket stays."""
        side = self.side
        for method, path, body, token in rest_probes(self.alice, self.bob):
            status, answer = side.request(method, path, body, token)
            assert (status, answer["error"]["code"]) == (503, "unavailable"), (side.name, path, answer)
        assert_unavailable_ack(self.send("lost?", "sock-1"))
        assert side.connected(self.sock, "/personal")
        status, health = side.request("GET", "/health")
        assert status == 503 and health["db"] == "unreachable" and health["error"]["code"] == "unavailable"

    def assert_recovered(self):
        """The same socket's retry is stored once, the REST retry too, and new connects pass."""
        side = self.side
        assert self.send("lost?", "sock-1")["ok"] is True
        assert self.send("lost?", "sock-1")["ok"] is True  # a repeated ClientId stores nothing twice
        method, path, body, token = rest_probes(self.alice, self.bob)[-1]
        assert side.request(method, path, body, token)[0] == 201
        status, history = side.request("GET", f"/chats/personal/{self.bob['id']}/messages",
                                       token=self.alice["access"])
        assert status == 200 and [m["Content"] for m in history["Messages"]] == ["lost?", "lost?"]
        assert side.request("GET", "/me", token=self.alice["access"])[0] == 200
        assert side.refusal(self.bob, "/personal") is None


@pytest.fixture
def proxied_server(proxy, smtp, tmp_path):
    """The real server process, talking to the database through the proxy."""
    server = start_live_server(smtp, tmp_path, MONGO_URI=proxy.uri, MONGO_TIMEOUT_MS=OUTAGE_TIMEOUT_MS)
    yield server
    stop_live_server(server)


@pytest.fixture
def sides(proxy, proxied_server, live_socket, make_app, connect_socket, smtp, direct_client):
    """[AppSide, LiveSide], both behind the proxy; their databases are dropped afterwards."""
    app = make_app(MONGO_URI=proxy.uri, MONGO_TIMEOUT_MS=OUTAGE_TIMEOUT_MS)
    made = [AppSide(app, smtp, connect_socket), LiveSide(proxied_server, smtp, live_socket)]
    yield made
    for side in made:
        direct_client.drop_database(side.db_name)


@pytest.mark.live
def test_a_database_outage_answers_unavailable_changes_nothing_and_recovers(proxy, sides, direct_client):
    """The database goes away under an app and a server process: REST, acks, connects and /health answer
    unavailable, no document changes, and both serve again once it is back, without a restart."""
    app_side, live_side = sides
    scenes = [Scene(side) for side in sides]
    before = {side.name: snapshot(direct_client[side.db_name]) for side in sides}

    proxy.cut()
    on_each(scenes, Scene.assert_unavailable)
    assert app_side.refusal(scenes[0].alice, "/") == {}
    assert live_side.refusal(scenes[1].alice, "/")["code"] == "unavailable"
    proxy.resume()

    on_each(sides, wait_until_healthy)
    assert {side.name: snapshot(direct_client[side.db_name]) for side in sides} == before
    for scene in scenes:
        scene.assert_recovered()


def test_smtp_down_at_signup_keeps_the_account_and_the_mail_is_retried_until_it_goes_out(make_app):
    """The SMTP server is down (nothing listens on its port) at signup, then starts: the queued mail is retried
    by the mail worker and arrives, with a working link, without anyone asking again."""
    from aiosmtpd.controller import Controller

    from conftest import Inbox
    port = free_port()
    app = make_app(SMTP_PORT=port, SMTP_TIMEOUT=2, MAIL_WORKER=True, MAIL_RETRY_DELAY=0.3, MAIL_POLL_INTERVAL=0.1)
    worker = app.extensions["chat.services"].mail_worker
    client = app.test_client()
    name = unique()
    address = f"{name}@example.test"
    inbox = Inbox()
    controller = None
    try:
        response = client.post("/signup", json={"username": name, "email": address, "password": PASSWORD})
        assert response.status_code == 201 and response.get_json()["email_sent"] is True  # queued
        outbox = app.extensions["chat.store"].db.mail_outbox
        deadline = time.monotonic() + DEADLINE
        while not (outbox.find_one({"to": address}) or {}).get("last_error"):
            assert time.monotonic() < deadline, "the first attempt never failed"
            time.sleep(0.05)
        assert outbox.find_one({"to": address})["state"] == "pending"
        assert client.post("/login", json={"login": name, "password": PASSWORD}).status_code == 403
        controller = Controller(inbox, hostname="127.0.0.1", port=port)  # the SMTP server comes back
        controller.start()
        token = inbox.link(address).split("token=")[1]
        assert outbox.find_one({"to": address})["attempts"] >= 2
        assert client.get(f"/verify?token={token}").get_json()["verified"] is True
        assert client.post("/login", json={"login": name, "password": PASSWORD}).status_code == 200
    finally:
        worker.stop()
        if controller is not None:
            controller.stop()


class CommandCounter(monitoring.CommandListener):
    """Counts the commands a MongoClient sends (heartbeats are not commands)."""

    def __init__(self):
        self.names = []

    def started(self, event):
        self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def counted_app(make_app, monkeypatch):
    """(app, counter): an app whose database client reports every command to counter."""
    import chat.db
    counter = CommandCounter()
    def listened(*args, **kwargs):
        return MongoClient(*args, **{**kwargs, "event_listeners": [*kwargs.get("event_listeners", ()), counter]})
    monkeypatch.setattr(chat.db, "MongoClient", listened)
    return make_app(), counter


def test_connects_with_bad_tokens_are_refused_without_touching_the_database(counted_app, smtp):
    """Tokens that do not decode as an access token cost no database command (the app's client reports
    every command it sends)."""
    app, counter = counted_app
    user = Accounts(app.test_client(), smtp).user()
    socketio = app.extensions["socketio"]

    def connect(token):
        return socketio.test_client(app, namespace="/", auth={"access_token": token}).is_connected("/")

    del counter.names[:]
    for token in ("", "garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x" * 3, None, 42, user["refresh"]):
        assert not connect(token)
    assert counter.names == []
    assert connect(user["access"]) and counter.names  # a good token is checked against the database


def test_html_pages_carry_security_headers(client):
    page = client.get("/verify?token=nope", headers={"Accept": "text/html"})
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/health").headers["X-Content-Type-Options"] == "nosniff"


def test_a_foreign_origin_cannot_open_a_socket(live_server, smtp, live_socket):
    import socketio
    user = live_server.signup_verify_login(smtp)
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live_server.url, auth={"access_token": user["access"]}, transports=["websocket"],
                       headers={"Origin": "http://evil.example"}, wait_timeout=5)
    same = live_socket(live_server, user, ("/",))
    assert same.call("ping")["ok"]


def test_unverified_accounts_do_not_appear_anywhere(app, accounts):
    hidden = accounts.signup()
    viewer = Accounts(app.test_client(), accounts.smtp).user()
    client = app.test_client()
    assert client.get(f"/users/search?q={hidden['username'][:3]}",
                      headers=bearer(viewer["access"])).get_json()["users"] == []


def test_rate_limits_let_requests_through_when_their_storage_is_down(make_app):
    from chat.extensions import limiter
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    client = app.test_client()
    response = client.post("/login", json={"login": "someone", "password": "whatever"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_credentials"
    make_app(RATELIMIT_ENABLED=True)  # give the shared limiter a working storage again
    limiter.reset()


def test_behind_a_proxy_per_ip_limits_see_the_client_address(make_app):
    from chat.extensions import limiter
    app = make_app(RATELIMIT_ENABLED=True, RATE_LIMIT_RESEND_IP="1/hour", PROXY_HOPS=1)
    limiter.reset()
    client = app.test_client()

    def resend(ip, address):
        return client.post("/resend", json={"email": address}, headers={"X-Forwarded-For": ip}).status_code

    assert resend("198.51.100.1", "a@example.test") == 202
    assert resend("198.51.100.1", "b@example.test") == 429
    assert resend("198.51.100.2", "c@example.test") == 202
    limiter.reset()
