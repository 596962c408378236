"""Richer messages through the real server process: replies, edit history, reactions and mentions with
UnreadMentions (SPEC v2, "Messages grow"), over python-socketio clients and live HTTP, in self, personal
and group chats. Negative checks ("nobody else got it") come after `sync()`."""
import json
import subprocess
import threading

import pytest
import requests
from test_live_sockets import js_command

from conftest import error_code

pytestmark = pytest.mark.live
S, P, G = "/self", "/personal", "/group"
EVERY = ("/", S, P, G)


def people(server, smtp, count):
    return [server.verified_user() for _ in range(count)]  # the signup mail is tested in test_live_auth.py


def call(sock, namespace, event, data):
    ack = sock.call(event, data, namespace=namespace)
    assert ack["ok"] is True, (event, ack)
    return ack


def rest(server, method, path, user, **kwargs):
    response = requests.request(method, f"{server.url}{path}", timeout=10,
                                headers={"Authorization": f"Bearer {user['access']}"}, **kwargs)
    return response.status_code, response.json()


@pytest.fixture
def trio(live_server, smtp, live_socket):
    """alice, bob and carol, each with a socket on every namespace; alice and bob's chat; a group of the three
    (alice admin). Returns (users, sockets by username, personal chat id, group id)."""
    alice, bob, carol = people(live_server, smtp, 3)
    socks = {u["username"]: live_socket(live_server, u, EVERY) for u in (alice, bob, carol)}
    chat_id = call(socks[alice["username"]], P, "fetch-personal-chat", {"Partner": bob["id"]})["ChatId"]
    group = call(socks[alice["username"]], G, "create-group-chat",
                 {"Name": "rich", "Participants": [bob["id"], carol["id"]]})["Group"]["GroupId"]
    return (alice, bob, carol), socks, chat_id, group


def sock_of(socks, user):
    return socks[user["username"]]


# The Message shape: every v1 key, plus the v2 ones.

def test_every_message_has_the_v2_keys_and_keeps_the_v1_ones(live_server, trio):
    (alice, bob, _carol), socks, chat_id, group = trio
    sent = call(sock_of(socks, alice), P, "send-personal-message", {"ChatId": chat_id, "Content": "plain"})["Message"]
    assert set(sent) == {"MessageId", "ChatId", "Sender", "Content", "CreatedAt", "EditedAt", "Deleted", "ClientId",
                         "Seq", "ReplyTo", "Reactions", "Mentions", "Attachments", "Rev",  # Rev: SPEC v3 catch-up
                         "Pinned", "DeletedBy",  # SPEC v3 moderation
                         "ThreadOf", "Thread"}  # SPEC v3 threads: a top-level message, no replies yet
    assert (sent["ThreadOf"], sent["Thread"]) == (None, None)
    assert (sent["ReplyTo"], sent["Reactions"], sent["Mentions"], sent["Attachments"]) == (None, [], [], [])
    pushed = sock_of(socks, bob).wait_for("receive-personal-message", P)
    assert pushed["Message"] == sent and pushed["Content"] == "plain"
    status, inbox = rest(live_server, "GET", "/chats", bob)
    assert status == 200
    [entry] = [e for e in inbox["entries"] if e.get("ChatId") == chat_id]
    assert entry["LastMessage"] == sent and "UnreadMentions" not in entry
    [group_entry] = [e for e in inbox["entries"] if e.get("GroupId") == group]
    assert group_entry["UnreadMentions"] == 0


# Replies

