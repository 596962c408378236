"""People in control (SPEC v2): block and mute, on the real server process with two (or more) users.

Every effect of the SPEC's block paragraph is asserted here over WebSockets and HTTP: the blocked user cannot
open or write in the personal chat (`blocked`, nothing stored), their typing and read receipts stop reaching
the blocker, each sees the other offline (`presence` at once, `get-online-info`, `Partner.Online` in both
lists), the blocker leaves the blocked user's search, group chats are unaffected, the blocked user hears
nothing of it, and unblocking restores all of it. One test runs across two processes sharing Redis. Mute:
`Muted`/`MutedUntil` in the socket lists and `GET /chats`, an `Until` in the past, and one that expires.
Negative checks ("nothing reached A") come after `sync()`, a round trip that orders them after everything the
server sent before.
"""
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from pymongo import MongoClient

from cluster import start_cluster
from conftest import database_uri, error_code

pytestmark = pytest.mark.live
P, G = "/personal", "/group"
ALL = ("/", P, G)


def call(server, method, path, user, **kwargs):
    response = requests.request(method, f"{server.url}{path}", headers={"Authorization": f"Bearer {user['access']}"},
                                timeout=10, **kwargs)
    response.get_json = response.json
    return response


def ok(ack):
    assert ack and ack.get("ok") is True, ack
    return ack


def stored(server, chat_id):
    """The messages the server's database holds for a chat (to show that a refused send stored nothing)."""
    client = MongoClient(database_uri(), serverSelectionTimeoutMS=5000)
    try:
        db = client[server.env["MONGO_DB"]]
        return db["messages"].count_documents({"chat_id": chat_id}), db["chats"].find_one({"_id": chat_id})
    finally:
        client.close()


def names(server, user, query):
    found = call(server, "GET", f"/users/search?q={query}", user)
    assert found.status_code == 200, found.get_json()
    return [u["username"] for u in found.get_json()["users"]]


def inbox_entry(server, user, key, value):
    entries = call(server, "GET", "/chats?per_page=100", user).get_json()["entries"]
    return next(entry for entry in entries if entry.get(key) == value)


def presence_about(sock, user_id):
    return [(p["Online"], p.get("Away")) for p in sock.received("presence") if p["UserId"] == user_id]


@pytest.fixture
def trio(live_server, smtp, live_socket):
    """alice and bob online with a personal chat and a group (with carol); bob wrote once before any block."""
    alice, bob, carol = (live_server.signup_verify_login(smtp) for _ in range(3))
    alice["sock"], bob["sock"] = live_socket(live_server, alice, ALL), live_socket(live_server, bob, ALL)
    chat_id = ok(alice["sock"].call("fetch-personal-chat", {"Partner": bob["id"]}, P))["ChatId"]
    ok(bob["sock"].call("send-personal-message", {"ChatId": chat_id, "Content": "before"}, P))
    group = ok(alice["sock"].call("create-group-chat", {"Name": "both", "Participants": [bob["id"], carol["id"]]},
                                  G))["Group"]
    bob["sock"].wait_for("group-created", G)
    return alice, bob, carol, chat_id, group["GroupId"]


