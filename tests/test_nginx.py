"""The production entry behind a real nginx: gunicorn processes (deploy/gunicorn.conf.py) sharing Redis and one
database, behind Debian's nginx running deploy/nginx.conf (sticky sessions, WebSocket upgrade, TLS with a test
certificate, PROXY_HOPS=1). Browser-like clients over WebSocket and long-polling, a message between processes,
the Origin check behind TLS, and a rolling restart (SIGTERM, drain, start) while clients send.

The stack is started once for the module (tests/proxy_stack.py). Skipped without nginx or gunicorn, unless
REQUIRE_NGINX=1 (CI).
"""
import contextlib
import threading
import time

import pytest
import requests
import socketio
from proxy_stack import Gunicorn, Nginx, SourceRelay, make_certificate, require_nginx, wait_for

from cluster import RedisServer, require_redis_binary
from conftest import Accounts, HttpClient, SocketRecorder, socket_auth, unique

pytestmark = [pytest.mark.live, pytest.mark.redis]
P = "/personal"


class HttpsClient(HttpClient):
    """HttpClient through nginx, checking its certificate against the test's own."""

    def __init__(self, url, ca):
        super().__init__(url)
        self.ca = ca

    def request(self, method, path, **kwargs):
        return super().request(method, path, verify=str(self.ca), **kwargs)


class BrowserSocket(SocketRecorder):
    """A Socket.IO client as a browser connects through nginx: TLS, an `Origin`, WebSocket or long-polling,
    and (when asked) reconnecting by itself as socket.io-client does."""

    def __init__(self, url, auth, ca, namespaces=("/",), transport="websocket", origin=None, reconnect=False):
        super().__init__(url, auth, namespaces)
        self.transport, self.origin = transport, url if origin is None else origin
        # The test's certificate, for long-polling and (engineio passes it on) the WebSocket; not the
        # environment's CA bundle, which requests would otherwise prefer.
        session = self.client.eio.http = requests.Session()
        session.verify, session.trust_env, self.client.eio.external_http = str(ca), False, True
        self.client.reconnection = reconnect
        self.client.reconnection_delay, self.client.reconnection_delay_max = 0.2, 0.5
        self.websockets = []  # every WebSocket it opened: one more per reconnection

        def connected():
            if self.client.eio.ws is not None:
                self.websockets.append(self.client.eio.ws)
        self.client.on("connect", connected, namespace=self.namespaces[-1])

    def connect(self, timeout=10):
        # websocket-client sends an Origin of its own: name ours there, not as a second header.
        self.client.eio.websocket_extra_options = {"origin": self.origin}
        headers = {"Origin": self.origin} if self.transport == "polling" else {}
        self.client.connect(self.url, namespaces=self.namespaces, auth=self.auth, transports=[self.transport],
                            headers=headers, wait_timeout=timeout)
        return self

    def _adopt(self, websocket):
        if websocket is not None:  # long-polling has none
            super()._adopt(websocket)

    def close(self):
        """Disconnect, and release every WebSocket (a cut one is forgotten by the client, not closed)."""
        super().close()
        for websocket in self.websockets:
            websocket.shutdown()
        self.client.eio.http.close()


@contextlib.contextmanager
def running_stack(smtp, directory, **extra):
    """Redis, two gunicorn processes on one database, nginx in front; `relays[port]`: a client address that
    nginx sends to the process on that port. extra: more settings of both processes."""
    nginx_binary, gunicorn_binary = require_nginx()
    redis = RedisServer(require_redis_binary(), directory).start()
    cert, key = make_certificate(directory)
    settings = dict(REDIS_URL=redis.url, MONGO_DB=unique("nginx_"), PROXY_HOPS="1", PRESENCE_TTL="2", **extra)
    processes = [Gunicorn(gunicorn_binary, smtp, directory, **settings) for _ in range(2)]
    nginx = Nginx(nginx_binary, directory, [p.port for p in processes], cert, key)
    public = dict(PUBLIC_URL=nginx.url)
    relays = {}
    try:
        for process in processes:
            process.env.update(public)
            process.start()
        nginx.start()
        for number in range(2, 60):
            source = f"127.0.0.{number}"
            relay = SourceRelay(source, nginx.port)
            assert requests.get(f"{relay.url}/health", verify=str(cert), timeout=10).status_code == 200
            upstream = wait_for(lambda: nginx.upstream_of(source), 5, "the access log names the upstream")
            if upstream in relays:
                relay.close()
            else:
                relays[upstream] = relay
            if len(relays) == len(processes):
                break
        assert len(relays) == len(processes), "no client address reached every process"
        yield {"nginx": nginx, "processes": processes, "relays": relays, "cert": cert, "redis": redis}
    finally:
        for relay in relays.values():
            relay.close()
        nginx.stop()
        for process in processes:
            process.stop()
        redis.stop()


