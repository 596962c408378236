"""Failures of dependencies: the database, SMTP; and the cheap refusal of bad connects.

A database outage is simulated by making every collection call raise the error pymongo raises when
no server answers (ServerSelectionTimeoutError); the real-pymongo path (an unreachable MONGO_URI) is
covered in tests/test_users.py.
"""
import contextlib

import mongomock
import pytest
from pymongo.errors import ServerSelectionTimeoutError

from conftest import PASSWORD, Accounts, bearer, free_port, unique

COLLECTION_CALLS = ("find", "find_one", "insert_one", "insert_many", "update_one", "update_many",
                    "find_one_and_update", "count_documents", "delete_one", "delete_many", "create_index")


@contextlib.contextmanager
def database_down(monkeypatch):
    """Every collection call fails as if no MongoDB server answered; restored on exit."""
    with monkeypatch.context() as patch:
        def failing(*args, **kwargs):
            raise ServerSelectionTimeoutError("No servers found yet (simulated outage)")
        for name in COLLECTION_CALLS:
            patch.setattr(mongomock.Collection, name, failing)
        yield


def snapshot(db):
    return {name: sorted(map(repr, db[name].find())) for name in
            ("users", "sessions", "one_time_tokens", "chats", "messages", "read_state")}


def test_a_database_outage_answers_unavailable_changes_nothing_and_recovers(app, client, accounts, db, monkeypatch):
    alice, bob = accounts.user(), accounts.user()
    socketio = app.extensions["socketio"]
    sock = socketio.test_client(app, namespace="/personal", auth={"access_token": alice["access"]})
    chat = sock.emit("fetch-personal-chat", {"Partner": bob["id"]}, namespace="/personal", callback=True)
    before = snapshot(db)
    with database_down(monkeypatch):
        rest = [
            client.post("/signup", json={"username": unique(), "email": "x@example.test", "password": PASSWORD}),
            client.post("/login", json={"login": alice["username"], "password": PASSWORD}),
            client.post("/resend", json={"email": alice["email"]}),
            client.get("/me", headers=bearer(alice["access"])),
            client.get("/chats", headers=bearer(alice["access"])),
            client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "x"},
                        headers=bearer(alice["access"])),
        ]
        for response in rest:
            assert response.status_code == 503, (response.request.path, response.get_json())
            assert response.get_json()["error"]["code"] == "unavailable"
        ack = sock.emit("send-personal-message", {"ChatId": chat["ChatId"], "Content": "lost?", "ClientId": "k1"},
                        namespace="/personal", callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "unavailable" and ack["error"]["retry_after"] == 5
        assert sock.is_connected("/personal")
        refused = socketio.test_client(app, namespace="/", auth={"access_token": alice["access"]})
        assert not refused.is_connected("/")
    assert snapshot(db) == before
    # The service resumes by itself: the same retry now succeeds, once.
    ack = sock.emit("send-personal-message", {"ChatId": chat["ChatId"], "Content": "lost?", "ClientId": "k1"},
                    namespace="/personal", callback=True)
    assert ack["ok"] and db.messages.count_documents({}) == 1
    assert client.get("/me", headers=bearer(alice["access"])).status_code == 200


def test_smtp_down_at_signup_keeps_the_account_and_resend_works_later(make_app, smtp):
    from chat.auth.mailer import SmtpMailer
    app = make_app(SMTP_PORT=free_port(), SMTP_TIMEOUT=2)
    client = app.test_client()
    name = unique()
    address = f"{name}@example.test"
    response = client.post("/signup", json={"username": name, "email": address, "password": PASSWORD})
    assert response.status_code == 201 and response.get_json()["email_sent"] is False
    assert smtp.count(address) == 0
    assert client.post("/login", json={"login": name, "password": PASSWORD}).status_code == 403
    # The SMTP server comes back: /resend sends a working link.
    app.extensions["chat.services"].auth.mailer = SmtpMailer("127.0.0.1", smtp.port, starttls=False)
    assert client.post("/resend", json={"email": address}).status_code == 202
    token = smtp.link(address).split("token=")[1]
    assert client.get(f"/verify?token={token}").get_json()["verified"] is True
    assert client.post("/login", json={"login": name, "password": PASSWORD}).status_code == 200


def test_connects_with_bad_tokens_are_refused_without_touching_the_database(app, monkeypatch):
    calls = []
    for name in COLLECTION_CALLS:
        original = getattr(mongomock.Collection, name)
        monkeypatch.setattr(mongomock.Collection, name,
                            lambda *a, _original=original, **k: calls.append(1) or _original(*a, **k))
    socketio = app.extensions["socketio"]
    for token in ("", "garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x" * 3, None, 42):
        client = socketio.test_client(app, namespace="/", auth={"access_token": token})
        assert not client.is_connected("/")
    assert calls == []


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
