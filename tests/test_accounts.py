"""Accounts people manage: what needs the app in the test process (a real database outage half-way through a
deletion, the database work of `/password/forgot`, rate limits, the sweep). The rules themselves are asserted
through the live server in tests/test_accounts_live.py.
"""
import time
from datetime import timedelta

import pytest
from bson import ObjectId
from pymongo import MongoClient
from pymongo.monitoring import CommandListener
from test_faults import OUTAGE_TIMEOUT_MS, direct_client, proxy  # noqa: F401  (fixtures)

import chat.db
from chat.kernel.clock import utcnow
from conftest import bearer, error_code, unique


class Cutter(CommandListener):
    """Once armed, cuts the proxy's line just before the first command for which matches(name, collection) holds."""

    def __init__(self, line):
        self.proxy, self.matches, self.fired = line, None, False

    def arm(self, matches):
        self.matches = matches

    def started(self, event):
        collection = event.command.get(event.command_name)
        if self.matches and not self.fired and self.matches(event.command_name, collection):
            self.fired = True
            self.proxy.cut()

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def cutter(monkeypatch, proxy):  # noqa: F811
    """A Cutter listening to the client of every app built afterwards."""
    listener = Cutter(proxy)

    def listened_client(*args, **kwargs):
        kwargs["event_listeners"] = [*kwargs.get("event_listeners", ()), listener]
        return MongoClient(*args, **kwargs)

    monkeypatch.setattr(chat.db, "MongoClient", listened_client)
    return listener


@pytest.fixture
def doomed(cutter, make_app, proxy, accounts_for, direct_client):  # noqa: F811
    """An app behind the proxy, and alice, admin of a group with bob, who wrote to bob; with their databases."""
    app = make_app(MONGO_URI=proxy.uri, MONGO_TIMEOUT_MS=OUTAGE_TIMEOUT_MS)
    accounts = accounts_for(app)
    alice, bob = accounts.user(), accounts.user()
    group = app.extensions["chat.services"].groups.create(alice["id"], "Plans", "", [bob["id"]])
    client = app.test_client()
    assert client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "secret"},
                       headers=bearer(alice["access"])).status_code == 201
    return app, client, alice, bob, group, direct_client[app.config["MONGO_DB"]]


def resume(proxy, client, timeout=15):  # noqa: F811
    """Forward again, and wait until the app sees the database (pymongo notices within a heartbeat)."""
    proxy.resume()
    deadline = time.monotonic() + timeout
    while client.get("/health").status_code != 200:
        assert time.monotonic() < deadline, f"/health not 200 within {timeout} s"
        time.sleep(0.1)


@pytest.fixture
def accounts_for(smtp):
    from conftest import Accounts
    return lambda app: Accounts(app.test_client(), smtp)


def test_a_deletion_cut_off_by_a_database_outage_finishes_when_retried(cutter, proxy, doomed):  # noqa: F811
    app, client, alice, bob, group, db = doomed
    cutter.arm(lambda name, collection: name == "update" and collection == "messages")  # the messages' step
    first = client.delete("/me", json={"password": alice["password"]}, headers=bearer(alice["access"]))
    assert cutter.fired and first.status_code == 503 and error_code(first) == "unavailable"

    # Half-way: the groups are left, the account is marked, and it cannot sign in.
    assert db.users.find_one({"_id": ObjectId(alice["id"])})["deleting_at"] is not None
    assert db.chats.find_one({"_id": group.id})["members"] == [bob["id"]]
    resume(proxy, client)
    refused = client.post("/login", json={"login": alice["username"], "password": alice["password"]})
    assert refused.status_code == 401 and error_code(refused) == "invalid_credentials"
    assert db.messages.find_one({"sender_id": alice["id"]})["content"] == "secret"  # not done yet

    retried = client.delete("/me", json={"password": alice["password"]}, headers=bearer(alice["access"]))
    assert retried.status_code == 200, retried.get_json()
    assert db.users.find_one({"username": alice["username"]}) is None
    message = db.messages.find_one({"sender_id": alice["id"]})
    assert (message["content"], message["sender_name"], message["deleted"]) == ("", "deleted user", True)
    # blanked at the chat's newest Rev, taken by the retry (the cut attempt's Rev stays unused): a sync brings it
    assert message["rev"] == db.chats.find_one({"_id": message["chat_id"]})["rev"] == 3
    assert db.sessions.count_documents({"user_id": alice["id"]}) == 0
    assert client.get("/me", headers=bearer(alice["access"])).status_code == 401


def test_a_deletion_whose_client_gave_up_is_finished_by_the_sweep(cutter, proxy, doomed):  # noqa: F811
    app, client, alice, bob, group, db = doomed
    cutter.arm(lambda name, collection: name == "update" and collection == "messages")
    gave_up = client.delete("/me", json={"password": alice["password"]}, headers=bearer(alice["access"]))
    assert gave_up.status_code == 503
    resume(proxy, client)
    deletion = app.extensions["chat.services"].deletion
    assert deletion.finish_stalled() == 0  # just started: the client may still retry
    db.users.update_one({"username": alice["username"]}, {"$set": {"deleting_at": utcnow() - timedelta(minutes=3)}})
    with app.app_context():
        assert deletion.finish_stalled() == 1
    assert db.users.find_one({"username": alice["username"]}) is None
    assert db.messages.find_one({"sender_id": alice["id"]})["sender_name"] == "deleted user"
    assert deletion.finish_stalled() == 0