def test_a_block_refuses_the_blocked_users_sends_hides_everything_and_an_unblock_restores_it(
        live_server, smtp, live_socket, trio):
    alice, bob, _carol, chat_id, group_id = trio
    a, b = alice["sock"], bob["sock"]
    assert ok(a.call("get-online-info", {"UserIds": [bob["id"]]}))["Online"] == {bob["id"]: True}
    assert alice["username"] in names(live_server, bob, alice["username"])

    blocked = call(live_server, "PUT", f"/users/{bob['id']}/block", alice)
    assert blocked.status_code == 200, blocked.get_json()
    assert blocked.get_json() == {"user": {"id": bob["id"], "username": bob["username"], "Bot": False}, "blocked": True}

    # At once, on the sockets already open: each reads the other as offline.
    assert a.wait_for("presence", match=lambda p: p["UserId"] == bob["id"])["Online"] is False
    assert b.wait_for("presence", match=lambda p: p["UserId"] == alice["id"])["Online"] is False
    assert ok(a.call("get-online-info", {"UserIds": [bob["id"]]}))["Online"] == {bob["id"]: False}
    assert ok(b.call("get-online-info", {"UserIds": [alice["id"]]}))["Online"] == {alice["id"]: False}

    # bob cannot write in the existing chat, by socket or REST, nor edit or react there; nothing is stored.
    count, _chat = stored(live_server, chat_id)
    refused = b.call("send-personal-message", {"ChatId": chat_id, "Content": "let me talk", "ClientId": "b-1"}, P)
    assert error_code(refused) == "blocked" and set(refused["error"]) == {"code", "message"}
    response = call(live_server, "POST", f"/chats/personal/{alice['id']}/messages", bob, json={"Content": "rest"})
    assert response.status_code == 403 and error_code(response) == "blocked"
    before = ok(b.call("fetch-personal-chat", {"Partner": alice["id"]}, P))["Messages"]  # history stays readable
    assert [m["Content"] for m in before] == ["before"]
    assert error_code(b.call("edit-personal-message", {"ChatId": chat_id, "MessageId": before[0]["MessageId"],
                                                       "Content": "changed"}, P)) == "blocked"
    assert error_code(b.call("react-message", {"ChatId": chat_id, "MessageId": before[0]["MessageId"],
                                               "Emoji": "👍", "On": True}, P)) == "blocked"
    assert stored(live_server, chat_id)[0] == count

    # Typing and read receipts of bob no longer reach alice (bob's acks say nothing of the block).
    ok(b.call("typing", {"ChatId": chat_id}, P))
    ok(b.call("done-typing", {"ChatId": chat_id}, P))
    from_alice = ok(a.call("send-personal-message", {"ChatId": chat_id, "Content": "my last word"}, P))["Message"]
    assert b.wait_for("receive-personal-message", P)["Message"]["MessageId"] == from_alice["MessageId"]
    assert ok(b.call("read-personal-message", {"ChatId": chat_id}, P))["Moved"] is True
    # A group they share is unaffected: bob's group message and typing reach alice.
    ok(b.call("send-group-message", {"GroupId": group_id, "Content": "in the group"}, G))
    ok(b.call("typing", {"GroupId": group_id}, G))
    assert a.wait_for("receive-group-message", G)["Content"] == "in the group"
    assert a.wait_for("typing", G)["UserId"] == bob["id"]
    a.sync()
    assert a.received("typing", P) == [] and a.received("done-typing", P) == []
    assert a.received("read-personal-msg-ack", P) == []
    assert [m["Content"] for m in a.received("receive-personal-message", P)] == ["before"]

    # Search: alice is gone from bob's, bob stays in alice's.
    assert alice["username"] not in names(live_server, bob, alice["username"])
    assert bob["username"] in names(live_server, alice, bob["username"])

    # bob's reconnect announces nothing to alice; both lists show the other offline though both are online.
    b.close()
    later = live_socket(live_server, bob, ALL)
    entry = later.wait_for("personal-chat-list")["PersonalChatList"][0]
    assert entry["Partner"] == {"id": alice["id"], "username": alice["username"], "Bot": False, "Online": False}
    assert inbox_entry(live_server, alice, "ChatId", chat_id)["Partner"]["Online"] is False
    assert inbox_entry(live_server, bob, "ChatId", chat_id)["Partner"]["Online"] is False
    ok(later.call("background-app", {}))
    a.sync()
    assert presence_about(a, bob["id"]) == [(False, None)], "only the block's own offline"
    assert [u["id"] for u in call(live_server, "GET", "/me/blocks", alice).get_json()["users"]] == [bob["id"]]
    assert call(live_server, "GET", "/me/blocks", bob).get_json() == {"users": []}
    assert "blocked" not in str(later.received("user-id")) and later.received("presence") == []

    # Unblocking restores all of it: presence (told at once), sends, typing, receipts, search.
    unblocked = call(live_server, "DELETE", f"/users/{bob['id']}/block", alice)
    assert unblocked.status_code == 200 and unblocked.get_json()["blocked"] is False
    assert a.wait_for("presence", match=lambda p: p["UserId"] == bob["id"], count=2)["Online"] is True
    assert later.wait_for("presence", match=lambda p: p["UserId"] == alice["id"])["Online"] is True
    assert ok(a.call("get-online-info", {"UserIds": [bob["id"]]}))["Online"] == {bob["id"]: True}
    sent = ok(later.call("send-personal-message", {"ChatId": chat_id, "Content": "friends again"}, P))["Message"]
    assert a.wait_for("receive-personal-message", P, match=lambda d: d["Message"]["MessageId"] == sent["MessageId"])
    ok(later.call("typing", {"ChatId": chat_id}, P))
    assert a.wait_for("typing", P)["UserId"] == bob["id"]
    ok(a.call("send-personal-message", {"ChatId": chat_id, "Content": "welcome back"}, P))
    ok(later.call("read-personal-message", {"ChatId": chat_id}, P))
    assert a.wait_for("read-personal-msg-ack", P)["ReaderId"] == bob["id"]
    assert alice["username"] in names(live_server, bob, alice["username"])
    assert inbox_entry(live_server, bob, "ChatId", chat_id)["Partner"]["Online"] is True
    assert call(live_server, "GET", "/me/blocks", alice).get_json() == {"users": []}


