"""Shared fixtures: the database server, the app and its clients, a real SMTP sink, a live server process, Redis.

One database server for the whole session: a local SecantusDB with `:memory:` storage, started as
`make run` starts one (chat/process/localdb.py), or the MongoDB that TEST_MONGO_URI names. Every test gets a
database of its own, dropped afterwards. Under pytest-xdist (`make test`) each worker is a session of its
own, with its own database server, SMTP sink and live server on free ports (docs/testing.md).
Unit tests build the app with `create_app({...})`;
transport-level tests start the real server process, exactly as `make run` does, and talk to it over
HTTP and WebSocket.
"""
import contextlib
import email
import email.policy
import functools
import logging
import os
import re
import shutil
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
from chat.process.localdb import MEMORY, LocalDatabase, free_port  # noqa: F401  (free_port: for the tests)
from command_log import record_commands

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
pytest_plugins = ["push_service", "events_capture", "page_server"]  # local push services; `captured_events`
# (services); local web pages (link previews)

ROOT = Path(__file__).resolve().parent.parent
TEST_MONGO_URI = os.environ.get("TEST_MONGO_URI", "")
PASSWORD = "correct horse battery"
# How long a test waits for an event (a mail, a push, an ack, a server answering) before it calls it lost. It only
# bounds a hang: a passing test never waits it out, so it is generous enough for a loaded machine running the suite
# on every core (docs/testing.md). Waits that prove something did NOT happen are short and say so where they are.
DEADLINE = 60


class _Database:
    """The session's database server: its URI once started."""

    uri = TEST_MONGO_URI
    server = None


def database_uri():
    """The URI of the session's database server (see the `database_server` fixture)."""
    assert _Database.uri, "the database_server fixture has not started yet"
    return _Database.uri


@pytest.fixture(scope="session", autouse=True)
def database_server(tmp_path_factory):
    """One database server for the whole session: TEST_MONGO_URI, or a local SecantusDB in memory."""
    if TEST_MONGO_URI:
        yield TEST_MONGO_URI
        close_mongo_clients()
        return
    server = LocalDatabase(MEMORY, log_path=tmp_path_factory.mktemp("db") / "secantusd.log")
    _Database.uri, _Database.server = server.start(), server
    yield _Database.uri
    close_mongo_clients()
    server.stop()


class Inbox:
    """An aiosmtpd handler that keeps every received mail and lets tests wait for one.

    The mails are kept by recipient as they arrive: the sink lives as long as the session (thousands of mails), and a
    wait that parsed every mail's header on every arrival once made signups late in the suite take seconds.
    """

    def __init__(self):
        self.messages = []
        self.port = None
        self._to = {}  # the To header as sent → its mails, in order
        self._changed = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.raw_bytes = envelope.content  # the mail as it came over the wire, for tests of its raw headers
        recipient = str(message["To"])
        with self._changed:
            self.messages.append(message)
            self._to.setdefault(recipient, []).append(message)
            self._changed.notify_all()
        return "250 Message accepted"

    def wait_for(self, recipient, count=1, timeout=DEADLINE):
        """The count-th mail to recipient (waiting up to timeout seconds)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                mails = self._to.get(recipient, ())
                if len(mails) >= count:
                    return mails[count - 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail #{count} to {recipient} within {timeout} s")
                self._changed.wait(remaining)

    def count(self, recipient):
        """How many mails to recipient have arrived so far."""
        with self._changed:
            return len(self._to.get(recipient, ()))

    def link(self, recipient, count=1, path="verify"):
        """The link to path (verify, reset-password) in the count-th mail to recipient, as written in its text part."""
        body = self.wait_for(recipient, count).get_body(("plain",)).get_content()
        match = re.search(rf"https?://\S+/{path}\?token=[\w-]+", body)
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
        "MONGO_URI": database_uri(),
        "MONGO_DB": unique("test_"),
    }
    config.update(overrides)
    return config


@pytest.fixture
def make_app(smtp):
    """Build apps with overrides; each test's databases are dropped afterwards."""
    apps = []

    def factory(**overrides):
        app = create_app(app_config(smtp, **overrides))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        close_app(app)


def close_app(app):
    """Drop the app's test database (on the session's server) and close its client."""
    store = app.extensions["chat.store"]
    if app.config["MONGO_URI"] == database_uri():
        try:
            store.client.drop_database(store.db.name)
        except Exception:  # noqa: BLE001  (a test that stopped the server cleans nothing up)
            pass
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


class HttpClient:
    """A live server's HTTP API, called like Flask's test client: `post(path, json=, headers=)`, `get(path)`;
    the answers have `status_code` and `get_json()`."""

    def __init__(self, url):
        self.url = url

    def request(self, method, path, **kwargs):
        response = requests.request(method, self.url + path, timeout=DEADLINE, **kwargs)
        response.get_json = response.json
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)


