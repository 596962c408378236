"""Webhooks in one process: who may make them, bad input (a clear error and nothing changed), the outbound
address rules for outgoing URLs (every address form the push tests use) at creation and again at delivery,
retries with backoff, and a receiver failing too long disabled with a mail to its owner. Deliveries go over HTTP
to a real local receiver (tests/push_service.py); the in-process app has no delivery loop (WEBHOOK_POLL 0): a
test runs a pass (`deliver`) when it means to. tests/test_webhooks_live.py runs them through real servers."""

import pytest
import test_notify
import test_public_address
from test_mail_outbox import wait_until

from conftest import bearer, error_code, unchanged

WATCHED = ("webhooks", "webhook_deliveries", "chats", "messages", "users")


@pytest.fixture
def local_app(make_app):
    return make_app(WEBHOOK_ALLOW_INSECURE_LOCAL=True, WEBHOOK_RETRY_BASE=0.05, WEBHOOK_RETRY_MAX=0.2)


def group_of(app, accounts, connect_socket, members=1):
    """(admin, [members], group id): a group made over the real socket event."""
    admin, others = accounts.user(), [accounts.user() for _ in range(members)]
    ack = connect_socket(app, admin, "/group").emit("create-group-chat", {"Name": "team", "Participants": [
        m["id"] for m in others]}, namespace="/group", callback=True)
    return admin, others, ack["Group"]["GroupId"]


def hooks(client, user, group_id, body=None, method="post"):
    call = getattr(client, method)
    return call(f"/groups/{group_id}/webhooks", headers=bearer(user["access"]),
                **({"json": body} if body is not None else {}))


def deliver(app):
    return app.extensions["chat.services"].webhook_delivery.deliver_due()


@pytest.fixture
def team(local_app, smtp, connect_socket):
    from conftest import Accounts
    accounts = Accounts(local_app.test_client(), smtp)
    return group_of(local_app, accounts, connect_socket)


def test_only_the_admin_makes_lists_and_deletes_webhooks(local_app, team, smtp, push_services):
    client, (admin, [member], group_id) = local_app.test_client(), team
    db = local_app.extensions["chat.store"].db
    from conftest import Accounts
    stranger = Accounts(client, smtp).user()
    url = push_services().endpoint("hook")
    with unchanged(db, *WATCHED):
        assert error_code(hooks(client, member, group_id, {"Name": "x"})) == "forbidden"
        assert error_code(hooks(client, member, group_id, {"Name": "x", "Url": url})) == "forbidden"
        assert error_code(hooks(client, stranger, group_id, {"Name": "x"})) == "not_found"
        assert error_code(hooks(client, member, group_id, method="get")) == "forbidden"
        assert error_code(hooks(client, stranger, group_id, method="get")) == "not_found"
    made = hooks(client, admin, group_id, {"Name": "out", "Url": url}).get_json()
    with unchanged(db, *WATCHED):
        answer = client.delete(f"/groups/{group_id}/webhooks/{made['WebhookId']}", headers=bearer(member["access"]))
        assert error_code(answer) == "forbidden"
        answer = client.delete(f"/groups/{group_id}/webhooks/nope", headers=bearer(admin["access"]))
        assert error_code(answer) == "not_found"
    assert client.delete(f"/groups/{group_id}/webhooks/{made['WebhookId']}",
                         headers=bearer(admin["access"])).status_code == 204
    assert hooks(client, admin, group_id, method="get").get_json() == {"Webhooks": []}


@pytest.mark.parametrize("body", [
    {}, {"Name": ""}, {"Name": "x" * 81}, {"Name": 5}, {"Name": "x", "Url": 5}, {"Name": "x", "Url": ""},
    {"Name": "x", "Extra": 1}, {"Name": "x", "Url": "ftp://example.com/x"}, {"Name": "x", "Url": "not a url"},
    {"Name": "x", "Url": "http://user:pw@127.0.0.1/x"}, {"Name": "x", "Url": "http://127.0.0.1/" + "a" * 2100},
])
def test_bad_webhook_bodies_are_refused_and_change_nothing(local_app, team, body):
    client, (admin, _members, group_id) = local_app.test_client(), team
    with unchanged(local_app.extensions["chat.store"].db, *WATCHED):
        answer = hooks(client, admin, group_id, body)
    assert answer.status_code == 422 and error_code(answer) == "validation_error", answer.get_json()