def test_a_blocked_user_cannot_open_a_new_chat_and_nothing_is_created(live_server, smtp, live_socket):
    dave, bob = live_server.signup_verify_login(smtp), live_server.signup_verify_login(smtp)
    assert call(live_server, "PUT", f"/users/{bob['id']}/block", dave).status_code == 200
    sock = live_socket(live_server, bob, (P,))
    chat_id = ":".join(sorted((dave["id"], bob["id"])))
    assert error_code(sock.call("fetch-personal-chat", {"Partner": dave["id"]}, P)) == "blocked"
    for method, body in (("GET", None), ("POST", {"Content": "hello?"})):
        response = call(live_server, method, f"/chats/personal/{dave['id']}/messages", bob, json=body)
        assert response.status_code == 403 and error_code(response) == "blocked", response.get_json()
    assert stored(live_server, chat_id) == (0, None)
    # The blocker may still open it: the chat is born with the block in it, so bob still cannot write.
    mine = live_socket(live_server, dave, (P,))
    assert ok(mine.call("fetch-personal-chat", {"Partner": bob["id"]}, P))["ChatId"] == chat_id
    assert stored(live_server, chat_id)[1]["blocked"] == [bob["id"]]
    assert error_code(sock.call("send-personal-message", {"ChatId": chat_id, "Content": "hi"}, P)) == "blocked"


def test_blocking_yourself_an_unknown_or_unverified_user_is_a_clear_error(live_server, smtp):
    alice, bob = live_server.signup_verify_login(smtp), live_server.signup_verify_login(smtp)
    pending = live_server.accounts(smtp).signup()
    for target, status, code in ((alice["id"], 422, "validation_error"), ("0123456789abcdef01234567", 404, "not_found"),
                                 ("not-an-id", 404, "not_found"), (pending["id"], 404, "not_found")):
        for method in ("PUT", "DELETE"):
            response = call(live_server, method, f"/users/{target}/block", alice)
            assert (response.status_code, error_code(response)) == (status, code), (method, target)
    for _ in range(2):  # blocking twice, unblocking twice: the same answer, one block
        assert call(live_server, "PUT", f"/users/{bob['id']}/block", alice).get_json()["blocked"] is True
    assert len(call(live_server, "GET", "/me/blocks", alice).get_json()["users"]) == 1
    for _ in range(2):
        assert call(live_server, "DELETE", f"/users/{bob['id']}/block", alice).get_json()["blocked"] is False
    assert call(live_server, "GET", "/me/blocks", alice).get_json() == {"users": []}