class Accounts:
    """Signs users up, verifies them through the real mail, and logs them in: the one signup flow.

    `client` is an app's test client, or an HttpClient on a live server (`LiveServer.accounts`); `database` is a
    function that returns the database it serves (for `verified_user`; a test client's app knows its own).
    """

    def __init__(self, client, smtp, database=None):
        self.client = client
        self.smtp = smtp
        self.database = database
        self._mails = {}  # address → the number of its verification mail (the SMTP sink is the session's)

    def signup(self, username=None, email_address=None, password=PASSWORD):
        username = username or unique()
        email_address = email_address or f"{username}@example.test"
        mails_before = self.smtp.count(email_address.lower())
        response = self.client.post("/signup", json={"username": username, "email": email_address,
                                                     "password": password})
        assert response.status_code == 201, response.get_json()
        created = response.get_json()["user"]
        self._mails[created["email"]] = mails_before + 1
        return {"username": username, "email": created["email"], "password": password, "id": created["id"]}

    def link(self, user):
        """The verification link in the user's newest mail (since their signup here)."""
        return self.smtp.link(user["email"], count=self._mails.get(user["email"], 1))

    def verify(self, user):
        """Follow the link of the user's newest verification mail (a GET of its path and token)."""
        path = "/verify?" + self.link(user).split("/verify?", 1)[1]
        response = self.client.get(path)
        assert response.status_code == 200 and response.get_json()["verified"] is True, response.get_json()
        return response

    def login(self, user):
        """A new session of the user: sets user["access"] and user["refresh"], and returns user."""
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

    def verified_user(self, username=None):
        """A verified, logged-in user as `user()` makes, without the mail round trip, for tests the mail is not
        about: the account is written through the users repository (as signup and its link write it, with a
        cheap argon2id hash, as the tests' servers use) and logged in over the real /login. No mail is sent."""
        from chat.users.repository import UserRepository
        username = username or unique()
        db = self.database() if self.database else self.client.application.extensions["chat.store"].db
        users = UserRepository(db)
        created = users.create(username, f"{username}@example.test", _cheap_hash(PASSWORD))
        users.mark_verified(created["_id"])
        return self.login({"username": username, "email": created["email"], "password": PASSWORD,
                           "id": str(created["_id"])})


@functools.cache
def _cheap_hash(password):
    """argon2id at the tests' cost (ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=1024), once per password."""
    from argon2 import PasswordHasher
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)


def expired_access(app, user):
    """An access token of the user's session that expired a second ago (a socket then needs its refresh)."""
    from flask_jwt_extended import create_access_token, decode_token
    with app.app_context():
        session_id = decode_token(user["access"])["sid"]
        return create_access_token(identity=user["id"], additional_claims={"sid": session_id},
                                   expires_delta=timedelta(seconds=-1))


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def accounts(client, smtp):
    return Accounts(client, smtp)


# Refusals: what a refused request answers, and that it changed nothing.

def error_code(answer):
    """The error code of a refusal: an ack `{"ok": false, "error": {...}}`, or an HTTP response of 4xx/5xx."""
    if isinstance(answer, dict):
        assert answer.get("ok") is False, answer
        return answer["error"]["code"]
    body = answer.get_json() if hasattr(answer, "get_json") else answer.json()  # a test client's, or requests'
    assert answer.status_code >= 400, (answer.status_code, body)
    return body["error"]["code"]


def snapshot(db, *names):
    """Every document of the named collections (of every collection when none is named), by collection."""
    return {name: sorted(db[name].find(), key=lambda doc: str(doc["_id"]))
            for name in names or sorted(db.list_collection_names())}


def chat_snapshot(db):
    """Everything the chat rules write (chats with their read positions, messages), to show that nothing changed."""
    return snapshot(db, "chats", "messages")


@contextlib.contextmanager
def unchanged(db, *names):
    """`with unchanged(db): ...` fails unless the block leaves the collections as they were (by default the
    chats and messages, as `chat_snapshot`)."""
    names = names or ("chats", "messages")
    before = snapshot(db, *names)
    yield
    assert snapshot(db, *names) == before, "a refused request changed the database"


# The live server: the real process, started the way `make run` starts it.

class LiveServer:
    """A running `python wsgi.py` process with its base URL and log file."""

    def __init__(self, url, process, log_path, env):
        self.url, self.process, self.log_path, self.env = url, process, log_path, env

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def accounts(self, smtp=None):
        """The signup flow (Accounts) over HTTP against this server (logging in alone needs no smtp)."""
        return Accounts(HttpClient(self.url), smtp, database=self.db)

    def db(self):
        """The server's database (on the session's database server, or wherever its MONGO_URI points)."""
        return mongo_client(self.env["MONGO_URI"])[self.env["MONGO_DB"]]

    def verified_user(self, username=None):
        """A verified, logged-in user of this server without the mail round trip (`Accounts.verified_user`)."""
        return self.accounts().verified_user(username)

    def signup_verify_login(self, smtp, username=None):
        """Walk signup → mail → verify → login over HTTP; returns the user with tokens."""
        accounts = self.accounts(smtp)
        user = accounts.signup(username)
        assert accounts.link(user).startswith(self.url + "/verify?token=")
        accounts.verify(user)
        return accounts.login(user)


_mongo_clients, _mongo_clients_lock = {}, threading.Lock()


