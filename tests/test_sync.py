"""Catch-up that never misses a change (SPEC v3): `Rev` on chats and messages, `sync-chat` on the three
namespaces and `GET /chats/<id>/changes`.

Every kind of change (send, edit, reaction on and off, deletion) comes back in Rev order with the message's
current state; paging by Limit loses nothing; strangers and bad input are refused and change nothing; a change
whose Rev is taken but whose write has not landed holds every answer below it (chat/messages/sync.py). The race
between two live processes is tests/test_sync_race.py.
"""
import threading

import pytest

from chat.kernel.kinds import ChatRef
from chat.messages import sync
from conftest import bearer, error_code, unchanged


def as_user(user):
    return {"id": user["id"], "username": user["username"], "Bot": False}


def ok(ack):
    assert ack and ack.get("ok") is True, ack
    return ack


@pytest.fixture
def pair(app, accounts, connect_socket):
    """(alice, bob, alice's /personal socket, bob's /personal socket, the chat id)."""
    alice, bob = accounts.user(), accounts.user()
    a, b = connect_socket(app, alice, "/personal"), connect_socket(app, bob, "/personal")
    chat_id = ok(a.emit("fetch-personal-chat", {"Partner": bob["id"]}, namespace="/personal",
                        callback=True))["ChatId"]
    return alice, bob, a, b, chat_id


def call(sock, event, data, namespace="/personal"):
    return sock.emit(event, data, namespace=namespace, callback=True)


def test_every_kind_of_change_comes_back_in_rev_order(pair, client):
    alice, bob, a, b, chat_id = pair
    sent = [ok(call(a, "send-personal-message", {"ChatId": chat_id, "Content": f"m{i}"}))["Message"]
            for i in range(4)]
    assert [m["Rev"] for m in sent] == [1, 2, 3, 4]
    start = ok(call(b, "sync-chat", {"ChatId": chat_id, "SinceRev": 0}))
    assert [m["MessageId"] for m in start["Messages"]] == [m["MessageId"] for m in sent]
    assert start["Rev"] == 4 and start["HasMore"] is False
    edited = ok(call(a, "edit-personal-message", {"ChatId": chat_id, "MessageId": sent[1]["MessageId"],
                                                  "Content": "m1 again"}))["Message"]
    ok(call(b, "react-message", {"ChatId": chat_id, "MessageId": sent[0]["MessageId"], "Emoji": "👍", "On": True}))
    ok(call(a, "delete-personal-message", {"ChatId": chat_id, "MessageId": sent[2]["MessageId"]}))
    ok(call(b, "react-message", {"ChatId": chat_id, "MessageId": sent[0]["MessageId"], "Emoji": "👍", "On": False}))
    ok(call(b, "react-message", {"ChatId": chat_id, "MessageId": sent[3]["MessageId"], "Emoji": "🎉", "On": True}))
    assert edited["Rev"] == 5
    later = ok(call(b, "sync-chat", {"ChatId": chat_id, "SinceRev": start["Rev"]}))
    assert [(m["MessageId"], m["Rev"]) for m in later["Messages"]] == [
        (sent[1]["MessageId"], 5), (sent[2]["MessageId"], 7), (sent[0]["MessageId"], 8), (sent[3]["MessageId"], 9)]
    by_id = {m["MessageId"]: m for m in later["Messages"]}
    assert by_id[sent[1]["MessageId"]]["Content"] == "m1 again"
    assert by_id[sent[2]["MessageId"]]["Deleted"] is True and by_id[sent[2]["MessageId"]]["Content"] == ""
    assert by_id[sent[0]["MessageId"]]["Reactions"] == []
    assert by_id[sent[3]["MessageId"]]["Reactions"][0]["Emoji"] == "🎉"
    assert later["Rev"] == 9 and later["HasMore"] is False
    assert ok(call(b, "sync-chat", {"ChatId": chat_id, "SinceRev": 9})) == {
        "ok": True, "Messages": [], "Rev": 9, "HasMore": False}
    # REST answers the same body; the inbox entry carries the chat's Rev
    rest = client.get(f"/chats/{chat_id}/changes?since_rev=4", headers=bearer(bob["access"]))
    assert rest.status_code == 200 and rest.get_json() == {k: v for k, v in later.items() if k != "ok"}
    inbox = client.get("/chats", headers=bearer(bob["access"])).get_json()
    assert [e["Rev"] for e in inbox["entries"] if e.get("ChatId") == chat_id] == [9]


def test_paging_by_limit_loses_nothing_in_every_kind(app, accounts, connect_socket):
    alice, bob = accounts.user(), accounts.user()
    g = connect_socket(app, alice, "/group")
    s = connect_socket(app, alice, "/self")
    group_id = ok(call(g, "create-group-chat", {"Name": "sync", "Participants": [bob["id"]]}, "/group"))[
        "Group"]["GroupId"]
    for namespace, sock, target, send in (("/group", g, {"GroupId": group_id}, "send-group-message"),
                                          ("/self", s, {}, "send-self-message")):
        ids = [ok(call(sock, send, {**target, "Content": f"n{i}"}, namespace))["Message"]["MessageId"]
               for i in range(7)]
        ok(call(sock, "react-message", {**target, "MessageId": ids[0], "Emoji": "👍", "On": True}, namespace))
        seen, rev, pages = [], 0, 0
        while True:
            page = ok(call(sock, "sync-chat", {**target, "SinceRev": rev, "Limit": 3}, namespace))
            assert len(page["Messages"]) <= 3 and page["Rev"] >= rev
            seen += [m["MessageId"] for m in page["Messages"]]
            rev, pages = page["Rev"], pages + 1
            if not page["HasMore"]:
                break
        assert seen == ids[1:] + ids[:1] and rev == 8 and pages == 3, (namespace, seen, rev, pages)
        if namespace == "/group":
            assert all("GroupId" in m for m in page["Messages"])


