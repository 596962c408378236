"""Threads (SPEC v3, issue #33) on the real server process, with two users and live pushes: `ThreadOf` on every
send of every kind of chat, ThreadSeq, the root's summary, replies kept out of history pages, `Seq` and `Unread`,
`fetch-thread` and its REST twin paged by ThreadSeq, `thread-message` and `thread-updated`, catch-up, deletions,
search, and every bad `ThreadOf` refused with nothing stored."""
import time

import pytest
import requests

from conftest import error_code, unchanged

pytestmark = pytest.mark.live
P, G, S = "/personal", "/group", "/self"


def api(server, user, method, path, **kwargs):
    return requests.request(method, server.url + path, headers={"Authorization": f"Bearer {user['access']}"},
                            timeout=20, **kwargs)


def ok(ack):
    assert ack and ack.get("ok") is True, ack
    return ack


@pytest.fixture
def duo(live_server, live_socket):
    """(alice, bob, alice's socket, bob's socket, their personal chat id)."""
    alice, bob = live_server.verified_user(), live_server.verified_user()
    a = live_socket(live_server, alice, ("/", P, G, S))
    b = live_socket(live_server, bob, ("/", P, G, S))
    chat = ok(a.call("fetch-personal-chat", {"Partner": bob["id"]}, P))["ChatId"]
    return alice, bob, a, b, chat


def send(sock, chat, content, namespace=P, **extra):
    key = {P: "ChatId", G: "GroupId"}.get(namespace)
    event = {P: "send-personal-message", G: "send-group-message", S: "send-self-message"}[namespace]
    return ok(sock.call(event, {**({key: chat} if key else {}), "Content": content, **extra}, namespace))["Message"]


def test_a_reply_goes_into_the_thread_and_never_into_the_timeline(live_server, duo):
    alice, bob, a, b, chat = duo
    root = send(a, chat, "shall we deploy?")
    assert root["ThreadOf"] is None and root["Thread"] is None
    reply = send(b, chat, "yes, after lunch", ThreadOf=root["MessageId"])
    assert reply["ThreadOf"] == root["MessageId"] and reply["ThreadSeq"] == 1 and reply["Seq"] is None
    after = send(a, chat, "top level again")
    assert after["Seq"] == root["Seq"] + 1  # Seq stays gap-free among top-level messages
    # alice sees the reply and the root's new summary live; bob's own socket has its ack, not the push
    pushed = a.wait_for("thread-message", P)
    assert pushed == {"ChatId": chat, "Message": reply}
    updated = a.wait_for("thread-updated", P)
    assert updated["ChatId"] == chat and updated["MessageId"] == root["MessageId"]
    assert updated["Thread"]["ReplyCount"] == 1 and updated["Thread"]["Participants"] == [bob["id"]]
    assert updated["Thread"]["LastReplyAt"] == reply["CreatedAt"]
    b.sync()
    assert b.received("thread-message", P) == [] and b.wait_for("thread-updated", P)["Thread"]["ReplyCount"] == 1
    assert [m for _e, m in a.events[P] if _e == "receive-personal-message"] == []  # a reply is no new message
    # history pages and Unread hold top-level messages only
    history = api(live_server, bob, "GET", f"/chats/personal/{alice['id']}/messages").json()
    assert [m["MessageId"] for m in history["Messages"]] == [root["MessageId"], after["MessageId"]]
    assert history["Messages"][0]["Thread"]["ReplyCount"] == 1
    inbox = api(live_server, alice, "GET", "/chats").json()["entries"]
    [entry] = [e for e in inbox if e.get("ChatId") == chat]
    assert entry["Unread"] == 0 and entry["LastMessage"]["MessageId"] == after["MessageId"]
    inbox = api(live_server, bob, "GET", "/chats").json()["entries"]
    [entry] = [e for e in inbox if e.get("ChatId") == chat]
    assert entry["Unread"] == 2  # root and "top level again"; the reply is not counted
    # the thread itself: the root and its replies, over the socket and REST alike
    page = ok(b.call("fetch-thread", {"ChatId": chat, "MessageId": root["MessageId"]}, P))
    assert page["Root"]["MessageId"] == root["MessageId"] and page["Messages"] == [reply]
    assert page["HasMore"] is False
    rest = api(live_server, alice, "GET", f"/messages/{root['MessageId']}/thread").json()
    assert rest == {k: v for k, v in page.items() if k != "ok"}