def test_each_can_block_the_other_and_one_unblock_keeps_the_other_block(live_server, smtp, live_socket):
    alice, bob = live_server.signup_verify_login(smtp), live_server.signup_verify_login(smtp)
    a, b = live_socket(live_server, alice, ALL), live_socket(live_server, bob, ALL)
    chat_id = ok(a.call("fetch-personal-chat", {"Partner": bob["id"]}, P))["ChatId"]
    for blocker, blocked in ((alice, bob), (bob, alice)):
        assert call(live_server, "PUT", f"/users/{blocked['id']}/block", blocker).status_code == 200
    assert call(live_server, "DELETE", f"/users/{bob['id']}/block", alice).status_code == 200
    # bob still blocks alice: alice cannot write, bob can; they still read as offline to each other.
    assert error_code(a.call("send-personal-message", {"ChatId": chat_id, "Content": "x"}, P)) == "blocked"
    ok(b.call("send-personal-message", {"ChatId": chat_id, "Content": "y"}, P))
    assert ok(a.call("get-online-info", {"UserIds": [bob["id"]]}))["Online"] == {bob["id"]: False}
    a.sync()
    assert [p["Online"] for p in a.received("presence") if p["UserId"] == bob["id"]] == [False, False]


# Mute

def test_mute_and_unmute_with_and_without_until_in_lists_and_the_inbox(live_server, smtp, live_socket, trio):
    alice, bob, carol, chat_id, group_id = trio
    later = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    past = datetime.now(timezone.utc) - timedelta(hours=1)

    def put(target, body=None, user=alice):
        return call(live_server, "PUT", f"/chats/{target}/mute", user, **({} if body is None else {"json": body}))

    def lists(user=alice):
        sock = live_socket(live_server, user, ("/",))
        personal = sock.wait_for("personal-chat-list")["PersonalChatList"]
        groups = sock.wait_for("group-chat-list")["GroupChatList"]
        sock.close()
        return ({e["ChatId"]: (e["Muted"], e["MutedUntil"]) for e in personal},
                {e["GroupId"]: (e["Muted"], e["MutedUntil"]) for e in groups})

    assert lists() == ({chat_id: (False, None)}, {group_id: (False, None)})
    assert put(chat_id).get_json() == {"ChatId": chat_id, "Muted": True, "MutedUntil": None}
    until = later.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert put(group_id, {"Until": later.isoformat()}).get_json() == {"GroupId": group_id, "Muted": True,
                                                                       "MutedUntil": until}
    assert lists() == ({chat_id: (True, None)}, {group_id: (True, until)})
    assert (inbox_entry(live_server, alice, "GroupId", group_id)["Muted"],
            inbox_entry(live_server, alice, "GroupId", group_id)["MutedUntil"]) == (True, until)
    assert lists(bob) == ({chat_id: (False, None)}, {group_id: (False, None)}), "a mute is the member's own"

    # A muted chat still counts Unread.
    ok(bob["sock"].call("send-group-message", {"GroupId": group_id, "Content": "still counted"}, G))
    assert inbox_entry(live_server, alice, "GroupId", group_id)["Unread"] == 1

    # An Until in the past is accepted, and reads as not muted.
    response = put(chat_id, {"Until": past.isoformat()})
    assert response.status_code == 200 and response.get_json() == {"ChatId": chat_id, "Muted": False,
                                                                    "MutedUntil": None}
    assert lists()[0] == {chat_id: (False, None)}
    assert inbox_entry(live_server, alice, "ChatId", chat_id)["Muted"] is False

    # A mute that ends reads as not muted once it has ended, with nothing run in between.
    soon = datetime.now(timezone.utc) + timedelta(seconds=1.5)
    assert put(chat_id, {"Until": soon.isoformat()}).get_json()["Muted"] is True
    assert inbox_entry(live_server, alice, "ChatId", chat_id)["Muted"] is True
    time.sleep(2)
    assert inbox_entry(live_server, alice, "ChatId", chat_id)["Muted"] is False

    # Unmute; twice is fine.
    for _ in range(2):
        response = call(live_server, "DELETE", f"/chats/{group_id}/mute", alice)
        assert response.get_json() == {"GroupId": group_id, "Muted": False, "MutedUntil": None}
    assert lists() == ({chat_id: (False, None)}, {group_id: (False, None)})

    # Members only; a bad Until is a validation error; nothing changes for either.
    for target in (chat_id, alice["id"] + "x", "0123456789abcdef01234567"):
        assert error_code(put(target, user=carol)) == "not_found"
        assert error_code(call(live_server, "DELETE", f"/chats/{target}/mute", carol)) == "not_found"
    for bad in ({"Until": "tomorrow"}, {"Until": 5}, {"Until": None}, {"Forever": True}):
        assert error_code(put(chat_id, bad)) == "validation_error", bad
    assert lists() == ({chat_id: (False, None)}, {group_id: (False, None)})


