"""Shared fixtures: the app and its clients, a real SMTP sink, a live server process, Redis.

Unit tests build the app with `create_app({...})` on the embedded store (or on real MongoDB
when TEST_MONGO_URI is set). Transport-level tests start the real server process, exactly as
`make run` does, and talk to it over HTTP and WebSocket.
"""
import email
import email.policy
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller

from chat import create_app

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter

ROOT = Path(__file__).resolve().parent.parent
TEST_MONGO_URI = os.environ.get("TEST_MONGO_URI", "")
PASSWORD = "correct horse battery"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every received mail and lets tests wait for one."""

    def __init__(self):
        self.messages = []
        self.port = None
        self._changed = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()
        return "250 Message accepted"

    def wait_for(self, recipient, count=1, timeout=10):
        """The count-th mail to recipient (waiting up to timeout seconds)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                mails = [m for m in self.messages if m["To"] == recipient]
                if len(mails) >= count:
                    return mails[count - 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail #{count} to {recipient} within {timeout} s")
                self._changed.wait(remaining)

    def count(self, recipient):
        with self._changed:
            return sum(1 for m in self.messages if m["To"] == recipient)

    def link(self, recipient, count=1):
        """The verification link of the count-th mail to recipient, as written in its text part."""
        body = self.wait_for(recipient, count).get_body(("plain",)).get_content()
        match = re.search(r"https?://\S+/verify\?token=[\w-]+", body)
        assert match, body
        return match.group(0)


@pytest.fixture(scope="session")
def smtp():
    """A real SMTP server on a free local port (aiosmtpd)."""
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


def unique(prefix="u"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def app_config(smtp, **overrides):
    config = {
        "TESTING": True,
        "ASYNC_MODE": "threading",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp.port,
        "SMTP_STARTTLS": False,
        "PUBLIC_URL": "http://chat.test",
        "MONGO_DB": unique("test_"),
    }
    if TEST_MONGO_URI:
        config["MONGO_URI"] = TEST_MONGO_URI
    config.update(overrides)
    return config


@pytest.fixture
def make_app(smtp):
    """Build apps with overrides; real-MongoDB test databases are dropped afterwards."""
    apps = []

    def factory(**overrides):
        app = create_app(app_config(smtp, **overrides))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        store = app.extensions["chat.store"]
        if TEST_MONGO_URI and app.config["MONGO_URI"] == TEST_MONGO_URI:
            store.client.drop_database(store.db.name)
        store.close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return app.extensions["chat.store"].db


class Accounts:
    """Signs users up, verifies them through the real mail, and logs them in (test client)."""

    def __init__(self, client, smtp):
        self.client = client
        self.smtp = smtp

    def signup(self, username=None, email_address=None, password=PASSWORD):
        username = username or unique()
        email_address = email_address or f"{username}@example.test"
        response = self.client.post("/signup", json={"username": username, "email": email_address,
                                                     "password": password})
        assert response.status_code == 201, response.get_json()
        created = response.get_json()["user"]
        return {"username": username, "email": created["email"], "password": password, "id": created["id"]}

    def verify(self, user):
        link = self.smtp.link(user["email"])
        token = link.split("token=", 1)[1]
        response = self.client.get(f"/verify?token={token}")
        assert response.status_code == 200, response.get_json()
        return response

    def login(self, user):
        response = self.client.post("/login", json={"login": user["username"], "password": user["password"]})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        user.update(access=body["access_token"], refresh=body["refresh_token"])
        return user

    def user(self, username=None):
        """A verified, logged-in user: {"id", "username", "email", "password", "access", "refresh"}."""
        user = self.signup(username)
        self.verify(user)
        return self.login(user)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def accounts(client, smtp):
    return Accounts(client, smtp)


# The live server: the real process, started the way `make run` starts it.

class LiveServer:
    """A running `python wsgi.py` process with its base URL and log file."""

    def __init__(self, url, process, log_path, env):
        self.url, self.process, self.log_path, self.env = url, process, log_path, env

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def signup_verify_login(self, smtp, username=None):
        """Walk signup → mail → verify → login over HTTP; returns the user with tokens."""
        username = username or unique()
        address = f"{username}@example.test"
        response = requests.post(f"{self.url}/signup", json={"username": username, "email": address,
                                                            "password": PASSWORD}, timeout=10)
        assert response.status_code == 201, response.text
        user_id = response.json()["user"]["id"]
        link = smtp.link(address)
        assert link.startswith(self.url + "/verify?token=")
        assert requests.get(link, timeout=10).json()["verified"] is True
        response = requests.post(f"{self.url}/login", json={"login": username, "password": PASSWORD}, timeout=10)
        assert response.status_code == 200, response.text
        tokens = response.json()
        return {"id": user_id, "username": username, "email": address,
                "access": tokens["access_token"], "refresh": tokens["refresh_token"]}


def live_env(smtp, port, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "COV_"))}
    env.update({
        "PORT": str(port), "HOST": "127.0.0.1", "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ASYNC_MODE": "gevent", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false",
        "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "INFO", "MONGO_URI": TEST_MONGO_URI, "MONGO_DB": unique("live_"), "REDIS_URL": "",
        "CHAT_ENV": "development",
    })
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start_live_server(smtp, tmp_path, command=None, **extra):
    """Start the server process and wait until /health answers."""
    port = free_port()
    env = live_env(smtp, port, **extra)
    log_path = tmp_path / f"server-{port}.log"
    command = command or [sys.executable, "wsgi.py"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path, env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            if requests.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    stop_live_server(server)
    raise AssertionError(f"server did not answer /health within 30 s:\n{server.log()}")


def stop_live_server(server):
    import signal
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(10)


@pytest.fixture(scope="session")
def live_server(smtp, tmp_path_factory):
    """One real server process (gevent) for the whole session."""
    server = start_live_server(smtp, tmp_path_factory.mktemp("live"))
    yield server
    stop_live_server(server)


@pytest.fixture
def short_tokens(make_app):
    """An app whose access tokens live one second."""
    return make_app(JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=1))