@pytest.fixture(scope="module")
def stack(smtp, tmp_path_factory):
    """The stack the tests share (with the tests' servers' HTTP rate limits off)."""
    with running_stack(smtp, tmp_path_factory.mktemp("nginx")) as running:
        yield running


@pytest.fixture
def limited_stack(smtp, tmp_path):
    """A stack of its own with the HTTP rate limits on, as in production (shared through its Redis)."""
    with running_stack(smtp, tmp_path, RATELIMIT_ENABLED="true") as running:
        yield running


@pytest.fixture
def users(stack, smtp):
    """users(n) → n verified, logged-in users, signed up through nginx."""
    accounts = Accounts(HttpsClient(stack["nginx"].url, stack["cert"]), smtp)
    return lambda n: [accounts.user() for _ in range(n)]


@pytest.fixture
def browser(stack):
    made = []

    def make(url, user, namespaces=("/", P), **options):
        sock = BrowserSocket(url, socket_auth(user), stack["cert"], namespaces, **options)
        made.append(sock)
        return sock.connect()
    yield make
    for sock in made:
        sock.close()


def relay_urls(stack):
    first, second = stack["processes"]
    return stack["relays"][first.port].url, stack["relays"][second.port].url


def test_tls_health_and_plain_http_redirect(stack):
    nginx = stack["nginx"]
    response = requests.get(f"{nginx.url}/health", verify=str(stack["cert"]), timeout=10)
    assert response.status_code == 200 and response.json()["redis"] == "ok"
    with pytest.raises(requests.exceptions.SSLError):  # a certificate nobody vouches for is refused
        requests.get(f"{nginx.url}/health", timeout=10)
    plain = requests.get(f"http://127.0.0.1:{nginx.http_port}/health", allow_redirects=False, timeout=10)
    assert plain.status_code == 308 and plain.headers["Location"].startswith("https://")
    assert requests.get(f"{nginx.url}/metrics", verify=str(stack["cert"]), timeout=10).status_code == 404


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_message_between_clients_on_different_processes(stack, users, browser, transport):
    url_a, url_b = relay_urls(stack)
    alice, bob = users(2)
    sender = browser(url_a, alice, transport=transport)
    receiver = browser(url_b, bob, transport=transport)
    chat = sender.call("fetch-personal-chat", {"Partner": bob["id"]}, P)
    ack = sender.call("send-personal-message", {"ChatId": chat["ChatId"], "Content": "via nginx", "ClientId": "n1"}, P)
    assert ack["ok"], ack
    assert receiver.wait_for("receive-personal-message", P)["Message"] == ack["Message"]
    back = receiver.call("send-personal-message", {"ChatId": chat["ChatId"], "Content": "back", "ClientId": "n2"}, P)
    assert sender.wait_for("receive-personal-message", P)["Message"] == back["Message"]
    first, second = stack["processes"]
    assert {stack["nginx"].upstream_of(stack["relays"][p.port].source) for p in (first, second)} == \
        {first.port, second.port}, "the two clients were served by different processes"


def test_the_origin_check_behind_tls(stack, users, browser):
    url, _ = relay_urls(stack)
    (alice,) = users(1)
    assert browser(url, alice).call("ping")["ok"]  # Origin https://<Host>: the scheme comes from nginx
    for origin in (url.replace("https://", "http://"), "https://evil.example"):
        with pytest.raises(socketio.exceptions.ConnectionError):
            browser(url, alice, origin=origin)