def test_every_kind_of_chat_and_rest_sends_take_thread_of(live_server, duo):
    alice, bob, a, b, chat = duo
    group = ok(a.call("create-group-chat", {"Name": "team", "Participants": [bob["id"]]}, G))["Group"]["GroupId"]
    b.wait_for("group-created", G)
    for namespace, target, sock in ((G, group, b), (S, None, a), (P, chat, a)):
        root = send(a, target, f"root in {namespace}", namespace)
        first = send(sock, target, "first", namespace, ThreadOf=root["MessageId"])
        path = {G: f"/groups/{group}/messages", S: "/chats/self/messages",
                P: f"/chats/personal/{bob['id']}/messages"}[namespace]
        answer = api(live_server, alice, "POST", path, json={"Content": "second", "ThreadOf": root["MessageId"]})
        assert answer.status_code == 201, answer.text
        second = answer.json()["Message"]
        assert [first["ThreadSeq"], second["ThreadSeq"]] == [1, 2]
        if namespace == G:
            assert first["GroupId"] == group and second["GroupId"] == group
            pushed = a.wait_for("thread-message", G, match=lambda d: d["Message"]["MessageId"] == first["MessageId"])
            assert pushed["GroupId"] == group
        page = ok(a.call("fetch-thread", {**({"ChatId": target} if namespace == P else {}),
                                          **({"GroupId": target} if namespace == G else {}),
                                          "MessageId": root["MessageId"]}, namespace))
        assert [m["Content"] for m in page["Messages"]] == ["first", "second"]
        assert page["Root"]["Thread"]["ReplyCount"] == 2
        participants = page["Root"]["Thread"]["Participants"]
        assert participants == ([bob["id"], alice["id"]] if sock is b else [alice["id"]])


def test_bad_thread_of_and_strangers_are_refused_and_store_nothing(live_server, duo, live_socket):
    alice, bob, a, b, chat = duo
    root = send(a, chat, "root")
    reply = send(b, chat, "in the thread", ThreadOf=root["MessageId"])
    gone = send(a, chat, "to be deleted")
    ok(a.call("delete-personal-message", {"ChatId": chat, "MessageId": gone["MessageId"]}, P))
    other_chat = ok(a.call("fetch-personal-chat", {"Partner": live_server.verified_user()["id"]}, P))["ChatId"]
    elsewhere = send(a, other_chat, "another chat's message")
    db = live_server.db()
    bad = {"unknown id": f"{chat}:999", "garbage": "nonsense", "another chat's message": elsewhere["MessageId"],
           "a reply": reply["MessageId"], "a deleted message": gone["MessageId"]}
    with unchanged(db, "chats", "messages", "thread_follows"):
        for why, value in bad.items():
            ack = a.call("send-personal-message", {"ChatId": chat, "Content": "x", "ThreadOf": value}, P)
            assert error_code(ack) == "validation_error" and "ThreadOf" in ack["error"]["fields"], (why, ack)
            answer = api(live_server, bob, "POST", f"/chats/personal/{alice['id']}/messages",
                         json={"Content": "x", "ThreadOf": value})
            assert answer.status_code == 422 and error_code(answer) == "validation_error", (why, answer.text)
        for value in (123, {"$gt": ""}, ["x"], True):  # the wrong type
            ack = a.call("send-personal-message", {"ChatId": chat, "Content": "x", "ThreadOf": value}, P)
            assert error_code(ack) == "validation_error" and "ThreadOf" in ack["error"]["fields"], (value, ack)
        # a stranger learns nothing, over the socket and REST
        eve = live_server.verified_user()
        e = live_socket(live_server, eve, (P,))
        ack = e.call("send-personal-message", {"ChatId": chat, "Content": "x", "ThreadOf": root["MessageId"]}, P)
        assert error_code(ack) == "not_found"
        ack = e.call("fetch-thread", {"ChatId": chat, "MessageId": root["MessageId"]}, P)
        assert error_code(ack) == "not_found"
        assert api(live_server, eve, "GET", f"/messages/{root['MessageId']}/thread").status_code == 404
        ack = e.call("follow-thread", {"ChatId": chat, "MessageId": root["MessageId"], "On": True}, P)
        assert error_code(ack) == "not_found"
        ack = e.call("read-thread", {"ChatId": chat, "MessageId": root["MessageId"]}, P)
        assert error_code(ack) == "not_found"
        # fetch-thread of something that is not a root, or with a cursor from elsewhere
        for value in (reply["MessageId"], f"{chat}:999", elsewhere["MessageId"]):
            ack = a.call("fetch-thread", {"ChatId": chat, "MessageId": value}, P)
            assert error_code(ack) in ("validation_error", "not_found"), ack
        ack = a.call("fetch-thread", {"ChatId": chat, "MessageId": root["MessageId"], "Before": root["MessageId"]}, P)
        assert error_code(ack) == "validation_error"
    b.sync()
    assert len(a.received("thread-message", P)) == 1  # the one good reply, nothing from the refusals