def mongo_client(uri):
    """One pymongo client per database URI for the whole session (closed when the session ends); thread-safe."""
    with _mongo_clients_lock:
        if uri not in _mongo_clients:
            from pymongo import MongoClient
            _mongo_clients[uri] = MongoClient(uri, serverSelectionTimeoutMS=DEADLINE * 1000)
        return _mongo_clients[uri]


def close_mongo_clients():
    """Close the clients `mongo_client` opened."""
    while _mongo_clients:
        _mongo_clients.popitem()[1].close()


def live_env(smtp, port, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "COV_"))}
    env.update({
        "PORT": str(port), "HOST": "127.0.0.1", "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ASYNC_MODE": "gevent", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false",
        "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "INFO", "MONGO_URI": database_uri(), "MONGO_DB": unique("live_"), "REDIS_URL": "",
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
    deadline = time.monotonic() + DEADLINE
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
    raise AssertionError(f"server did not answer /health within {DEADLINE} s:\n{server.log()}")


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
def commands(monkeypatch):
    """A CommandLog of the database commands of every app built after it (tests/command_log.py): a module
    that measures the app overrides `app` with one that requests this fixture."""
    return record_commands(monkeypatch)


@pytest.fixture
def short_tokens(make_app):
    """An app whose access tokens live one second."""
    return make_app(JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=1))


def redis_server_binary():
    return shutil.which("redis-server")


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A redis-server of the test module's own (tests/cluster.py), stopped after its last test."""
    from cluster import RedisServer, require_redis_binary
    server = RedisServer(require_redis_binary(), tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def cluster_of(smtp, tmp_path, redis_server):
    """cluster_of(**settings) → two server processes on one database and the module's Redis
    (tests/cluster.py `start_cluster`), stopped after the test (one that crashed is already gone)."""
    started = []

    def start(**settings):
        from cluster import start_cluster
        started.extend(start_cluster(smtp, tmp_path, redis_server.url, **settings))
        return started[-2:]
    yield start
    for instance in started:
        with contextlib.suppress(Exception):
            instance.stop()


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


def close_test_clients(clients):
    """Teardown of Flask-SocketIO test clients: disconnect every namespace still connected, and drop the
    client from the test-client registry (which otherwise keeps it, and its app, alive)."""
    from flask_socketio.test_client import SocketIOTestClient
    for client in clients:
        for namespace, connected in list(client.connected.items()):
            if connected:
                client.disconnect(namespace)
        SocketIOTestClient.clients.pop(client.eio_sid, None)


def connect_refusal(app, namespace, auth):
    """Try to connect a test client; the connect_error the server answered with (the connection must be
    refused, and the refused socket must receive nothing)."""
    from socketio import packet
    socketio = app.extensions["socketio"]
    client = socketio.test_client(app, namespace=namespace, auth=auth)  # installs the packet mock
    try:
        assert not client.is_connected(namespace)
        server = socketio.server
        mock, refused = server._send_packet, []

        def spy(eio_sid, pkt):
            if pkt.packet_type == packet.CONNECT_ERROR:
                refused.append(pkt.data)
            return mock(eio_sid, pkt)

        server._send_packet = spy
        try:
            client.connect(namespace, auth=auth)
        finally:
            server._send_packet = mock
        assert not client.is_connected(namespace) and len(refused) == 1
        assert not client.queue, "a refused socket must receive nothing"
        return refused[0]
    finally:
        close_test_clients([client])


@pytest.fixture
def connect_socket(make_app):
    """connect_socket(app, user, "/personal") → a connected Flask-SocketIO test client (or pass auth=).

    Every client is closed afterwards (`close_test_clients`), before the apps close.
    """
    made = []

    def connect(app, user=None, namespace="/", auth=None):
        client = app.extensions["socketio"].test_client(app, namespace=namespace,
                                                        auth=socket_auth(user) if auth is None else auth)
        made.append(client)
        return client

    yield connect
    close_test_clients(made)


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

    def connect(self, timeout=DEADLINE):
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

    def wait_for(self, event, namespace="/", match=None, count=1, timeout=DEADLINE):
        """The data of the count-th `event` in namespace for which match(data) holds."""
        def found():
            hits = [data for data in self.received(event, namespace) if match is None or match(data)]
            return hits[count - 1] if len(hits) >= count else None
        return self._until(found, timeout, f"no {event!r} #{count} in {namespace}")

    def wait_disconnected(self, namespace="/", timeout=DEADLINE):
        """Block until the server has disconnected namespace."""
        self._until(lambda: True if namespace in self.disconnected else None, timeout,
                    f"{namespace} not disconnected")

    def call(self, event, data=None, namespace="/", timeout=DEADLINE):
        """Emit with an acknowledgement and return the ack."""
        return self.client.call(event, data, namespace=namespace, timeout=timeout)

    def sync(self, timeout=DEADLINE):
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

    def make(server, user=None, namespaces=("/",), auth=None, connect=True, timeout=DEADLINE):
        recorder = SocketRecorder(server.url, socket_auth(user) if auth is None else auth, namespaces)
        made.append(recorder)
        return recorder.connect(timeout) if connect else recorder

    yield make
    for recorder in made:
        recorder.close()