def redis_server_binary():
    return shutil.which("redis-server")


# Socket.IO clients: Flask-SocketIO test clients for unit tests, recording python-socketio
# clients (over a real WebSocket) for live ones.

def socket_auth(user):
    """The connect auth dict for a user from Accounts or LiveServer."""
    return {"access_token": user["access"], "refresh_token": user["refresh"]}


def drain(client, namespace="/"):
    """[(event, data)] a test client received in namespace since the last drain (even once disconnected)."""
    mine = [packet for packet in client.queue if packet["namespace"] == namespace]
    client.queue = [packet for packet in client.queue if packet["namespace"] != namespace]
    return [(packet["name"], packet["args"][0] if len(packet["args"]) == 1 else packet["args"])
            for packet in mine]


def chat_snapshot(db):
    """Everything the chat rules write (chats, messages, read state), to show that nothing changed."""
    return {name: sorted(db[name].find(), key=lambda doc: str(doc["_id"]))
            for name in ("chats", "messages", "read_state")}


@pytest.fixture
def connect_socket(make_app):
    """connect_socket(app, user, "/personal") → a connected Flask-SocketIO test client (or pass auth=).

    Every client is disconnected afterwards (before the apps close) and forgotten by the test-client
    registry.
    """
    from flask_socketio.test_client import SocketIOTestClient
    made = []

    def connect(app, user=None, namespace="/", auth=None):
        client = app.extensions["socketio"].test_client(app, namespace=namespace,
                                                        auth=socket_auth(user) if auth is None else auth)
        made.append(client)
        return client

    yield connect
    for client in made:
        for namespace, connected in list(client.connected.items()):
            if connected:
                client.disconnect(namespace)
        SocketIOTestClient.clients.pop(client.eio_sid, None)


