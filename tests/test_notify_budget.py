"""What a message costs the database for the members who are away, counted on the wire (issue #27, item 2).

A CommandListener on the app's own clients (tests/command_log.py) counts the commands of the notification work of
one group message (the worker's `drain`): the same at 10 and at 200 members away, one query for the
subscriptions plus one claim per subscription pushed, nothing per member. Digests are found by the sweep of the
digest loop from the chats' read positions (chat/notify/sweep.py), with the same rules as before: away, unread,
not muted, EmailNotifications. Background work runs on a client of its own (chat/db.py), never on the pool that
sends and connects use.
"""
import uuid

import pytest
from push_service import BrowserKeys
from pymongo import MongoClient

import chat.db
from command_log import BACKGROUND_APPNAME, CommandLog, summary
from conftest import Accounts, bearer

SUBSCRIBED = 2  # members with a push subscription, in every group measured


@pytest.fixture
def push_app(make_app, per_client):
    return make_app(PUSH_ALLOW_INSECURE_LOCAL=True, NOTIFY_EMAIL_DELAY=0)


def members(app, count):
    """count verified users, made through the users repository (a signup each would take minutes)."""
    repo = app.extensions["chat.services"].groups.user_repo
    made = []
    for _ in range(count):
        name = "m" + uuid.uuid4().hex[:10]
        made.append(str(repo.create(name, f"{name}@example.com", "unused")["_id"]))
        repo.mark_verified(made[-1])
    return made


def subscribe(client, user, endpoint):
    answer = client.post("/me/push-subscriptions", json=BrowserKeys().subscription(endpoint),
                         headers=bearer(user["access"]))
    assert answer.status_code == 201, answer.get_json()


def say(client, sender, group_id, content="hello"):
    answer = client.post(f"/groups/{group_id}/messages", json={"Content": content}, headers=bearer(sender["access"]))
    assert answer.status_code == 201, answer.get_json()


def test_a_group_message_to_away_members_costs_the_same_commands_at_10_and_200_members(
        push_app, smtp, per_client, push_services):
    local = push_services()
    client, accounts = push_app.test_client(), Accounts(push_app.test_client(), smtp)
    services, worker = push_app.extensions["chat.services"], push_app.extensions["chat.notify"]
    sender = accounts.user()
    assert client.get("/push/public-key").status_code == 200  # the VAPID key is made once, before measuring
    measured = {}
    for size in (10, 200):
        subscribers = [accounts.user() for _ in range(SUBSCRIBED)]
        for n, user in enumerate(subscribers):
            subscribe(client, user, local.endpoint(f"{size}-{n}"))
        others = members(push_app, size - SUBSCRIBED)
        group = services.groups.create(sender["id"], f"g{size}", "", [u["id"] for u in subscribers] + others)
        for n in range(3):  # the first message and the next ones alike
            say(client, sender, group.id, f"message {n}")
            outcomes, measured[size, n] = per_client[BACKGROUND_APPNAME].measure(worker.drain)
            assert outcomes == [{"pushed": SUBSCRIBED, "gone": 0, "failed": 0, "digests": size}]
            print(f"\n[commands] group message {n} to {size} members away: {len(measured[size, n])} "
                  f"({summary(measured[size, n])})")
    for n in range(3):
        assert summary(measured[200, n]) == summary(measured[10, n]), (summary(measured[10, n]),
                                                                       summary(measured[200, n]))
        # One query for the subscriptions, one claim per subscription pushed: nothing per member.
        assert sorted(map(repr, measured[200, n])) == ["find push_subscriptions"] + ["insert push_claims"] * 2
    local.wait_for(2 * 2 * 3)


def test_nobody_away_costs_no_command(push_app, smtp, per_client, connect_socket):
    client, accounts = push_app.test_client(), Accounts(push_app.test_client(), smtp)
    sender, here = accounts.user(), accounts.user()
    group = push_app.extensions["chat.services"].groups.create(sender["id"], "g", "", [here["id"]])
    connect_socket(push_app, here)
    say(client, sender, group.id)
    outcomes, measured = per_client[BACKGROUND_APPNAME].measure(push_app.extensions["chat.notify"].drain)
    assert outcomes == [{"pushed": 0, "gone": 0, "failed": 0, "digests": 0}] and measured == [], summary(measured)


