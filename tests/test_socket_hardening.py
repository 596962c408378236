"""Sockets under abuse: who may learn presence, how many connects and sockets, slow headers, forwarded
origins, and connects refused half-way (docs/security.md, threats 2, 5 and 6)."""
import socket
import time

import pytest
import requests
import socketio
from pymongo.uri_parser import parse_uri
from test_faults import TcpProxy

from cluster import RedisServer, require_redis_binary, start_cluster
from conftest import (
    DEADLINE,
    Accounts,
    connect_refusal,
    database_uri,
    socket_auth,
    start_live_server,
    stop_live_server,
)

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def open_chat(app, connect_socket, user, partner):
    personal = connect_socket(app, user, "/personal")
    ack = personal.emit("fetch-personal-chat", {"Partner": partner["id"]}, namespace="/personal", callback=True)
    assert ack["ok"], ack
    personal.disconnect("/personal")


# Item 2: presence only for people who share a chat.

@pytest.mark.live
def test_get_online_info_answers_only_for_people_who_share_a_chat(live_server, smtp, live_socket):
    """A stranger (whose id search gives away) reads as offline while online, exactly like someone offline."""
    alice, bob, stranger = (live_server.signup_verify_login(smtp) for _ in range(3))
    alice_sock = live_socket(live_server, alice, ("/", "/personal"))
    assert alice_sock.call("fetch-personal-chat", {"Partner": bob["id"]}, "/personal")["ok"]
    live_socket(live_server, stranger, ("/",))
    bob_sock = live_socket(live_server, bob, ("/",))
    asked = {"UserIds": [alice["id"], stranger["id"], bob["id"]]}
    assert bob_sock.call("get-online-info", asked)["Online"] == {
        alice["id"]: True, stranger["id"]: False, bob["id"]: True}
    # And the stranger learns nothing about alice or bob, who are both online.
    spy = live_socket(live_server, stranger, ("/",))
    assert spy.call("get-online-info", asked)["Online"] == {
        alice["id"]: False, stranger["id"]: True, bob["id"]: False}


# Item 5: connect rate per address, handshake rate per address, sockets per user, header timeout.

def test_connects_are_rate_limited_per_client_address_before_the_token_is_checked(make_app, smtp, connect_socket):
    from chat.extensions import limiter
    app = make_app(RATELIMIT_ENABLED=True, SOCKET_CONNECT_RATE_IP="4/minute")
    limiter.reset()
    user = Accounts(app.test_client(), smtp).user()
    # connect_refusal tries twice: two refused connects, and they count.
    assert connect_refusal(app, "/self", {"access_token": "garbage"})["data"]["code"] == "unauthorized"
    assert connect_socket(app, user, "/").is_connected("/")
    assert connect_socket(app, user, "/self").is_connected("/self")
    refused = connect_refusal(app, "/personal", socket_auth(user))
    assert refused["data"]["code"] == "rate_limited" and 0 < refused["data"]["retry_after"] <= 60
    assert app.extensions["chat.presence"].online([user["id"]]) == {user["id"]: True}  # only the one on `/`