def test_replies_quote_the_message_in_every_kind_of_chat_and_over_rest(live_server, trio):
    (alice, bob, _carol), socks, chat_id, group = trio
    a, b = sock_of(socks, alice), sock_of(socks, bob)
    long_text = "x" * 130 + " tail"
    original = call(a, P, "send-personal-message", {"ChatId": chat_id, "Content": long_text})["Message"]
    reply = call(b, P, "send-personal-message", {"ChatId": chat_id, "Content": "answer",
                                                 "ReplyTo": original["MessageId"]})["Message"]
    assert reply["ReplyTo"] == {"MessageId": original["MessageId"], "Sender": {"id": alice["id"],
                                "username": alice["username"], "Bot": False}, "Excerpt": "x" * 120, "Deleted": False}
    assert a.wait_for("receive-personal-message", P, match=lambda d: d["Message"]["MessageId"] ==
                      reply["MessageId"])["Message"]["ReplyTo"] == reply["ReplyTo"]

    note = call(a, S, "send-self-message", {"Content": "note"})["Message"]
    assert call(a, S, "send-self-message", {"Content": "re", "ReplyTo": note["MessageId"]})["Message"][
        "ReplyTo"]["MessageId"] == note["MessageId"]
    in_group = call(a, G, "send-group-message", {"GroupId": group, "Content": "team"})["Message"]
    status, body = rest(live_server, "POST", f"/groups/{group}/messages", bob,
                        json={"Content": "re team", "ReplyTo": in_group["MessageId"]})
    assert status == 201 and body["Message"]["ReplyTo"]["Excerpt"] == "team"
    status, body = rest(live_server, "POST", f"/chats/personal/{alice['id']}/messages", bob,
                        json={"Content": "re again", "ReplyTo": original["MessageId"]})
    assert status == 201 and body["Message"]["ReplyTo"]["MessageId"] == original["MessageId"]


@pytest.mark.parametrize("target", ["other chat", "missing", "garbage", "deleted"])
def test_a_reply_to_anything_but_a_message_of_the_same_chat_is_refused_and_stores_nothing(live_server, trio,
                                                                                         target):
    (alice, bob, _carol), socks, chat_id, group = trio
    a = sock_of(socks, alice)
    in_group = call(a, G, "send-group-message", {"GroupId": group, "Content": "group"})["Message"]
    mine = call(a, P, "send-personal-message", {"ChatId": chat_id, "Content": "to delete"})["Message"]
    if target == "deleted":
        call(a, P, "delete-personal-message", {"ChatId": chat_id, "MessageId": mine["MessageId"]})
    reply_to = {"other chat": in_group["MessageId"], "missing": f"{chat_id}:999", "garbage": "nope",
                "deleted": mine["MessageId"]}[target]
    before = call(a, P, "fetch-personal-chat", {"Partner": bob["id"]})["Messages"]
    ack = a.call("send-personal-message", {"ChatId": chat_id, "Content": "hi", "ReplyTo": reply_to}, namespace=P)
    assert error_code(ack) == "validation_error" and "ReplyTo" in ack["error"]["fields"], ack
    assert call(a, P, "fetch-personal-chat", {"Partner": bob["id"]})["Messages"] == before


def test_deleting_a_message_empties_the_quote_of_its_replies(live_server, trio):
    (alice, bob, _carol), socks, chat_id, _group = trio
    a, b = sock_of(socks, alice), sock_of(socks, bob)
    original = call(a, P, "send-personal-message", {"ChatId": chat_id, "Content": "soon gone"})["Message"]
    reply = call(b, P, "send-personal-message", {"ChatId": chat_id, "Content": "re",
                                                 "ReplyTo": original["MessageId"]})["Message"]
    call(a, P, "delete-personal-message", {"ChatId": chat_id, "MessageId": original["MessageId"]})
    page = call(b, P, "fetch-personal-chat", {"Partner": alice["id"]})["Messages"]
    [fetched] = [m for m in page if m["MessageId"] == reply["MessageId"]]
    assert fetched["ReplyTo"] == {**reply["ReplyTo"], "Excerpt": "", "Deleted": True}


# Edit history