def test_thread_seq_stays_gap_free_under_racing_replies_and_sync_returns_them(live_server, duo):
    import concurrent.futures
    alice, bob, a, b, chat = duo
    root = send(a, chat, "race here")
    start = ok(b.call("sync-chat", {"ChatId": chat, "SinceRev": 0}, P))["Rev"]

    def reply(n):
        user, partner = (alice, bob) if n % 2 else (bob, alice)
        answer = api(live_server, user, "POST", f"/chats/personal/{partner['id']}/messages",
                     json={"Content": f"r{n}", "ThreadOf": root["MessageId"]})
        assert answer.status_code == 201, answer.text
        return answer.json()["Message"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(reply, range(40)))
    assert sorted(r["ThreadSeq"] for r in replies) == list(range(1, 41))
    assert len({r["MessageId"] for r in replies}) == 40
    page = api(live_server, alice, "GET", f"/messages/{root['MessageId']}/thread?limit=100").json()
    assert [m["ThreadSeq"] for m in page["Messages"]] == list(range(1, 41))
    assert page["Root"]["Thread"]["ReplyCount"] == 40
    assert sorted(page["Root"]["Thread"]["Participants"]) == sorted([alice["id"], bob["id"]])
    # paged like history: Before / After by ThreadSeq
    older = api(live_server, bob, "GET", f"/messages/{root['MessageId']}/thread",
                params={"before": page["Messages"][10]["MessageId"], "limit": 5}).json()
    assert [m["ThreadSeq"] for m in older["Messages"]] == [6, 7, 8, 9, 10] and older["HasMore"] is True
    newer = api(live_server, bob, "GET", f"/messages/{root['MessageId']}/thread",
                params={"after": page["Messages"][34]["MessageId"], "limit": 10}).json()
    assert [m["ThreadSeq"] for m in newer["Messages"]] == [36, 37, 38, 39, 40] and newer["HasMore"] is False
    # catch-up as a client does it: sync from the Rev each answer gives until it is the chat's Rev (an answer
    # may stop below a change it still sees in flight, never past one). Every reply once, the root with its
    # final summary, in Rev order.
    final = next(e for e in api(live_server, bob, "GET", "/chats").json()["entries"] if e.get("ChatId") == chat)["Rev"]
    seen, rev, deadline = [], start, time.monotonic() + 60
    while rev < final:
        assert time.monotonic() < deadline, f"sync stuck at Rev {rev} of {final}"
        changes = ok(b.call("sync-chat", {"ChatId": chat, "SinceRev": rev}, P))
        assert start <= rev <= changes["Rev"] <= final
        seen += changes["Messages"]
        rev = changes["Rev"]
    assert changes["HasMore"] is False
    latest = {m["MessageId"]: m for m in seen}  # a message changed again is sent again, at its newer Rev
    assert len(latest) == 41 and {m["MessageId"] for m in replies} <= set(latest)
    assert len([m for m in seen if m["MessageId"] != root["MessageId"]]) == 40  # each reply once
    assert latest[root["MessageId"]]["Thread"]["ReplyCount"] == 40
    assert [m["Rev"] for m in seen] == sorted(m["Rev"] for m in seen)
    # the timeline did not move: no Seq taken, nothing unread
    assert ok(a.call("fetch-personal-chat", {"Partner": bob["id"], "ChatId": chat}, P))["Messages"][-1][
        "MessageId"] == root["MessageId"]
    entry = [e for e in api(live_server, bob, "GET", "/chats").json()["entries"] if e.get("ChatId") == chat][0]
    assert entry["Unread"] == 1 and entry["Rev"] == changes["Rev"]