def urls_of(host_forms, scheme="https"):
    return [f"{scheme}://[{h}]/x" if ":" in h else f"{scheme}://{h}/x" for h in host_forms]


# Every address form of the push tests: their refused endpoints and the non-public addresses of the one rule.
REFUSED = list(dict.fromkeys(test_notify.REFUSED + urls_of(test_public_address.NOT_PUBLIC)
                             + ["https://2130706433/x", "https://0x7f.1/x", "https://017700000001/x"]))


@pytest.mark.parametrize("url", REFUSED)
def test_outgoing_urls_to_non_public_addresses_are_refused(make_app, smtp, connect_socket, url):
    from conftest import Accounts
    app = make_app()  # WEBHOOK_ALLOW_INSECURE_LOCAL off (the default)
    admin, _members, group_id = group_of(app, Accounts(app.test_client(), smtp), connect_socket, members=0)
    with unchanged(app.extensions["chat.store"].db, *WATCHED):
        answer = hooks(app.test_client(), admin, group_id, {"Name": "x", "Url": url})
    assert answer.status_code == 422 and "Url" in answer.get_json()["error"]["fields"], answer.get_json()


def test_the_rules_hold_at_delivery_time_too(local_app, team, make_app, push_services):
    """A hook stored while the test setting was on is not posted to once it is off: no connection at all."""
    client, (admin, _members, group_id) = local_app.test_client(), team
    receiver = push_services()
    hooks(client, admin, group_id, {"Name": "out", "Url": receiver.endpoint("hook")})
    strict = make_app(MONGO_DB=local_app.config["MONGO_DB"])
    sent = strict.test_client().post(f"/groups/{group_id}/messages", json={"Content": "hi"},
                                     headers=bearer(admin["access"]))
    assert sent.status_code == 201
    assert deliver(strict) == 0
    [delivery] = strict.extensions["chat.store"].db.webhook_deliveries.find()
    assert delivery["state"] == "pending" and delivery["attempts"] == 1 and "Refused" in delivery["last_error"]
    assert receiver.pushes == []


def test_a_failing_receiver_is_retried_with_backoff_then_disabled_and_its_owner_mailed(make_app, smtp,
                                                                                       connect_socket, push_services):
    from conftest import Accounts
    app = make_app(WEBHOOK_ALLOW_INSECURE_LOCAL=True, WEBHOOK_RETRY_BASE=0.5, WEBHOOK_RETRY_MAX=10,
                   WEBHOOK_DISABLE_AFTER=2)
    admin, _members, group_id = group_of(app, Accounts(app.test_client(), smtp), connect_socket, members=0)
    client, db = app.test_client(), app.extensions["chat.store"].db
    failing = push_services("gone")  # answers 410 to everything
    made = hooks(client, admin, group_id, {"Name": "flaky", "Url": failing.endpoint("hook")}).get_json()
    for n in range(2):
        client.post(f"/groups/{group_id}/messages", json={"Content": f"m{n}"}, headers=bearer(admin["access"]))
    assert deliver(app) == 0 and len(failing.pushes) == 1  # the first fails; the second waits behind it
    assert deliver(app) == 0 and len(failing.pushes) == 1  # not due yet: 0.5 s
    first = db.webhook_deliveries.find_one({"seq": 1})
    assert first["attempts"] == 1 and "410" in first["last_error"]
    wait_until(lambda: deliver(app) == 0 and len(failing.pushes) == 2, what="the first retry")
    assert {body for _path, _headers, body in failing.pushes} == {failing.pushes[0][2]}  # the same delivery again
    retried = db.webhook_deliveries.find_one({"seq": 1})
    assert retried["attempts"] == 2 and (retried["next_at"] - first["next_at"]).total_seconds() >= 1.0  # doubled
    assert db.webhook_deliveries.find_one({"seq": 2})["attempts"] == 0  # never tried out of order
    wait_until(lambda: deliver(app) == 0 and db.webhooks.find_one({"_id": made["WebhookId"]})["disabled_at"],
               timeout=20, what="the hook disabled after WEBHOOK_DISABLE_AFTER of failures")
    assert db.webhook_deliveries.count_documents({"state": "pending"}) == 0
    assert db.chats.find_one({"_id": group_id}).get("hooks_out") == []
    listed = hooks(client, admin, group_id, method="get").get_json()["Webhooks"]
    assert [(h["Name"], h["Disabled"]) for h in listed] == [("flaky", True)]
    app.extensions["chat.services"].mail_worker.deliver_due()
    mail = smtp.wait_for(admin["email"], count=2)  # after the verification mail
    assert "flaky" in mail["Subject"] and "disabled" in mail["Subject"]
    tries = len(failing.pushes)
    client.post(f"/groups/{group_id}/messages", json={"Content": "later"}, headers=bearer(admin["access"]))
    assert db.webhook_deliveries.count_documents({"seq": 3}) == 0  # a disabled hook queues nothing
    deliver(app)
    assert len(failing.pushes) == tries


