"""Retention (issue #38) through a live server whose sweep runs every half second: messages older than their
chat's retention become placeholders (Deleted, empty) with Seq gap-free and a new Rev, their files, search
entries, edit history and reactions gone; a group's RetentionDays shortens the server's RETENTION_DAYS."""
import time
from datetime import timedelta

import pytest
import requests

from chat.kernel.clock import utcnow
from conftest import DEADLINE, bearer, error_code, start_live_server, stop_live_server

pytestmark = pytest.mark.live

SERVER_DAYS = 30


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory):
    """A live server keeping messages SERVER_DAYS days, sweeping twice a second."""
    started = start_live_server(smtp, tmp_path_factory.mktemp("retention"), RETENTION_DAYS=SERVER_DAYS,
                                RETENTION_SWEEP_INTERVAL=0.5, RETENTION_BATCH=2, RETENTION_PAUSE=0)
    yield started
    stop_live_server(started)


def call(server, method, path, user, **kwargs):
    answer = requests.request(method, server.url + path, headers=bearer(user["access"]), timeout=DEADLINE, **kwargs)
    return answer


def send(server, sender, path, content, **extra):
    answer = call(server, "POST", path, sender, json={"Content": content, **extra})
    assert answer.status_code == 201, answer.json()
    return answer.json()["Message"]


def age(server, messages, days):
    """Make messages look `days` old (as if sent then): the sweep goes by CreatedAt."""
    server.db()["messages"].update_many({"_id": {"$in": [m["MessageId"] for m in messages]}},
                                        {"$set": {"created_at": utcnow() - timedelta(days=days)}})


def wait_expired(server, message):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if server.db()["messages"].find_one({"_id": message["MessageId"], "expired": True}):
            return
        time.sleep(0.1)
    raise AssertionError(f"{message['MessageId']} not expired within {DEADLINE} s:\n{server.log()[-3000:]}")


def changes(server, user, chat_id, since):
    answer = call(server, "GET", f"/chats/{chat_id}/changes", user, params={"since_rev": since})
    assert answer.status_code == 200, answer.json()
    return answer.json()


def test_old_messages_become_placeholders_and_clients_catch_up(server):
    alice, bob = server.verified_user(), server.verified_user()
    upload = call(server, "POST", "/files", alice, files={"file": ("notes.txt", b"old secret notes")})
    assert upload.status_code == 201, upload.json()
    file_id = upload.json()["File"]["FileId"]
    path = f"/chats/personal/{bob['id']}/messages"
    first = send(server, alice, path, "zebracrossing with a file", Attachments=[file_id])
    second = send(server, alice, path, "quartzlamp first words")
    third = send(server, bob, f"/chats/personal/{alice['id']}/messages", "a reply to that",
                 ReplyTo=second["MessageId"])
    fourth = send(server, alice, path, "zebracrossing still fresh")
    chat_id = first["ChatId"]
    assert call(server, "PATCH", f"/messages/{second['MessageId']}", alice,
                json={"Content": "quartzlamp edited words"}).status_code == 200
    assert call(server, "PUT", f"/messages/{second['MessageId']}/reactions/👍", bob).status_code == 200
    before = changes(server, bob, chat_id, 0)["Rev"]

    age(server, [first, second, third], days=SERVER_DAYS + 1)
    wait_expired(server, third)

    # A client that synced up to `before` is told of the three placeholders, at a higher Rev.
    caught_up = changes(server, bob, chat_id, before)
    assert caught_up["Rev"] > before
    by_id = {m["MessageId"]: m for m in caught_up["Messages"]}
    assert set(by_id) == {first["MessageId"], second["MessageId"], third["MessageId"]}
    for message in by_id.values():
        assert message["Deleted"] is True and message["Content"] == ""
        assert message["Reactions"] == [] and message["Attachments"] == [] and message["Rev"] > before
    # The history keeps every Seq, the fresh message untouched.
    page = call(server, "GET", path, alice, params={"limit": 50}).json()["Messages"]
    assert [m["Seq"] for m in page] == [1, 2, 3, 4]
    assert [m["Deleted"] for m in page] == [True, True, True, False] and page[3]["Content"] == fourth["Content"]
    # Edit history, reactions, quote, search entries and the file are gone.
    stored = server.db()["messages"].find_one({"_id": second["MessageId"]})
    assert "history" not in stored and stored["grams"] == [] and stored["reactions"] == []
    history = call(server, "GET", f"/messages/{second['MessageId']}/history", alice).json()
    assert history["Versions"] == []
    assert server.db()["messages"].find_one({"_id": third["MessageId"]})["reply_to"] is None
    found = call(server, "GET", "/search", alice, params={"q": "zebracrossing"}).json()["Results"]
    assert [r["Message"]["MessageId"] for r in found] == [fourth["MessageId"]]
    assert call(server, "GET", "/search", alice, params={"q": "quartzlamp"}).json()["Results"] == []
    assert call(server, "GET", f"/files/{file_id}", alice).status_code == 404
    assert server.db()["files.files"].find_one({"_id": __import__("bson").ObjectId(file_id)}) is None