def test_engineio_handshakes_are_rate_limited_per_client_address(make_app):
    from chat.extensions import limiter
    app = make_app(RATELIMIT_ENABLED=True, SOCKET_HANDSHAKE_RATE_IP="2/minute", PROXY_HOPS=1)
    limiter.reset()
    http = app.test_client()

    def handshake(ip):
        return http.get(HANDSHAKE, headers={"X-Forwarded-For": ip})

    first = handshake("198.51.100.1")
    assert first.status_code == 200 and first.data.startswith(b"0{")
    sid = first.data.split(b'"sid":"')[1].split(b'"')[0].decode()
    assert handshake("198.51.100.1").status_code == 200
    refused = handshake("198.51.100.1")
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Requests of an open session (with its sid) are not handshakes; another address has its own count.
    assert http.get(f"{HANDSHAKE}&sid={sid}", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
    assert handshake("198.51.100.2").status_code == 200


def test_open_sockets_per_user_are_capped_across_namespaces(make_app, smtp, connect_socket):
    app = make_app(SOCKET_MAX_PER_USER=3)
    accounts = Accounts(app.test_client(), smtp)
    user, other = accounts.user(), accounts.user()
    tabs = [connect_socket(app, user, namespace) for namespace in ("/", "/self", "/personal")]
    refused = connect_refusal(app, "/", socket_auth(user))
    assert refused["data"]["code"] == "too_many_connections"
    assert connect_socket(app, other, "/group").is_connected("/group")  # a cap per user, not for everyone
    tabs[1].disconnect("/self")
    assert connect_socket(app, user, "/group").is_connected("/group")  # a closed socket frees its place
    assert connect_refusal(app, "/self", socket_auth(user))["data"]["code"] == "too_many_connections"


@pytest.mark.live
@pytest.mark.redis
def test_the_socket_cap_counts_every_process_through_redis(smtp, tmp_path, tmp_path_factory):
    redis = RedisServer(require_redis_binary(), tmp_path_factory.mktemp("redis")).start()
    instances = start_cluster(smtp, tmp_path, redis.url, SOCKET_MAX_PER_USER=2)
    clients = []
    try:
        a, b = instances
        user = a.signup_verify_login(smtp)

        def connect(instance):
            client = socketio.Client(reconnection=False)
            clients.append(client)
            client.connect(instance.url, auth=socket_auth(user), transports=["websocket"], wait_timeout=10)
            return client

        connect(a)
        connect(b)
        refused = socketio.Client(reconnection=False)
        errors = []
        refused.on("connect_error", lambda data=None: errors.append(data))
        with pytest.raises(socketio.exceptions.ConnectionError):
            refused.connect(a.url, auth=socket_auth(user), transports=["websocket"], wait_timeout=10)
        assert errors and errors[0]["data"]["code"] == "too_many_connections", errors
    finally:
        for client in clients:
            client.disconnect()
        for instance in instances:
            instance.stop()
        redis.stop()


@pytest.fixture(scope="module")
def impatient_server(smtp, tmp_path_factory):
    """A server process that gives clients 1 s to send their request headers."""
    server = start_live_server(smtp, tmp_path_factory.mktemp("impatient"), HTTP_HEADER_TIMEOUT="1")
    yield server
    stop_live_server(server)


def _closed_within(sock, seconds):
    """(what the server sent, seconds until it closed the connection); fails if it stays open."""
    sock.settimeout(seconds)
    start, received = time.monotonic(), b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except socket.timeout:
        raise AssertionError(f"the server kept the connection open for {seconds} s") from None
    return received, time.monotonic() - start


@pytest.mark.live
@pytest.mark.parametrize("sent", [b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"GE", b""],
                         ids=["half the headers", "half the request line", "nothing"])
def test_a_client_that_does_not_finish_its_headers_is_cut_off(impatient_server, smtp, live_socket, sent):
    port = int(impatient_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as slow:
        slow.sendall(sent)
        received, took = _closed_within(slow, 5)
    assert took < 4
    if sent.count(b"\r\n"):  # a request line is in: it is answered 408 before the connection closes
        assert received.startswith(b"HTTP/1.1 408")
    # Complete requests, and sockets that stay open far longer than the timeout, are not affected.
    assert requests.get(impatient_server.url + "/health", timeout=5).status_code == 200
    user = impatient_server.signup_verify_login(smtp)
    sock = live_socket(impatient_server, user, ("/",))
    time.sleep(1.5)
    assert sock.call("ping")["ok"] is True


# Item 6: forwarded headers are trusted only as PROXY_HOPS says, in the Origin check too.

def test_the_socket_origin_check_ignores_forwarded_headers_without_proxy_hops(make_app):
    http = make_app(PROXY_HOPS=0).test_client()  # Flask's test client: Host "localhost", scheme http
    spoofed = http.get(HANDSHAKE, headers={"Origin": "http://evil.test", "X-Forwarded-Host": "evil.test"})
    assert spoofed.status_code == 400 and b"Not an accepted origin" in spoofed.data
    spoofed = http.get(HANDSHAKE, headers={"Origin": "https://localhost", "X-Forwarded-Proto": "https"})
    assert spoofed.status_code == 400
    assert http.get(HANDSHAKE, headers={"Origin": "http://localhost"}).status_code == 200  # same origin


def test_the_socket_origin_check_follows_the_trusted_proxy(make_app):
    http = make_app(PROXY_HOPS=1).test_client()
    proxied = {"X-Forwarded-Host": "chat.example", "X-Forwarded-Proto": "https"}
    assert http.get(HANDSHAKE, headers={"Origin": "https://chat.example", **proxied}).status_code == 200
    assert http.get(HANDSHAKE, headers={"Origin": "http://localhost", **proxied}).status_code == 400
    # What the client put in front of the proxy's own value is not trusted with one hop.
    spoofed = {"X-Forwarded-Host": "evil.test, chat.example", "X-Forwarded-Proto": "https"}
    assert http.get(HANDSHAKE, headers={"Origin": "https://evil.test", **spoofed}).status_code == 400
    assert http.get(HANDSHAKE, headers={"Origin": "https://chat.example", **spoofed}).status_code == 200


@pytest.mark.live
def test_a_forwarded_host_opens_no_websocket_or_polling_session_from_another_origin(live_server):
    """The real server (PROXY_HOPS=0): a page on evil.test naming itself in X-Forwarded-Host is refused, over
    WebSocket and long-polling alike; the server's own origin is still accepted."""
    import websocket
    ws_url = live_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    forwarded = {"X-Forwarded-Host": "evil.test", "X-Forwarded-Proto": "http"}
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(ws_url, origin="http://evil.test", header=forwarded, timeout=5)
    assert refused.value.status_code == 400
    polling = requests.get(live_server.url + HANDSHAKE, headers={"Origin": "http://evil.test", **forwarded},
                           timeout=5)
    assert polling.status_code == 400 and b"Not an accepted origin" in polling.content
    own = websocket.create_connection(ws_url, origin=live_server.url, header=forwarded, timeout=5)
    try:
        assert own.recv().startswith("0{")  # the Engine.IO open packet
    finally:
        own.close()


# Item 7a: a connect refused half-way leaves nobody online.

class CuttingProxy(TcpProxy):
    """A TcpProxy that, once armed, lets `after` more commands from the app through and then cuts the line, as
    when the database goes away in the middle of a connect. Commands are counted off the wire (each
    MongoDB message starts with its length); the driver's own monitoring (`hello`) is not counted."""

    MONITORING = (b"hello\x00", b"ismaster\x00", b"isMaster\x00")

    def __init__(self, target):
        super().__init__(target)
        self._left = None

    def arm(self, after):
        """Cut after `after` more commands (None: never)."""
        self._left = after

    def _pump(self, line, source, sink):
        if source is not line.downstream:
            return super()._pump(line, source, sink)
        pending = b""
        try:
            while data := source.recv(65536):
                pending += data
                while len(pending) >= 4 and len(pending) >= int.from_bytes(pending[:4], "little"):
                    size = int.from_bytes(pending[:4], "little")
                    message, pending = pending[:size], pending[size:]
                    if self._left is not None and not any(word in message for word in self.MONITORING):
                        if self._left == 0:
                            self._left = None
                            self.cut()
                            return
                        self._left -= 1
                    sink.sendall(message)
        except OSError:
            pass
        self._drop(line)


@pytest.mark.live
def test_a_connect_refused_half_way_leaves_the_user_offline(smtp, tmp_path, live_socket):
    """The database goes away during a connect to `/`, after each of its commands in turn (the token, the user,
    the chat lists, and whatever follows): a connect that is refused `unavailable` leaves the user offline for
    their partner, for good; one that got through before the cut counts as online until it closes."""
    proxy = CuttingProxy(parse_uri(database_uri())["nodelist"][0])
    server = start_live_server(smtp, tmp_path, MONGO_URI=proxy.uri, MONGO_TIMEOUT_MS=500)
    try:
        accounts = server.accounts(smtp)
        user, partner = accounts.user(), accounts.user()
        opened = live_socket(server, user, ["/personal"]).call("fetch-personal-chat", {"Partner": partner["id"]},
                                                               "/personal")
        assert opened["ok"], opened
        watcher = live_socket(server, partner, ["/"])
        refusals = 0
        for after in range(8):
            proxy.arm(after)
            sock = live_socket(server, user, ["/"], connect=False)
            try:
                sock.connect()
            except socketio.exceptions.ConnectionError:
                refusals += 1
                assert sock.connect_errors["/"]["data"]["code"] == "unavailable"
            proxy.arm(None)
            proxy.resume()
            sock.close()
            # The server sees the close (and its database line is back), however loaded the machine.
            deadline = time.monotonic() + DEADLINE
            while not (online := watcher.call("get-online-info", {"UserIds": [user["id"]]})).get("ok") \
                    or online["Online"][user["id"]]:
                assert online.get("ok") or online["error"]["code"] == "unavailable", (after, online)
                assert time.monotonic() < deadline, (after, online)
                time.sleep(0.05)
            assert online["Online"] == {user["id"]: False}, (after, online)
        assert refusals >= 3, "the cut should refuse the connects it falls in"
    finally:
        stop_live_server(server)
        proxy.close()