def test_strangers_and_bad_input_are_refused_and_change_nothing(pair, app, accounts, connect_socket, client, db):
    alice, bob, a, b, chat_id = pair
    ok(call(a, "send-personal-message", {"ChatId": chat_id, "Content": "secret"}))
    eve = accounts.user()
    e = connect_socket(app, eve, "/personal")
    with unchanged(db, "chats", "messages"):
        assert error_code(call(e, "sync-chat", {"ChatId": chat_id, "SinceRev": 0})) == "not_found"
        assert client.get(f"/chats/{chat_id}/changes?since_rev=0",
                          headers=bearer(eve["access"])).status_code == 404
        for bad in ({"ChatId": chat_id}, {"ChatId": chat_id, "SinceRev": "0"}, {"ChatId": chat_id, "SinceRev": -1},
                    {"ChatId": chat_id, "SinceRev": True}, {"ChatId": chat_id, "SinceRev": 1.5},
                    {"ChatId": chat_id, "SinceRev": 2 ** 64}, {"ChatId": chat_id, "SinceRev": 0, "Limit": 0},
                    {"ChatId": chat_id, "SinceRev": 0, "Limit": 101}, {"ChatId": {"$gt": ""}, "SinceRev": 0},
                    {"ChatId": chat_id, "SinceRev": 2}, {"ChatId": chat_id, "SinceRev": 0, "Other": 1}):
            assert error_code(call(a, "sync-chat", bad)) == "validation_error", bad
        for query in ("", "?since_rev=x", "?since_rev=-1", "?since_rev=0&limit=0", "?since_rev=5"):
            answer = client.get(f"/chats/{chat_id}/changes{query}", headers=bearer(alice["access"]))
            assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "validation_error", query
        assert client.get(f"/chats/{chat_id}/changes?since_rev=0").status_code == 401


def test_a_change_in_flight_holds_every_answer_below_it(captured_events, accounts):
    """A Rev taken and not yet written: a sync answers below it (after a bounded wait), then past it once the
    write lands. The writer here is the repositories themselves, stopped between their two commands."""
    services, _events = captured_events
    alice, bob = as_user(accounts.verified_user()), as_user(accounts.verified_user())
    chat, first, _ = services.messages.send(alice, ChatRef.personal(partner_id=bob["id"]), "one")
    ref = ChatRef.personal(chat.id)
    services.messages.send(alice, ref, "two")
    chats, messages = services.messages.chat_repo, services.messages.message_repo
    taken = chats.take_rev(chat.id, first["_id"])  # an edit in flight: Rev 3 taken, not written
    services.messages.send(alice, ref, "three")  # Rev 4 landed
    _chat, found, rev, more = services.messages.changes(bob, ref, 0)
    assert taken == 3 and rev == 2 and [m["rev"] for m in found] == [1, 2] and not more
    landed = threading.Event()

    def land():
        landed.wait()
        messages.edit_own(chat.id, first["_id"], alice["id"], "one, edited", first["created_at"], rev=taken)

    writer = threading.Thread(target=land)
    writer.start()
    landed.set()  # the write lands while the next sync waits for it
    _chat, found, rev, more = services.messages.changes(bob, ref, 2)
    writer.join()
    assert rev == 4 and [(m["content"], m["rev"]) for m in found] == [("one, edited", 3), ("three", 4)]
    assert sync.WAIT_SECONDS >= 0.5


def test_an_account_deletion_reaches_a_syncing_client_at_one_new_rev_per_chat(pair, client, db):
    """Deleting an account blanks its messages at a new Rev of each chat it wrote in (the quotes of them too), so
    a client syncing from its kept Rev sees them blanked; the old code blanked them without a Rev."""
    alice, bob, a, b, chat_id = pair
    mine = [ok(call(a, "send-personal-message", {"ChatId": chat_id, "Content": f"a{i}"}))["Message"] for i in range(3)]
    reply = ok(call(b, "send-personal-message", {"ChatId": chat_id, "Content": "re",
                                                 "ReplyTo": mine[0]["MessageId"]}))["Message"]
    kept = ok(call(b, "sync-chat", {"ChatId": chat_id, "SinceRev": 0}))["Rev"]
    assert kept == 4
    gone = client.delete("/me", json={"password": alice["password"]}, headers=bearer(alice["access"]))
    assert gone.status_code == 200, gone.get_json()
    later = ok(call(b, "sync-chat", {"ChatId": chat_id, "SinceRev": kept}))
    assert later["Rev"] == kept + 1 and later["HasMore"] is False
    by_id = {m["MessageId"]: m for m in later["Messages"]}
    assert sorted(by_id) == sorted([m["MessageId"] for m in mine] + [reply["MessageId"]])
    assert all(m["Rev"] == kept + 1 for m in later["Messages"])
    for m in mine:
        assert by_id[m["MessageId"]]["Deleted"] is True and by_id[m["MessageId"]]["Content"] == ""
        assert by_id[m["MessageId"]]["Sender"]["username"] == "deleted user"
    assert by_id[reply["MessageId"]]["ReplyTo"]["Deleted"] is True
    assert by_id[reply["MessageId"]]["ReplyTo"]["Excerpt"] == ""
    chat = db.chats.find_one({"_id": chat_id})
    assert chat["rev"] == kept + 1 and [entry["r"] for entry in chat["pending"]][-1] == kept + 1