class SocketRecorder:
    """A python-socketio client over a real WebSocket that records every event it receives, per namespace.

    `wait_for(event, namespace)` blocks (bounded) until a matching event has arrived. The client runs
    each handler on a thread of its own, so `wire` keeps the events in the order they came off the
    socket (for tests about order), and `sync()` waits until every event on the wire is recorded.
    """

    def __init__(self, url, auth, namespaces=("/",)):
        import socketio
        self.url, self.auth, self.namespaces = url, auth, list(namespaces)
        self.events = {namespace: [] for namespace in self.namespaces}
        self.wire = []
        self.connect_errors = {}
        self.disconnected = set()
        self._changed = threading.Condition()
        self._websocket = None
        self.client = socketio.Client(reconnection=False)
        for namespace in self.namespaces:
            self.client.on("*", self._recorder(namespace), namespace=namespace)
            self.client.on("connect_error", self._refusal(namespace), namespace=namespace)
            self.client.on("disconnect", self._disconnection(namespace), namespace=namespace)
        self._tap_wire()

    def connect(self, timeout=10):
        """Connect every namespace; raises socketio.exceptions.ConnectionError when one is refused."""
        self.client.connect(self.url, namespaces=self.namespaces, auth=self.auth, transports=["websocket"],
                            wait_timeout=timeout)
        return self

    def _adopt(self, websocket):
        # websocket-client waits up to 3 s for the server's closing frame, which the client's own reader
        # thread may already have consumed; every packet has been sent by then, so wait less.
        self._websocket = websocket
        closing = websocket.close
        websocket.close = lambda *args, **kwargs: closing(timeout=0.1)

    def _tap_wire(self):
        # Engine.IO hands each packet to the reader thread here, in arrival order.
        from engineio import packet as eio_packet
        from socketio import packet
        receive = self.client.eio._receive_packet

        def tapped(pkt):
            if self._websocket is None:
                self._adopt(self.client.eio.ws)
            if pkt.packet_type == eio_packet.MESSAGE and isinstance(pkt.data, str) \
                    and pkt.data.startswith(str(packet.EVENT)):
                decoded = packet.Packet(encoded_packet=pkt.data)
                with self._changed:
                    self.wire.append((decoded.namespace or "/", decoded.data[0]))
            return receive(pkt)
        self.client.eio._receive_packet = tapped

    def _recorder(self, namespace):
        def record(event, *args):
            with self._changed:
                self.events[namespace].append((event, args[0] if len(args) == 1 else list(args)))
                self._changed.notify_all()
        return record

    def _refusal(self, namespace):
        def refused(data=None):
            with self._changed:
                self.connect_errors[namespace] = data
                self._changed.notify_all()
        return refused

    def _disconnection(self, namespace):
        def gone(reason=None):
            with self._changed:
                self.disconnected.add(namespace)
                self._changed.notify_all()
        return gone

    def _until(self, found, timeout, what):
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = found()
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{what} within {timeout} s; received {self.events}")
                self._changed.wait(remaining)

    def received(self, event, namespace="/"):
        """The data of every `event` recorded so far in namespace."""
        with self._changed:
            return [data for name, data in self.events[namespace] if name == event]

    def wait_for(self, event, namespace="/", match=None, count=1, timeout=10):
        """The data of the count-th `event` in namespace for which match(data) holds."""
        def found():
            hits = [data for data in self.received(event, namespace) if match is None or match(data)]
            return hits[count - 1] if len(hits) >= count else None
        return self._until(found, timeout, f"no {event!r} #{count} in {namespace}")

    def wait_disconnected(self, namespace="/", timeout=10):
        """Block until the server has disconnected namespace."""
        self._until(lambda: True if namespace in self.disconnected else None, timeout,
                    f"{namespace} not disconnected")

    def call(self, event, data=None, namespace="/", timeout=10):
        """Emit with an acknowledgement and return the ack."""
        return self.client.call(event, data, namespace=namespace, timeout=timeout)

    def sync(self, timeout=10):
        """A round trip; then wait until every event that came before its answer is recorded.

        After it, "not received" means the server did not send it (before this point).
        """
        namespace = "/" if "/" in self.namespaces else self.namespaces[0]
        if namespace == "/":
            assert self.call("ping", timeout=timeout)["ok"] is True
        else:  # an unknown event is answered too: a round trip on any namespace
            ack = self.call("sync-barrier", namespace=namespace, timeout=timeout)
            assert ack["error"]["code"] == "unknown_event", ack
        self._until(lambda: True if sum(map(len, self.events.values())) >= len(self.wire) else None,
                    timeout, "events on the wire not recorded")

    def close(self):
        """Disconnect (the server sees the socket close) and release the WebSocket."""
        self.client.disconnect()
        if self._websocket is not None:
            # When the server drops the transport, the client forgets its WebSocket without closing it.
            self._websocket.shutdown()


@pytest.fixture
def live_socket():
    """live_socket(server, user, namespaces) → a connected SocketRecorder; all are disconnected afterwards.

    Pass auth= for other tokens, and connect=False to get it unconnected (to test refusals).
    """
    made = []

    def make(server, user=None, namespaces=("/",), auth=None, connect=True, timeout=10):
        recorder = SocketRecorder(server.url, socket_auth(user) if auth is None else auth, namespaces)
        made.append(recorder)
        return recorder.connect(timeout) if connect else recorder

    yield make
    for recorder in made:
        recorder.close()