@pytest.mark.parametrize("until, stored", [
    (None, "9999-12-31T23:59:59.000Z"),  # no end
    (datetime(2030, 1, 2, 3, 4, 5, 678999, tzinfo=timezone.utc), "2030-01-02T03:04:05.678Z"),  # milliseconds
    (datetime(2030, 1, 2, 5, 0, tzinfo=timezone(timedelta(hours=2))), "2030-01-02T03:00:00.000Z"),  # to UTC
    (datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))), "9999-12-31T23:59:59.000Z"),  # past 9999
    (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))), "1970-01-01T00:00:00.000Z"),  # before year 1
])
def test_the_stored_end_of_a_mute_is_a_utc_time_any_database_holds(until, stored):
    from chat.chats.mute import mute_end
    from chat.kernel.clock import iso
    assert iso(mute_end(until)) == stored


def test_a_mute_reads_as_muted_only_until_it_ends():
    from chat.chats.mute import FOREVER, is_muted, mute_wire
    from chat.kernel.records import Chat
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    chat = Chat.from_doc({"_id": "a:b", "kind": "personal",
                          "muted": {"a": now + timedelta(seconds=1), "b": now - timedelta(seconds=1), "c": FOREVER}})
    assert [is_muted(chat, user, now) for user in "abcd"] == [True, False, True, False]
    assert is_muted(chat, "a", now + timedelta(seconds=2)) is False  # ended: nothing had to run
    assert mute_wire(chat, "a", now) == {"Muted": True, "MutedUntil": "2030-01-01T00:00:01.000Z"}
    assert mute_wire(chat, "b", now) == mute_wire(chat, "d", now) == {"Muted": False, "MutedUntil": None}
    assert mute_wire(chat, "c", now) == {"Muted": True, "MutedUntil": None}


# Across two processes: a block takes effect at once for sockets already open on the other process.

@pytest.mark.redis
def test_a_block_on_one_process_takes_effect_for_sockets_open_on_the_other(smtp, tmp_path, redis_server,
                                                                          live_socket):
    a, b = start_cluster(smtp, tmp_path, redis_server.url, PRESENCE_TTL=2)
    try:
        alice, bob = a.signup_verify_login(smtp), b.signup_verify_login(smtp)
        on_a = live_socket(a, alice, ALL)  # alice's socket on process A
        on_b = live_socket(b, bob, ALL)  # bob's on process B
        chat_id = ok(on_a.call("fetch-personal-chat", {"Partner": bob["id"]}, P))["ChatId"]
        assert ok(on_b.call("get-online-info", {"UserIds": [alice["id"]]}))["Online"] == {alice["id"]: True}

        assert call(b, "PUT", f"/users/{alice['id']}/block", bob).status_code == 200  # on process B
        assert on_a.wait_for("presence", match=lambda p: p["UserId"] == bob["id"] and not p["Online"])
        assert on_b.wait_for("presence", match=lambda p: p["UserId"] == alice["id"] and not p["Online"])
        refused = on_a.call("send-personal-message", {"ChatId": chat_id, "Content": "across"}, P)
        assert error_code(refused) == "blocked"
        ok(on_a.call("typing", {"ChatId": chat_id}, P))
        assert ok(on_a.call("get-online-info", {"UserIds": [bob["id"]]}))["Online"] == {bob["id"]: False}
        on_b.sync()
        assert on_b.received("typing", P) == [] and on_b.received("receive-personal-message", P) == []

        assert call(a, "DELETE", f"/users/{alice['id']}/block", bob).status_code == 200  # on process A
        assert on_a.wait_for("presence", match=lambda p: p["UserId"] == bob["id"] and p["Online"])
        sent = ok(on_a.call("send-personal-message", {"ChatId": chat_id, "Content": "across again"}, P))
        assert on_b.wait_for("receive-personal-message", P)["Message"]["MessageId"] == sent["Message"]["MessageId"]
    finally:
        for instance in (a, b):
            instance.stop()