def test_redis_down_behind_nginx_answers_clearly_and_resumes(stack, users, browser, smtp):
    """Redis stopped under both processes: /health says degraded, logins, sends and presence still answer
    (sends are stored and acknowledged); once Redis is back, deliveries across processes resume by themselves
    and the history holds every acknowledged message once."""
    url_a, url_b = relay_urls(stack)
    alice, bob = users(2)
    sender, receiver = browser(url_a, alice), browser(url_b, bob)
    chat_id = sender.call("fetch-personal-chat", {"Partner": bob["id"]}, P)["ChatId"]
    http = HttpsClient(stack["nginx"].url, stack["cert"])
    stack["redis"].stop()
    try:
        health = http.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert health.json()["redis"] == "unreachable"
        assert Accounts(http, smtp).login(dict(alice)) is not None  # a login answers 200
        acked = [sender.call("send-personal-message", {"ChatId": chat_id, "Content": f"down {n}",
                                                       "ClientId": f"d{n}"}, P) for n in range(3)]
        assert all(ack["ok"] for ack in acked), acked
        online = sender.call("get-online-info", {"UserIds": [bob["id"]]})
        assert online["ok"] is True or online["error"]["code"] == "unavailable", online
    finally:
        stack["redis"].start()
    assert wait_for(lambda: http.get("/health").json()["status"] == "ok", 30, "/health ok again")
    delivered = None
    for n in range(30):  # until the processes have subscribed again: each send waited on, then the next
        ack = sender.call("send-personal-message", {"ChatId": chat_id, "Content": f"up {n}", "ClientId": f"u{n}"}, P)
        acked.append(ack)
        try:
            delivered = receiver.wait_for("receive-personal-message", P,
                                          match=lambda d, i=ack["Message"]["MessageId"]: d["Message"]["MessageId"] == i,
                                          timeout=1)
            break
        except AssertionError:
            continue
    assert delivered is not None, "deliveries across processes did not resume"
    assert sender.call("get-online-info", {"UserIds": [bob["id"]]})["Online"] == {bob["id"]: True}
    history = [m["MessageId"] for m in catch_up(receiver, alice["id"])]
    assert history == [ack["Message"]["MessageId"] for ack in acked]


def test_rate_limits_are_shared_through_redis_and_fail_open_while_it_is_down(limited_stack, smtp):
    """The login limit per account (RATE_LIMIT_LOGIN_ACCOUNT, 10/minute) counts across both processes through
    Redis: the 11th login, alternating processes, is refused with 429 and Retry-After although neither process
    saw more than 6. With Redis stopped, the limits fail open (RATELIMIT_SWALLOW_ERRORS, docs/operations.md):
    12 logins through both processes all answer 200, none a 500; the limits count again once Redis is back."""
    stack = limited_stack
    clients = [HttpsClient(url, stack["cert"]) for url in relay_urls(stack)]
    accounts = Accounts(HttpsClient(stack["nginx"].url, stack["cert"]), smtp)
    shared, during_outage, after = [accounts.signup() for _ in range(3)]  # not logged in yet: no login counted
    for user in (shared, during_outage, after):
        accounts.verify(user)

    def login(user, n):
        return clients[n % 2].post("/login", json={"login": user["username"], "password": user["password"]})

    answers = [login(shared, n) for n in range(11)]
    assert [a.status_code for a in answers] == [200] * 10 + [429], [a.status_code for a in answers]
    assert answers[-1].json()["error"]["code"] == "rate_limited" and int(answers[-1].headers["Retry-After"]) > 0
    stack["redis"].stop()
    try:
        assert wait_for(lambda: clients[0].get("/health").json()["redis"] == "unreachable", 30, "Redis down")
        statuses = [login(during_outage, n).status_code for n in range(12)]
        assert statuses == [200] * 12, statuses
    finally:
        stack["redis"].start()
    assert wait_for(lambda: all(c.get("/health").json()["status"] == "ok" for c in clients), 30, "/health ok again")
    statuses = [login(after, n).status_code for n in range(11)]
    assert statuses == [200] * 10 + [429], statuses