def test_deleting_replies_and_roots(live_server, duo):
    alice, bob, a, b, chat = duo
    root = send(a, chat, "root to delete")
    first = send(b, chat, "first reply", ThreadOf=root["MessageId"])
    second = send(a, chat, "second reply", ThreadOf=root["MessageId"])
    # a reply is edited and deleted like any message; its root counts one fewer
    edited = ok(b.call("edit-personal-message", {"ChatId": chat, "MessageId": first["MessageId"],
                                                 "Content": "first, edited"}, P))["Message"]
    assert edited["Content"] == "first, edited" and edited["ThreadOf"] == root["MessageId"]
    a.wait_for("personal-message-edited", P)
    ok(b.call("delete-personal-message", {"ChatId": chat, "MessageId": first["MessageId"]}, P))
    updated = a.wait_for("thread-updated", P, match=lambda d: d["Thread"]["ReplyCount"] == 1)
    assert updated["MessageId"] == root["MessageId"]
    assert api(live_server, alice, "DELETE", f"/messages/{second['MessageId']}").status_code == 200
    b.wait_for("thread-updated", P, match=lambda d: d["Thread"]["ReplyCount"] == 0)
    third = send(b, chat, "third reply", ThreadOf=root["MessageId"])
    assert third["ThreadSeq"] == 3  # ThreadSeq is never reused
    # deleting the root keeps its thread readable; nobody can reply to it any more
    ok(a.call("delete-personal-message", {"ChatId": chat, "MessageId": root["MessageId"]}, P))
    page = ok(b.call("fetch-thread", {"ChatId": chat, "MessageId": root["MessageId"]}, P))
    assert page["Root"]["Deleted"] is True and page["Root"]["Content"] == ""
    assert page["Root"]["Thread"]["ReplyCount"] == 1
    assert [(m["ThreadSeq"], m["Deleted"], m["Content"]) for m in page["Messages"]] == [
        (1, True, ""), (2, True, ""), (3, False, "third reply")]
    ack = b.call("send-personal-message", {"ChatId": chat, "Content": "late", "ThreadOf": root["MessageId"]}, P)
    assert error_code(ack) == "validation_error"
    # a reply is not a read position of the main timeline
    ack = b.call("read-personal-message", {"ChatId": chat, "UpTo": third["MessageId"]}, P)
    assert error_code(ack) == "validation_error"


def test_replies_are_searched_and_leave_with_their_chat(live_server, duo):
    alice, bob, a, b, chat = duo
    root = send(a, chat, "plain root")
    send(b, chat, "the zeppelin arrives", ThreadOf=root["MessageId"])
    results = api(live_server, alice, "GET", "/search", params={"q": "zeppelin"}).json()["Results"]
    assert [(r["Message"]["Content"], r["Message"]["ThreadOf"]) for r in results] == [
        ("the zeppelin arrives", root["MessageId"])]
    eve = live_server.verified_user()
    assert api(live_server, eve, "GET", "/search", params={"q": "zeppelin"}).json()["Results"] == []