def test_edits_keep_every_version_for_members_only(live_server, trio, smtp):
    (alice, bob, carol), socks, chat_id, group = trio
    a = sock_of(socks, alice)
    sent = call(a, P, "send-personal-message", {"ChatId": chat_id, "Content": "v1"})["Message"]
    call(a, P, "edit-personal-message", {"ChatId": chat_id, "MessageId": sent["MessageId"], "Content": "v2"})
    status, edited = rest(live_server, "PATCH", f"/messages/{sent['MessageId']}", alice, json={"Content": "$v3"})
    assert status == 200 and edited["Message"]["Content"] == "$v3", "a leading $ is text, not a field path"
    status, body = rest(live_server, "GET", f"/messages/{sent['MessageId']}/history", bob)
    assert status == 200 and body["MessageId"] == sent["MessageId"]
    assert [v["Content"] for v in body["Versions"]] == ["v1", "v2", "$v3"]
    assert body["Versions"][0]["EditedAt"] is None and all(v["EditedAt"] for v in body["Versions"][1:])
    assert body["Versions"][-1]["EditedAt"] == edited["Message"]["EditedAt"]
    # not a member: 404, as for a message that does not exist
    for path in (f"/messages/{sent['MessageId']}/history", f"/messages/{chat_id}:999/history"):
        status, body = rest(live_server, "GET", path, carol)
        assert (status, body["error"]["code"]) == (404, "not_found")
    # a group message, edited over REST: the group's members see its versions
    in_group = call(a, G, "send-group-message", {"GroupId": group, "Content": "g1"})["Message"]
    rest(live_server, "PATCH", f"/messages/{in_group['MessageId']}", alice, json={"Content": "g2"})
    status, body = rest(live_server, "GET", f"/messages/{in_group['MessageId']}/history", carol)
    assert status == 200 and [v["Content"] for v in body["Versions"]] == ["g1", "g2"]
    # deleted: no versions left
    call(a, P, "delete-personal-message", {"ChatId": chat_id, "MessageId": sent["MessageId"]})
    status, body = rest(live_server, "GET", f"/messages/{sent['MessageId']}/history", bob)
    assert status == 200 and body["Versions"] == []


# Reactions

def test_reactions_are_pushed_to_every_member_counted_and_taken_back(live_server, trio):
    (alice, bob, carol), socks, _chat_id, group = trio
    a, b, c = (sock_of(socks, u) for u in (alice, bob, carol))
    sent = call(a, G, "send-group-message", {"GroupId": group, "Content": "react to me"})["Message"]
    mid = sent["MessageId"]
    ack = call(b, G, "react-message", {"GroupId": group, "MessageId": mid, "Emoji": "👍", "On": True})
    assert ack["Reactions"] == [{"Emoji": "👍", "Count": 1, "UserIds": [bob["id"]]}]
    call(c, G, "react-message", {"GroupId": group, "MessageId": mid, "Emoji": "🎉", "On": True})
    ack = call(c, G, "react-message", {"GroupId": group, "MessageId": mid, "Emoji": "👍", "On": True})
    assert ack["Reactions"] == [{"Emoji": "👍", "Count": 2, "UserIds": [bob["id"], carol["id"]]},
                                {"Emoji": "🎉", "Count": 1, "UserIds": [carol["id"]]}]
    for sock in (a, b, c):  # everyone, the reacting sockets too
        pushed = sock.wait_for("message-reactions", G, count=3)
        # the push carries the message's Rev after the third reaction, so a syncing client can order it
        assert pushed == {"GroupId": group, "MessageId": mid, "Reactions": ack["Reactions"], "Rev": sent["Rev"] + 3}
    # twice is once; taking back twice is harmless
    again = call(c, G, "react-message", {"GroupId": group, "MessageId": mid, "Emoji": "👍", "On": True})
    assert again["Reactions"] == ack["Reactions"]
    call(c, G, "react-message", {"GroupId": group, "MessageId": mid, "Emoji": "🎉", "On": False})
    off = call(c, G, "react-message", {"GroupId": group, "MessageId": mid, "Emoji": "🎉", "On": False})
    assert off["Reactions"] == [{"Emoji": "👍", "Count": 2, "UserIds": [bob["id"], carol["id"]]}]
    page = call(a, G, "fetch-group-chat", {"GroupId": group})["Messages"]
    assert [m["Reactions"] for m in page if m["MessageId"] == mid] == [off["Reactions"]]