def test_the_sweep_finds_digests_by_the_same_rules(push_app, smtp, connect_socket):
    client, accounts = push_app.test_client(), Accounts(push_app.test_client(), smtp)
    worker = push_app.extensions["chat.notify"]
    alice, bob, carol, dan, erin, fay = (accounts.user() for _ in range(6))
    group = push_app.extensions["chat.services"].groups.create(
        alice["id"], "Team", "", [u["id"] for u in (bob, carol, dan, erin, fay)])
    client.patch("/me/settings", json={"EmailNotifications": "mentions"}, headers=bearer(carol["access"]))
    client.patch("/me/settings", json={"EmailNotifications": "off"}, headers=bearer(dan["access"]))
    assert client.put(f"/chats/{group.id}/mute", headers=bearer(erin["access"])).status_code == 200
    connect_socket(push_app, fay)  # here: she reads it in the app
    mails = {u["id"]: smtp.count(u["email"]) for u in (alice, bob, carol, dan, erin, fay)}
    for n in range(5):
        say(client, alice, group.id, f"news {n}")
    worker.drain()
    assert worker.digest_pass() == 1  # bob only: carol was not mentioned, dan is off, erin muted, fay here
    assert "5 unread" in smtp.wait_for(bob["email"], mails[bob["id"]] + 1).get_body(("plain",)).get_content()
    say(client, alice, group.id, f"@{carol['username']} and @{erin['username']}, a word")
    worker.drain()
    assert worker.digest_pass() == 1  # carol now; bob's window has not ended; erin's mute holds
    smtp.wait_for(carol["email"], mails[carol["id"]] + 1)
    assert worker.digest_pass() == 0  # swept again (the overlap): nothing new to say to anyone
    for user in (alice, dan, erin, fay):
        assert smtp.count(user["email"]) == mails[user["id"]], user["username"]
    assert smtp.count(bob["email"]) == mails[bob["id"]] + 1 and smtp.count(carol["email"]) == mails[carol["id"]] + 1


def test_messages_from_someone_blocked_make_no_digest_due(push_app, smtp):
    client, accounts = push_app.test_client(), Accounts(push_app.test_client(), smtp)
    worker = push_app.extensions["chat.notify"]
    alice, bob, carol = accounts.user(), accounts.user(), accounts.user()
    group = push_app.extensions["chat.services"].groups.create(alice["id"], "Team", "", [bob["id"], carol["id"]])
    assert client.put(f"/users/{carol['id']}/block", headers=bearer(bob["access"])).status_code == 200
    mails = {u["id"]: smtp.count(u["email"]) for u in (alice, bob)}
    for n in range(3):
        say(client, carol, group.id, f"from carol {n}")
    worker.drain()
    assert worker.digest_pass() == 1  # alice's; none for bob
    smtp.wait_for(alice["email"], mails[alice["id"]] + 1)
    assert smtp.count(bob["email"]) == mails[bob["id"]]
    say(client, alice, group.id, "from alice")
    worker.drain()
    assert worker.digest_pass() == 2  # carol's, and bob's now, counting carol's messages too (no excerpt of them)
    text = smtp.wait_for(bob["email"], mails[bob["id"]] + 1).get_body(("plain",)).get_content()
    assert "4 unread" in text and "from alice" in text


@pytest.fixture
def per_client(monkeypatch):
    """{appname: CommandLog}: the commands of each of the app's MongoClients, told apart by their appname."""
    logs = {}

    def listened_client(*args, **kwargs):
        log = logs.setdefault(kwargs.get("appname"), CommandLog())
        kwargs["event_listeners"] = [*kwargs.get("event_listeners", ()), log]
        return MongoClient(*args, **kwargs)
    monkeypatch.setattr(chat.db, "MongoClient", listened_client)
    return logs


def test_background_work_runs_on_a_client_of_its_own(make_app, per_client, smtp, push_services):
    app = make_app(PUSH_ALLOW_INSECURE_LOCAL=True, NOTIFY_EMAIL_DELAY=0, MONGO_POOL_SIZE=1)
    store = app.extensions["chat.store"]
    assert store.background_client is not store.client
    assert store.background_client.options.pool_options.max_pool_size == chat.db.BACKGROUND_POOL_SIZE
    client, accounts = app.test_client(), Accounts(app.test_client(), smtp)
    alice, bob = accounts.user(), accounts.user()
    subscribe(client, bob, push_services().endpoint())
    assert client.get("/push/public-key").status_code == 200  # the VAPID key, made and kept before measuring
    requests, background = per_client["chat-backend"], per_client["chat-background"]
    requests.clear()
    background.clear()
    assert client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "hi"},
                       headers=bearer(alice["access"])).status_code == 201
    sent = requests.commands
    assert background.commands == []
    worker = app.extensions["chat.notify"]
    assert worker.drain() == [{"pushed": 1, "gone": 0, "failed": 0, "digests": 1}]
    assert worker.digest_pass() == 1
    assert requests.commands == sent, summary(requests.commands[len(sent):])  # all of it on the background client
    assert {c.collection for c in background.commands} >= {"push_subscriptions", "push_claims", "notify_state",
                                                            "chats"}