def followed(server, user, **params):
    answer = api(server, user, "GET", "/threads", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_authors_and_repliers_follow_with_unread_counts_most_recent_first(live_server, duo, live_socket):
    alice, bob, a, b, chat = duo
    carol = live_server.verified_user()
    c = live_socket(live_server, carol, (G,))
    group = ok(a.call("create-group-chat", {"Name": "follows", "Participants": [bob["id"], carol["id"]]},
                      G))["Group"]["GroupId"]
    c.wait_for("group-created", G)
    older = send(a, group, "older root", G)
    newer = send(b, group, "newer root", G)
    assert followed(live_server, alice)["entries"] == []  # no thread before the first reply
    send(b, group, "reply one", G, ThreadOf=older["MessageId"])
    send(c, group, "reply two", G, ThreadOf=older["MessageId"])
    send(a, group, "reply three", G, ThreadOf=newer["MessageId"])
    # alice: author of `older` (2 unread) and replier in `newer` (read up to her own reply)
    mine = followed(live_server, alice)
    assert [(e["Root"]["MessageId"], e["Unread"], e["GroupId"], e["Kind"]) for e in mine["entries"]] == [
        (newer["MessageId"], 0, group, "group"), (older["MessageId"], 2, group, "group")]
    assert mine["state"] == {"page": 1, "per_page": 20, "total": 2, "total_pages": 1}
    # bob: author of `newer` (1 unread), replier in `older` (carol's reply is unread)
    assert [(e["Root"]["MessageId"], e["Unread"]) for e in followed(live_server, bob)["entries"]] == [
        (newer["MessageId"], 1), (older["MessageId"], 1)]
    # carol follows only what she replied to
    assert [e["Root"]["MessageId"] for e in followed(live_server, carol)["entries"]] == [older["MessageId"]]
    # a reply moves its thread to the top; paging by per_page
    send(c, group, "reply four", G, ThreadOf=older["MessageId"])
    page = followed(live_server, alice, per_page=1)
    assert [(e["Root"]["MessageId"], e["Unread"]) for e in page["entries"]] == [(older["MessageId"], 3)]
    assert page["state"]["total"] == 2 and page["state"]["total_pages"] == 2
    assert followed(live_server, alice, per_page=1, page=2)["entries"][0]["Root"]["MessageId"] == newer["MessageId"]
    # read-thread clears Unread (up to a reply, or everything), and never moves back
    replies = ok(a.call("fetch-thread", {"GroupId": group, "MessageId": older["MessageId"]}, G))["Messages"]
    ack = ok(a.call("read-thread", {"GroupId": group, "MessageId": older["MessageId"],
                                    "UpTo": replies[0]["MessageId"]}, G))
    assert ack["Moved"] is True and ack["GroupId"] == group
    assert followed(live_server, alice)["entries"][0]["Unread"] == 2
    ok(a.call("read-thread", {"GroupId": group, "MessageId": older["MessageId"]}, G))
    assert followed(live_server, alice)["entries"][0]["Unread"] == 0
    assert ok(a.call("read-thread", {"GroupId": group, "MessageId": older["MessageId"],
                                     "UpTo": replies[0]["MessageId"]}, G))["Moved"] is False
    # follow-thread off: gone from the list; on again (having read what was there)
    assert ok(a.call("follow-thread", {"GroupId": group, "MessageId": older["MessageId"], "On": False},
                     G))["Following"] is False
    assert [e["Root"]["MessageId"] for e in followed(live_server, alice)["entries"]] == [newer["MessageId"]]
    send(b, group, "alice is not following", G, ThreadOf=older["MessageId"])  # her unfollow stays
    assert [e["Root"]["MessageId"] for e in followed(live_server, alice)["entries"]] == [newer["MessageId"]]
    ok(a.call("follow-thread", {"GroupId": group, "MessageId": older["MessageId"], "On": True}, G))
    assert [(e["Root"]["MessageId"], e["Unread"]) for e in followed(live_server, alice)["entries"]] == [
        (older["MessageId"], 1), (newer["MessageId"], 0)]
    # a mention in a thread makes the one mentioned follow it, and never counts in the timeline's UnreadMentions
    send(b, group, f"@{carol['username']} look", G, ThreadOf=newer["MessageId"])
    assert [(e["Root"]["MessageId"], e["Unread"]) for e in followed(live_server, carol)["entries"]] == [
        (newer["MessageId"], 1), (older["MessageId"], 1)]
    entry = [e for e in api(live_server, carol, "GET", "/chats").json()["entries"] if e.get("GroupId") == group][0]
    assert entry["UnreadMentions"] == 0 and entry["Unread"] == 2
    # someone who leaves the group no longer lists its threads
    ok(c.call("leave-grp", {"GroupId": group}, G))
    assert followed(live_server, carol) == {"state": {"page": 1, "per_page": 20, "total": 0, "total_pages": 0},
                                            "entries": []}
    ack = c.call("fetch-thread", {"GroupId": group, "MessageId": older["MessageId"]}, G)
    assert error_code(ack) == "not_found"


def test_account_deletion_blanks_replies_like_other_messages(live_server, duo):
    from conftest import PASSWORD
    alice, bob, a, b, chat = duo
    root = send(a, chat, "root before bob leaves")
    before = ok(a.call("sync-chat", {"ChatId": chat, "SinceRev": 0}, P))["Rev"]
    for text in ("bob's first", "bob's second"):
        send(b, chat, text, ThreadOf=root["MessageId"])
    assert live_server.db()["thread_follows"].count_documents({"user_id": bob["id"]}) == 1
    answer = api(live_server, bob, "DELETE", "/me", json={"password": PASSWORD})
    assert answer.status_code == 200, answer.text
    page = ok(a.call("fetch-thread", {"ChatId": chat, "MessageId": root["MessageId"]}, P))
    assert [(m["Deleted"], m["Content"], m["Sender"]["username"], m["ThreadSeq"]) for m in page["Messages"]] == [
        (True, "", "deleted user", 1), (True, "", "deleted user", 2)]
    assert page["Root"]["Thread"]["ReplyCount"] == 2  # they stay as deleted placeholders (docs/api.md)
    changed = ok(a.call("sync-chat", {"ChatId": chat, "SinceRev": before}, P))["Messages"]
    assert {m["MessageId"]: m["Deleted"] for m in changed if m.get("ThreadOf")} == {
        m["MessageId"]: True for m in page["Messages"]}
    assert live_server.db()["thread_follows"].count_documents({"user_id": bob["id"]}) == 0
    assert api(live_server, alice, "GET", "/search", params={"q": "first"}).json()["Results"] == []


def test_a_blocked_partner_cannot_reply_in_a_thread(live_server, duo):
    alice, bob, a, b, chat = duo
    root = send(b, chat, "bob's root")
    assert api(live_server, bob, "PUT", f"/users/{alice['id']}/block").status_code == 200
    with unchanged(live_server.db(), "chats", "messages", "thread_follows"):
        ack = a.call("send-personal-message",
                     {"ChatId": chat, "Content": "let me in", "ThreadOf": root["MessageId"]}, P)
        assert error_code(ack) == "blocked"
        answer = api(live_server, alice, "POST", f"/chats/personal/{bob['id']}/messages",
                     json={"Content": "let me in", "ThreadOf": root["MessageId"]})
        assert answer.status_code == 403 and error_code(answer) == "blocked"
    b.sync()
    assert b.received("thread-message", P) == [] and b.received("thread-updated", P) == []


def test_slow_mode_holds_thread_replies_back_too(live_server, duo):
    alice, bob, a, b, chat = duo
    group = ok(a.call("create-group-chat", {"Name": "slow", "Participants": [bob["id"]]}, G))["Group"]["GroupId"]
    root = send(a, group, "root", G)
    ok(a.call("update-group", {"GroupId": group, "SlowModeSeconds": 60}, G))
    first = send(b, group, "first reply", G, ThreadOf=root["MessageId"])
    with unchanged(live_server.db(), "messages", "thread_follows"):
        ack = b.call("send-group-message", {"GroupId": group, "Content": "too soon", "ThreadOf": root["MessageId"]}, G)
        assert error_code(ack) == "rate_limited"
        ack = b.call("send-group-message", {"GroupId": group, "Content": "top level, too soon"}, G)
        assert error_code(ack) == "rate_limited"  # the reply counted as the member's message
    assert send(a, group, "the admin is not held back", G, ThreadOf=root["MessageId"])["ThreadSeq"] == 2
    assert first["ThreadSeq"] == 1