def test_reactions_over_rest_in_personal_and_self_chats_reach_the_sockets(live_server, trio):
    (alice, bob, _carol), socks, chat_id, _group = trio
    a, b = sock_of(socks, alice), sock_of(socks, bob)
    sent = call(a, P, "send-personal-message", {"ChatId": chat_id, "Content": "hi"})["Message"]
    status, body = rest(live_server, "PUT", f"/messages/{sent['MessageId']}/reactions/❤️", bob)
    assert status == 200, body
    assert body == {"ChatId": chat_id, "MessageId": sent["MessageId"],
                    "Reactions": [{"Emoji": "❤️", "Count": 1, "UserIds": [bob["id"]]}], "Rev": sent["Rev"] + 1}
    assert a.wait_for("message-reactions", P) == body and b.wait_for("message-reactions", P) == body
    status, body = rest(live_server, "DELETE", f"/messages/{sent['MessageId']}/reactions/❤️", bob)
    assert status == 200 and body["Reactions"] == []
    note = call(a, S, "send-self-message", {"Content": "note"})["Message"]
    ack = call(a, S, "react-message", {"MessageId": note["MessageId"], "Emoji": "⭐", "On": True})
    assert ack["Reactions"] == [{"Emoji": "⭐", "Count": 1, "UserIds": [alice["id"]]}]
    assert a.wait_for("message-reactions", S)["ChatId"] == alice["id"]
    ack = b.call("react-message", {"MessageId": note["MessageId"], "Emoji": "⭐", "On": True}, namespace=S)
    assert error_code(ack) == "not_found", "someone else's note"


@pytest.mark.parametrize("emoji", ["", "ab", "👍 👍", "1", "x" * 33, "👍" * 33, "\u200b", "<b>"])
def test_anything_but_one_emoji_is_refused(live_server, trio, emoji):
    (alice, _bob, _carol), socks, _chat_id, group = trio
    sent = call(sock_of(socks, alice), G, "send-group-message", {"GroupId": group, "Content": "hi"})["Message"]
    ack = sock_of(socks, alice).call("react-message", {"GroupId": group, "MessageId": sent["MessageId"],
                                                       "Emoji": emoji, "On": True}, namespace=G)
    assert error_code(ack) == "validation_error" and "Emoji" in ack["error"]["fields"], ack


def test_at_most_twenty_distinct_emoji_and_none_on_a_deleted_message(live_server, trio):
    (alice, bob, carol), socks, chat_id, group = trio
    a, b = sock_of(socks, alice), sock_of(socks, bob)
    many = call(a, G, "send-group-message", {"GroupId": group, "Content": "many"})["Message"]
    emoji = [chr(0x1F600 + i) for i in range(21)]
    for who, chosen in ((bob, emoji[:10]), (carol, emoji[10:20])):  # at most 10 each (tests/test_reaction_limits.py)
        for e in chosen:
            call(sock_of(socks, who), G, "react-message", {"GroupId": group, "MessageId": many["MessageId"],
                                                           "Emoji": e, "On": True})
    ack = a.call("react-message", {"GroupId": group, "MessageId": many["MessageId"], "Emoji": emoji[20],
                                   "On": True}, namespace=G)
    assert error_code(ack) == "validation_error" and "20" in ack["error"]["fields"]["Emoji"][0]
    ack = call(a, G, "react-message", {"GroupId": group, "MessageId": many["MessageId"], "Emoji": emoji[0],
                                       "On": True})  # an emoji already there is fine
    assert ack["Reactions"][0] == {"Emoji": emoji[0], "Count": 2, "UserIds": [bob["id"], alice["id"]]}
    assert len(ack["Reactions"]) == 20
    sent = call(a, P, "send-personal-message", {"ChatId": chat_id, "Content": "gone soon"})["Message"]
    call(b, P, "react-message", {"ChatId": chat_id, "MessageId": sent["MessageId"], "Emoji": "👍", "On": True})
    deleted = call(a, P, "delete-personal-message", {"ChatId": chat_id, "MessageId": sent["MessageId"]})
    assert deleted["Message"]["Reactions"] == []
    ack = b.call("react-message", {"ChatId": chat_id, "MessageId": sent["MessageId"], "Emoji": "👍", "On": True},
                 namespace=P)
    assert error_code(ack) == "validation_error"
    status, body = rest(live_server, "PUT", f"/messages/{sent['MessageId']}/reactions/👍", bob)
    assert (status, body["error"]["code"]) == (422, "validation_error")