def send_until_acknowledged(sock, chat_id, content, client_id, deadline):
    """Send, and again with the same ClientId after `unavailable`, no answer or a cut connection."""
    while time.monotonic() < deadline:
        try:
            ack = sock.call("send-personal-message", {"ChatId": chat_id, "Content": content, "ClientId": client_id},
                            P, timeout=3)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                socketio.exceptions.DisconnectedError):
            time.sleep(0.1)
            continue
        if ack["ok"]:
            return ack["Message"]
        assert ack["error"]["code"] == "unavailable", ack
        time.sleep(0.1)
    raise AssertionError(f"{client_id} was never acknowledged")


def catch_up(sock, partner):
    """The whole history, oldest first, fetched page by page (newest page, then `Before` its oldest)."""
    messages, before = [], None
    while True:
        page = sock.call("fetch-personal-chat",
                         {"Partner": partner, "Limit": 100, **({"Before": before} if before else {})}, P)
        assert page["ok"], page
        messages = page["Messages"] + messages
        if not page["HasMore"] or not page["Messages"]:
            return messages
        before = page["Messages"][0]["MessageId"]


def test_a_rolling_restart_loses_and_doubles_nothing(stack, users, browser):
    """Each process in turn: SIGTERM (it drains: /health 503, connections cut), exit, start again; meanwhile
    clients on both keep sending and reconnect through nginx to the other process."""
    url_a, url_b = relay_urls(stack)
    alice, bob = users(2)
    sender = browser(url_a, alice, reconnect=True)
    receiver = browser(url_b, bob, reconnect=True)
    chat_id = sender.call("fetch-personal-chat", {"Partner": bob["id"]}, P)["ChatId"]
    acknowledged, stop, deadline = [], threading.Event(), time.monotonic() + 120

    def stream():
        number = 0
        try:
            while not stop.is_set():
                acknowledged.append(send_until_acknowledged(sender, chat_id, f"m{number}", f"r{number}", deadline))
                number += 1
        except BaseException as exc:  # the waits below then fail, saying why
            failure.append(exc)
            raise
    failure = []
    sending = threading.Thread(target=stream)
    sending.start()
    try:
        for process in stack["processes"]:
            before = len(acknowledged)
            wait_for(lambda: len(acknowledged) >= before + 5, 30, "sends before the restart")
            process.terminate()
            wait_for(lambda: not process.healthy(), 10, "/health answers 503 (draining), then nothing (stopped)")
            assert process.wait(30) == 0
            during = len(acknowledged)
            wait_for(lambda: len(acknowledged) >= during + 5 or failure, 30, "sends while the process is down")
            assert not failure, failure
            process.start()
            assert requests.get(f"{stack['nginx'].url}/health", verify=str(stack["cert"]), timeout=10).ok
        before = len(acknowledged)
        wait_for(lambda: len(acknowledged) >= before + 5, 30, "sends after the restarts")
    finally:
        stop.set()
        sending.join(60)
    assert not sending.is_alive()
    assert [m["Content"] for m in acknowledged] == [f"m{n}" for n in range(len(acknowledged))]
    assert len({m["MessageId"] for m in acknowledged}) == len(acknowledged)
    # The receiver catches up on what passed while it was reconnecting: live deliveries plus the history
    # after its last one hold every acknowledged message exactly once.
    wait_for(lambda: receiver.client.connected, 30, "the receiver reconnected")
    assert [m["MessageId"] for m in catch_up(receiver, alice["id"])] == [m["MessageId"] for m in acknowledged]
    live = [d["Message"]["MessageId"] for d in receiver.received("receive-personal-message", P)]
    assert len(live) == len(set(live)), "no message delivered twice"
    assert set(live) <= {m["MessageId"] for m in acknowledged}
    for process in stack["processes"]:
        assert "Traceback" not in process.log()


def test_operations_md_shows_deploy_nginx_conf():
    """docs/operations.md shows the file the project ships and these tests run, unchanged."""
    from conftest import ROOT
    text = (ROOT / "docs" / "operations.md").read_text()
    shown = text.split("```nginx\n", 1)[1].split("```\n", 1)[0]
    assert shown == (ROOT / "deploy" / "nginx.conf").read_text()