def test_forgot_password_does_the_same_database_work_for_every_address(make_app, commands, accounts_for):
    signup_app = make_app()
    known = accounts_for(signup_app).user()
    # The same database, with nothing sending mail in the test process and no background loop whose commands the
    # log would catch (TESTING=False starts them): the request only queues.
    quiet = {"MAIL_WORKER": False, "ACCOUNT_SWEEP_INTERVAL": 0, "EXPORT_POLL_INTERVAL": 0,
             "RETENTION_SWEEP_INTERVAL": 0, "WEBHOOK_POLL": 0}
    app = make_app(MONGO_DB=signup_app.config["MONGO_DB"], TESTING=False, **quiet)
    client = app.test_client()

    def shapes(address):
        commands.clear()
        response = client.post("/password/forgot", json={"email": address})
        assert response.status_code == 202 and response.get_json() == {"status": "sent_if_registered"}
        return [(c.name, c.collection, sorted(c.body.get("documents", [{}])[0])) for c in commands.commands]

    for address in (f"{unique()}@example.test", known["email"]):
        assert shapes(address) == [("insert", "mail_outbox", ["_id", "attempts", "created_at", "data", "done_at",
                                                               "kind", "last_error", "lease_owner",
                                                               "next_attempt_at", "sent_at", "state", "to"])]


@pytest.mark.parametrize("path, body, setting", [
    ("/password/forgot", {"email": "someone@example.test"}, "RATE_LIMIT_FORGOT_ADDRESS"),
    ("/password/forgot", None, "RATE_LIMIT_FORGOT_IP"),
    ("/password/reset", {"token": "x" * 43, "password": "whatever-1"}, "RATE_LIMIT_RESET_IP"),
])
def test_the_unauthenticated_calls_are_rate_limited(make_app, path, body, setting):
    client = make_app(RATELIMIT_ENABLED=True, **{setting: "2/hour"}).test_client()
    answers = [client.post(path, json=body or {"email": f"{unique()}@example.test"}).status_code for _ in range(3)]
    assert answers[2] == 429 and 429 not in answers[:2], answers


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/me/password", {"current_password": "wrong-one", "new_password": "whatever-12"}),
    ("POST", "/me/email", {"email": "new@example.test", "password": "wrong-one"}),
    ("DELETE", "/me", {"password": "wrong-one"}),
])
def test_password_checks_are_limited_per_account(make_app, accounts_for, method, path, body):
    app = make_app(RATELIMIT_ENABLED=True, RATE_LIMIT_PASSWORD_CHECK="2/hour")
    accounts = accounts_for(app)
    user, other = accounts.user(), accounts.user()
    client = app.test_client()
    answers = [client.open(path, method=method, json=body, headers=bearer(user["access"])).status_code
               for _ in range(3)]
    assert answers == [401, 401, 429], answers
    assert client.open(path, method=method, json=body, headers=bearer(other["access"])).status_code == 401


def test_the_sweep_expires_only_unverified_accounts_past_their_time(make_app, accounts_for):
    app = make_app(UNVERIFIED_TTL=3600)
    accounts = accounts_for(app)
    old, fresh, verified = accounts.signup(), accounts.signup(), accounts.user()
    users = app.extensions["chat.store"].db.users
    for user in (old, verified):
        users.update_one({"username": user["username"]}, {"$set": {"created_at": utcnow() - timedelta(hours=2)}})
    assert app.extensions["chat.services"].deletion.expire_unverified() == 1
    assert {u["username"] for u in users.find()} == {fresh["username"], verified["username"]}


def test_a_deleted_account_leaves_no_push_subscription_or_notification_settings(make_app, accounts_for):
    from push_service import BrowserKeys, PushService

    app = make_app(PUSH_ALLOW_INSECURE_LOCAL=True)
    user = accounts_for(app).user()
    client, db = app.test_client(), app.extensions["chat.store"].db
    service = PushService("ok")
    try:
        body = BrowserKeys().subscription(service.url + "/sub")
        assert client.post("/me/push-subscriptions", json=body, headers=bearer(user["access"])).status_code == 201
    finally:
        service.close()
    assert client.patch("/me/settings", json={"EmailNotifications": "off"},
                        headers=bearer(user["access"])).status_code == 200
    assert db.push_subscriptions.count_documents({"user_id": user["id"]}) == 1
    assert client.delete("/me", json={"password": user["password"]}, headers=bearer(user["access"])).status_code == 200
    assert db.push_subscriptions.count_documents({"user_id": user["id"]}) == 0
    assert db.notify_state.find_one({"_id": user["id"]}) is None