def test_two_tabs_reacting_at_once_give_one_reaction(live_server, smtp, trio, live_socket):
    (alice, bob, _carol), socks, chat_id, _group = trio
    tabs = [sock_of(socks, bob), live_socket(live_server, bob, [P])]
    for round_ in range(5):
        sent = call(sock_of(socks, alice), P, "send-personal-message",
                    {"ChatId": chat_id, "Content": f"race {round_}"})["Message"]
        acks, start = [], threading.Barrier(len(tabs))

        def react(tab):
            start.wait()
            acks.append(tab.call("react-message", {"ChatId": chat_id, "MessageId": sent["MessageId"],
                                                   "Emoji": "🔥", "On": True}, namespace=P))
        threads = [threading.Thread(target=react, args=(tab,)) for tab in tabs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert all(ack["ok"] for ack in acks), acks
        page = call(sock_of(socks, alice), P, "fetch-personal-chat", {"Partner": bob["id"]})["Messages"]
        assert page[-1]["Reactions"] == [{"Emoji": "🔥", "Count": 1, "UserIds": [bob["id"]]}]


def test_a_delete_racing_reactions_leaves_no_reaction(live_server, trio):
    (alice, bob, _carol), socks, chat_id, _group = trio
    a, b = sock_of(socks, alice), sock_of(socks, bob)
    for round_ in range(5):
        sent = call(a, P, "send-personal-message", {"ChatId": chat_id, "Content": f"gone {round_}"})["Message"]
        start, acks = threading.Barrier(2), []

        def react():
            start.wait()
            acks.append(b.call("react-message", {"ChatId": chat_id, "MessageId": sent["MessageId"], "Emoji": "👀",
                                                 "On": True}, namespace=P))

        def delete():
            start.wait()
            acks.append(a.call("delete-personal-message", {"ChatId": chat_id, "MessageId": sent["MessageId"]},
                               namespace=P))
        threads = [threading.Thread(target=react), threading.Thread(target=delete)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        page = call(a, P, "fetch-personal-chat", {"Partner": bob["id"]})["Messages"]
        [stored] = [m for m in page if m["MessageId"] == sent["MessageId"]]
        assert stored["Deleted"] and stored["Reactions"] == [], (acks, stored)


# Mentions and UnreadMentions

def group_entry(sock, group):
    [entry] = [e for e in sock.received("group-chat-list")[-1]["GroupChatList"] if e["GroupId"] == group]
    return entry


def test_mentions_resolve_members_once_never_the_sender_and_count_until_read(live_server, smtp, trio, live_socket):
    (alice, bob, carol), socks, chat_id, group = trio
    a, b = sock_of(socks, alice), sock_of(socks, bob)
    content = (f"@{bob['username'].upper()} and @{bob['username']}, @{carol['username']}. "
               f"not {bob['username']}@example.org, not @{alice['username']} (me), not @nobody_here")
    sent = call(a, G, "send-group-message", {"GroupId": group, "Content": content})["Message"]
    assert sent["Mentions"] == [bob["id"], carol["id"]]
    assert b.wait_for("receive-group-message", G)["Message"]["Mentions"] == [bob["id"], carol["id"]]
    call(a, G, "send-group-message", {"GroupId": group, "Content": f"again @{bob['username']}"})
    call(a, G, "send-group-message", {"GroupId": group, "Content": "no mention"})
    # personal chats have no mentions
    personal = call(a, P, "send-personal-message", {"ChatId": chat_id, "Content": f"@{bob['username']}"})
    assert personal["Message"]["Mentions"] == []

    fresh = live_socket(live_server, bob, ["/"])
    fresh.wait_for("group-chat-list")
    assert group_entry(fresh, group)["Unread"] == 3 and group_entry(fresh, group)["UnreadMentions"] == 2
    status, inbox = rest(live_server, "GET", "/chats", bob)
    assert [e["UnreadMentions"] for e in inbox["entries"] if e.get("GroupId") == group] == [2]
    # reading up to the first message: one mention left; reading all: none
    call(b, G, "read-group-message", {"GroupId": group, "UpTo": sent["MessageId"]})
    status, inbox = rest(live_server, "GET", "/chats", bob)
    assert [(e["Unread"], e["UnreadMentions"]) for e in inbox["entries"] if e.get("GroupId") == group] == [(2, 1)]
    rest(live_server, "POST", f"/chats/{group}/read", bob, json={})
    status, inbox = rest(live_server, "GET", "/chats", bob)
    assert [(e["Unread"], e["UnreadMentions"]) for e in inbox["entries"] if e.get("GroupId") == group] == [(0, 0)]
    # carol has read nothing: both mentions of her... only the first mentions her
    status, inbox = rest(live_server, "GET", "/chats", carol)
    assert [e["UnreadMentions"] for e in inbox["entries"] if e.get("GroupId") == group] == [1]


def test_an_edit_resolves_mentions_again_and_a_delete_drops_them(live_server, trio):
    (alice, bob, carol), socks, _chat_id, group = trio
    a = sock_of(socks, alice)
    sent = call(a, G, "send-group-message", {"GroupId": group, "Content": f"hi @{bob['username']}"})["Message"]
    status, body = rest(live_server, "PATCH", f"/messages/{sent['MessageId']}", alice,
                        json={"Content": f"hi @{carol['username']}"})
    assert status == 200 and body["Message"]["Mentions"] == [carol["id"]]
    counts = {u["username"]: [e["UnreadMentions"] for e in rest(live_server, "GET", "/chats", u)[1]["entries"]
                              if e.get("GroupId") == group] for u in (bob, carol)}
    assert counts == {bob["username"]: [0], carol["username"]: [1]}
    rest(live_server, "DELETE", f"/messages/{sent['MessageId']}", alice)
    assert [e["UnreadMentions"] for e in rest(live_server, "GET", "/chats", carol)[1]["entries"]
            if e.get("GroupId") == group] == [0]


def test_kicked_and_departed_members_are_not_mentioned_and_their_old_mentions_do_not_count(
        live_server, smtp, trio, live_socket):
    (alice, bob, carol), socks, _chat_id, group = trio
    a = sock_of(socks, alice)
    call(a, G, "send-group-message", {"GroupId": group, "Content": f"@{bob['username']} @{carol['username']}"})
    call(a, G, "kickout", {"GroupId": group, "Member": bob["id"]})
    call(sock_of(socks, carol), G, "leave-grp", {"GroupId": group})
    later = call(a, G, "send-group-message", {"GroupId": group,
                                              "Content": f"@{bob['username']} @{carol['username']}"})["Message"]
    assert later["Mentions"] == []
    for user in (bob, carol):
        assert [e for e in rest(live_server, "GET", "/chats", user)[1]["entries"] if e.get("GroupId") == group] == []
    # added back: the mentions from before do not count against them, new ones do
    call(a, G, "add-member", {"GroupId": group, "Member": bob["id"]})
    assert [e["UnreadMentions"] for e in rest(live_server, "GET", "/chats", bob)[1]["entries"]
            if e.get("GroupId") == group] == [0]
    call(a, G, "send-group-message", {"GroupId": group, "Content": f"welcome back @{bob['username']}"})
    fresh = live_socket(live_server, bob, ["/"])
    fresh.wait_for("group-chat-list")
    assert group_entry(fresh, group)["UnreadMentions"] == 1


# The official JS client: one reaction round trip with a python-socketio partner.

@pytest.fixture(scope="session")
def react_client():
    """The command that runs tests/js/react_client.mjs (as tests/test_live_sockets.py runs its JS client)."""
    return js_command("react_client.mjs")


def test_the_official_js_client_reacts_and_a_python_client_sees_it(live_server, trio, react_client):
    (alice, bob, _carol), socks, chat_id, _group = trio
    sent = call(sock_of(socks, alice), P, "send-personal-message", {"ChatId": chat_id, "Content": "js?"})["Message"]
    done = subprocess.run([*react_client, live_server.url, bob["access"], chat_id, sent["MessageId"], "🎉"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, (done.stdout, done.stderr)
    steps = {line["step"]: line for line in map(json.loads, done.stdout.splitlines())}
    mine = [{"Emoji": "🎉", "Count": 1, "UserIds": [bob["id"]]}]
    assert steps["reacted"]["ack"] == {"ok": True, "Reactions": mine}
    assert steps["pushed"]["data"] == {"ChatId": chat_id, "MessageId": sent["MessageId"], "Reactions": mine,
                                       "Rev": sent["Rev"] + 1}
    assert steps["unreacted"]["ack"] == {"ok": True, "Reactions": []}
    a = sock_of(socks, alice)
    assert a.wait_for("message-reactions", P)["Reactions"] == mine
    assert a.wait_for("message-reactions", P, count=2)["Reactions"] == []