def test_a_group_may_keep_messages_for_fewer_days_and_self_chats_expire_too(server, live_socket):
    admin, bob = server.verified_user(), server.verified_user()
    sock = live_socket(server, admin, ("/group",))
    gid = sock.call("create-group-chat", {"Name": "Short memory", "Participants": [bob["id"]]},
                    namespace="/group")["Group"]["GroupId"]
    longer = sock.call("update-group", {"GroupId": gid, "RetentionDays": SERVER_DAYS + 1}, namespace="/group")
    assert error_code(longer) == "validation_error" and "RetentionDays" in longer["error"]["fields"]
    assert server.db()["chats"].find_one({"_id": gid}).get("retention_days") is None  # refused: nothing changed
    bobs = live_socket(server, bob, ("/group",))
    assert error_code(bobs.call("update-group", {"GroupId": gid, "RetentionDays": 1}, namespace="/group")) == \
        "forbidden"
    assert sock.call("update-group", {"GroupId": gid, "RetentionDays": 7}, namespace="/group")["Group"][
        "RetentionDays"] == 7

    in_group = send(server, admin, f"/groups/{gid}/messages", "ten days old in the group")
    personal = send(server, admin, f"/chats/personal/{bob['id']}/messages", "ten days old between two")
    own = send(server, admin, "/chats/self/messages", "forty days old note to self")
    age(server, [in_group, personal], days=10)
    age(server, [own], days=SERVER_DAYS + 10)
    wait_expired(server, in_group)
    wait_expired(server, own)
    time.sleep(1.5)  # three more sweeps: the personal message (server's 30 days) stays
    kept = server.db()["messages"].find_one({"_id": personal["MessageId"]})
    assert kept["content"] == "ten days old between two" and not kept.get("expired")
    notes = call(server, "GET", "/chats/self/messages", admin).json()["Messages"]
    assert [(m["Seq"], m["Deleted"], m["Content"]) for m in notes] == [(1, True, "")]


def test_one_process_sweeps_at_a_time(make_app, smtp):
    """While another process holds the sweep's lease, a sweep does nothing; once it is given back, it works."""
    from conftest import Accounts
    app = make_app(RETENTION_DAYS=SERVER_DAYS)
    client, db = app.test_client(), app.extensions["chat.store"].db
    sweep = app.extensions["chat.services"].retention
    alice = Accounts(client, smtp).verified_user()
    sent_ = client.post("/chats/self/messages", json={"Content": "old"}, headers=bearer(alice["access"]))
    message = sent_.get_json()["Message"]
    db["messages"].update_one({"_id": message["MessageId"]},
                              {"$set": {"created_at": utcnow() - timedelta(days=SERVER_DAYS + 1)}})
    assert sweep.repo.take_lease("retention", "another-process", 300)
    assert sweep.sweep() == 0
    assert db["messages"].find_one({"_id": message["MessageId"]})["content"] == "old"
    sweep.repo.release_lease("retention", "another-process")
    assert sweep.sweep() == 1
    assert db["messages"].find_one({"_id": message["MessageId"]})["content"] == ""
    assert sweep.sweep() == 0  # nothing left: placeholders are not swept again