def test_a_group_without_outgoing_hooks_queues_nothing(local_app, team):
    client, (admin, _members, group_id) = local_app.test_client(), team
    hooks(client, admin, group_id, {"Name": "in"})  # incoming only
    client.post(f"/groups/{group_id}/messages", json={"Content": "x"}, headers=bearer(admin["access"]))
    assert local_app.extensions["chat.store"].db.webhook_deliveries.count_documents({}) == 0


def test_an_incoming_post_follows_the_send_rules_and_changes_nothing_when_refused(local_app, team):
    client, (admin, [member], group_id) = local_app.test_client(), team
    url = hooks(client, admin, group_id, {"Name": "in"}).get_json()["Url"]
    path = url.removeprefix("http://chat.test")
    db = local_app.extensions["chat.store"].db
    for body in ({"Content": "   "}, {"Content": ""}, {}, {"Content": 5}, {"Content": "x", "Other": 1}):
        with unchanged(db, *WATCHED):
            answer = client.post(path, json=body)
        assert answer.status_code == 422 and error_code(answer) == "validation_error", body
    with unchanged(db, *WATCHED):
        assert error_code(client.post("/hooks/not-a-secret", json={"Content": "x"})) == "not_found"
    answer = client.post(path, json={"Content": "  deployed  "})
    assert answer.status_code == 201 and answer.get_json()["Message"]["Content"] == "deployed"
    page = client.get(f"/groups/{group_id}/messages", headers=bearer(member["access"])).get_json()
    assert [m["Content"] for m in page["Messages"]] == ["deployed"]
    bot = db.users.find_one({"username": page["Messages"][0]["Sender"]["username"]})
    assert bot["bot"] is True and bot["owner_id"] == admin["id"]
    assert "@" not in bot["email"] and bot["password_hash"] is None
    assert page["Messages"][0]["Sender"]["Bot"] is True
    assert error_code(client.post("/login", json={"login": bot["username"], "password": "x" * 12})) \
        == "invalid_credentials"


def test_incoming_posts_are_rate_limited(make_app, smtp, connect_socket):
    from conftest import Accounts
    app = make_app(RATELIMIT_ENABLED=True, SOCKET_LIMIT_MESSAGE_USER="3/minute")
    admin, _members, group_id = group_of(app, Accounts(app.test_client(), smtp), connect_socket, members=0)
    client = app.test_client()
    path = hooks(client, admin, group_id, {"Name": "in"}).get_json()["Url"].removeprefix("http://chat.test")
    codes = [client.post(path, json={"Content": f"n{n}"}).status_code for n in range(5)]
    assert codes[:3] == [201] * 3 and codes[3:] == [429, 429]


def test_production_refuses_the_insecure_webhook_setting():
    from chat.kernel.config import ProductionConfig
    env = {"SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40, "WEBHOOK_ALLOW_INSECURE_LOCAL": "1"}
    with pytest.raises(RuntimeError, match="WEBHOOK_ALLOW_INSECURE_LOCAL"):
        ProductionConfig(env).check()
