"""The real server process over WebSocket: python-socketio clients (gevent, and eventlet), and the
official JS client. Negative checks ("nobody else got it") come after `sync()`, a round trip that
orders them after everything the server sent before."""
import fcntl
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import jwt
import pytest
import requests
import socketio

from conftest import ROOT, error_code, start_live_server, stop_live_server

pytestmark = pytest.mark.live
P = "/personal"
BOTH = ("/", P)


def people(server, smtp, count):
    return [server.verified_user() for _ in range(count)]  # the signup mail is tested in test_live_auth.py


def open_chat(sock, partner):
    ack = sock.call("fetch-personal-chat", {"Partner": partner["id"]}, namespace=P)
    assert ack["ok"] is True, ack
    return ack["ChatId"]


def send(sock, chat_id, content, **extra):
    ack = sock.call("send-personal-message", {"ChatId": chat_id, "Content": content, **extra}, namespace=P)
    assert ack["ok"] is True, ack
    return ack["Message"]


def message_ids(sock, event="receive-personal-message"):
    return [data["Message"]["MessageId"] for data in sock.received(event, P)]


def history(sock, partner, **page):
    ack = sock.call("fetch-personal-chat", {"Partner": partner["id"], **page}, namespace=P)
    assert ack["ok"] is True, ack
    return ack


def post(server, path, token, **kwargs):
    return requests.post(f"{server.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                         **kwargs)


# Connecting

def test_connect_sends_user_id_then_the_personal_then_the_group_list(live_server, smtp, live_socket):
    alice, bob = people(live_server, smtp, 2)
    bob_socket = live_socket(live_server, bob, [P])
    chat_id = open_chat(bob_socket, alice)
    send(bob_socket, chat_id, "waiting for you")  # while Alice is offline
    sock = live_socket(live_server, alice, BOTH)
    sock.sync()
    assert [event for namespace, event in sock.wire if namespace == "/"][:3] == [
        "user-id", "personal-chat-list", "group-chat-list"]
    assert sock.received("user-id") == [{"userId": alice["id"], "userName": alice["username"]}]
    [entry] = sock.received("personal-chat-list")[0]["PersonalChatList"]
    assert entry["ChatId"] == chat_id and entry["Unread"] == 1 and entry["Partner"]["Online"] is False
    assert entry["LastMessage"]["Content"] == "waiting for you"
    assert sock.received("group-chat-list") == [{"GroupChatList": []}]


REFUSED = {
    "no token": ({}, "unauthorized"),
    "garbage": ({"access_token": "garbage"}, "unauthorized"),
    "refresh as access": (None, "unauthorized"),
    "revoked": (None, "token_revoked"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_tokens_are_refused_with_connect_error_data(live_server, smtp, live_socket, case):
    user = live_server.signup_verify_login(smtp)
    auth, code = REFUSED[case]
    if case == "refresh as access":
        auth = {"access_token": user["refresh"], "refresh_token": user["refresh"]}
    elif case == "revoked":
        assert post(live_server, "/logout", user["access"]).status_code == 200
        auth = {"access_token": user["access"], "refresh_token": user["refresh"]}
    sock = live_socket(live_server, auth=auth, namespaces=BOTH, connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        sock.connect()
    for namespace in BOTH:
        refusal = sock.connect_errors[namespace]
        assert refusal["data"]["code"] == code, refusal
        assert isinstance(refusal["message"], str) and refusal["message"]
    assert sock.events == {"/": [], P: []}


@pytest.mark.parametrize("how", ["logout", "refresh token reuse"])
def test_ending_a_session_disconnects_its_live_sockets(live_server, smtp, live_socket, how):
    user, partner = people(live_server, smtp, 2)
    sock = live_socket(live_server, user, BOTH)
    watcher = live_socket(live_server, partner, ["/"])
    open_chat(sock, partner)
    if how == "logout":
        assert post(live_server, "/logout", user["access"]).status_code == 200
    else:
        assert post(live_server, "/refresh", user["refresh"]).status_code == 200
        reuse = post(live_server, "/refresh", user["refresh"])
        assert reuse.status_code == 401 and reuse.json()["error"]["code"] == "token_revoked"
    for namespace in BOTH:
        assert sock.wait_for("session-ended", namespace) == {"reason": "session_revoked"}
        sock.wait_disconnected(namespace)
    assert watcher.wait_for("presence", match=lambda p: p["Online"] is False)["UserId"] == user["id"]
    again = live_socket(live_server, user, ["/"], connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        again.connect()
    assert again.connect_errors["/"]["data"]["code"] == "token_revoked"
    assert watcher.call("ping")["ok"] is True


# Chatting

def test_two_users_chat_and_a_retry_is_delivered_once(live_server, smtp, live_socket):
    alice, bob, carol = people(live_server, smtp, 3)
    a1, a2, b1, c1 = (live_socket(live_server, u, BOTH) for u in (alice, alice, bob, carol))
    chat_id = open_chat(a1, bob)
    with_carol = open_chat(c1, alice)

    first = send(a1, chat_id, "hello Bob", ClientId="a-1")
    for sock in (b1, a2):
        got = sock.wait_for("receive-personal-message", P)
        assert got == {"ChatId": chat_id, "Content": "hello Bob", "Sender": first["Sender"], "Message": first}
    assert send(a1, chat_id, "hello Bob", ClientId="a-1") == first
    assert send(a2, chat_id, "hello again?", ClientId="a-1") == first
    second = send(a1, chat_id, "second")
    reply = send(b1, chat_id, "hi Alice")
    # A repeat gives back the Seq it took (docs/api.md, "Message"): Seq grows by one per stored message.
    assert [first["Seq"], second["Seq"], reply["Seq"]] == [1, 2, 3]
    b1.wait_for("receive-personal-message", P, match=lambda d: d["Message"]["Seq"] == 2)
    a1.wait_for("receive-personal-message", P, match=lambda d: d["Message"]["Seq"] == 3)
    note_to_carol = send(a1, with_carol, "only for Carol")
    c1.wait_for("receive-personal-message", P)
    for sock in (a1, a2, b1, c1):
        sock.sync()
    assert message_ids(b1) == [first["MessageId"], second["MessageId"]]
    assert sorted(message_ids(a2)) == sorted([first["MessageId"], second["MessageId"], reply["MessageId"],
                                              note_to_carol["MessageId"]])
    assert message_ids(a1) == [reply["MessageId"]]
    assert message_ids(c1) == [note_to_carol["MessageId"]]
    assert [m["Seq"] for m in history(b1, alice)["Messages"]] == [1, 2, 3]


def test_eight_tabs_opening_the_same_new_chat_at_once_all_get_it(live_server, smtp, live_socket):
    """Four tabs of each of two users fetch their (not yet existing) chat at the same instant: every fetch
    answers with the one chat, none is refused, and exactly one chat exists."""
    from concurrent.futures import ThreadPoolExecutor
    alice, bob = people(live_server, smtp, 2)
    tabs = [(live_socket(live_server, user, [P]), partner) for user, partner in [(alice, bob), (bob, alice)] * 4]
    with ThreadPoolExecutor(len(tabs)) as pool:
        acks = list(pool.map(lambda tab: tab[0].call("fetch-personal-chat", {"Partner": tab[1]["id"]}, P), tabs))
    assert all(ack["ok"] for ack in acks), [ack for ack in acks if not ack["ok"]]
    assert len({ack["ChatId"] for ack in acks}) == 1
    assert {ack["Partner"]["id"] for ack in acks} == {alice["id"], bob["id"]}


def test_read_receipts_typing_and_author_only_edits(live_server, smtp, live_socket):
    alice, bob = people(live_server, smtp, 2)
    a, b = live_socket(live_server, alice, BOTH), live_socket(live_server, bob, BOTH)
    chat_id = open_chat(a, bob)
    m1, m2 = send(a, chat_id, "one"), send(a, chat_id, "two")

    assert b.call("typing", {"ChatId": chat_id}, namespace=P) == {"ok": True}
    assert a.wait_for("typing", P) == {"ChatId": chat_id, "UserId": bob["id"], "UserName": bob["username"]}
    assert b.call("done-typing", {"ChatId": chat_id}, namespace=P) == {"ok": True}
    assert a.wait_for("done-typing", P)["UserId"] == bob["id"]

    def unread():
        fresh = live_socket(live_server, bob, ["/"])
        entries = fresh.wait_for("personal-chat-list")["PersonalChatList"]
        fresh.close()
        return [e["Unread"] for e in entries if e["ChatId"] == chat_id]

    assert unread() == [2]
    read = b.call("read-personal-message", {"ChatId": chat_id, "UpTo": m2["MessageId"]}, namespace=P)
    assert read["Moved"] is True
    receipt = a.wait_for("read-personal-msg-ack", P)
    assert receipt == {"ChatId": chat_id, "ReaderId": bob["id"], "UpTo": m2["MessageId"],
                       "ReadAt": read["ReadAt"]}
    backwards = b.call("read-personal-message", {"ChatId": chat_id, "UpTo": m1["MessageId"]}, namespace=P)
    assert backwards == {"ok": True, "ChatId": chat_id, "Moved": False}
    assert unread() == [0]

    assert error_code(b.call("edit-personal-message", {"ChatId": chat_id, "MessageId": m1["MessageId"],
                                                       "Content": "forged"}, namespace=P)) == "forbidden"
    assert error_code(b.call("delete-personal-message", {"ChatId": chat_id, "MessageId": m1["MessageId"]},
                             namespace=P)) == "forbidden"
    edited = a.call("edit-personal-message", {"ChatId": chat_id, "MessageId": m1["MessageId"],
                                              "Content": "uno"}, namespace=P)["Message"]
    assert b.wait_for("personal-message-edited", P) == {"ChatId": chat_id, "Message": edited}
    assert edited["Content"] == "uno" and edited["EditedAt"] and edited["Seq"] == 1
    deleted = a.call("delete-personal-message", {"ChatId": chat_id, "MessageId": m1["MessageId"]},
                     namespace=P)["Message"]
    assert b.wait_for("personal-message-deleted", P) == {"ChatId": chat_id, "Message": deleted}
    assert (deleted["Deleted"], deleted["Content"], deleted["Seq"]) == (True, "", 1)
    assert [(m["Seq"], m["Content"]) for m in history(b, alice)["Messages"]] == [(1, ""), (2, "two")]
    a.sync()
    assert a.received("read-personal-msg-ack", P) == [receipt]


def test_a_stranger_can_neither_see_nor_touch_a_chat(live_server, smtp, live_socket):
    alice, bob, carol = people(live_server, smtp, 3)
    a, b, c = (live_socket(live_server, u, BOTH) for u in (alice, bob, carol))
    chat_id = open_chat(a, bob)
    message = send(a, chat_id, "private")
    mid = message["MessageId"]
    attempts = [
        ("fetch-personal-chat", {"Partner": alice["id"], "ChatId": chat_id}),
        ("fetch-personal-chat", {"Partner": bob["id"], "ChatId": chat_id}),
        ("send-personal-message", {"ChatId": chat_id, "Content": "let me in"}),
        ("read-personal-message", {"ChatId": chat_id, "UpTo": mid}),
        ("typing", {"ChatId": chat_id}),
        ("done-typing", {"ChatId": chat_id}),
        ("edit-personal-message", {"ChatId": chat_id, "MessageId": mid, "Content": "mine"}),
        ("delete-personal-message", {"ChatId": chat_id, "MessageId": mid}),
    ]
    for event, payload in attempts:
        assert error_code(c.call(event, payload, namespace=P)) in ("not_found", "forbidden"), event
    assert history(b, alice)["Messages"] == [message]
    for sock in (a, b, c):
        sock.sync()
    assert [e for e, _ in a.events[P]] == ["personal-chat"]
    assert [e for e, _ in b.events[P]] == ["receive-personal-message", "personal-chat"]
    assert c.events[P] == []
    # Carol's attempts created no chat with either of them: alice, online, still reads as offline to her
    assert c.call("get-online-info", {"UserIds": [alice["id"]]})["Online"] == {alice["id"]: False}
    fresh = live_socket(live_server, carol, ["/"])
    assert fresh.wait_for("personal-chat-list") == {"PersonalChatList": []}


def test_250_messages_page_back_and_forward(live_server, smtp, live_socket):
    alice, bob = people(live_server, smtp, 2)
    a, b = live_socket(live_server, alice, [P]), live_socket(live_server, bob, [P])
    chat_id = open_chat(a, bob)
    sent = [send(a, chat_id, f"message {i}") for i in range(1, 251)]
    b.wait_for("receive-personal-message", P, count=250)

    pages, cursor = [], {}
    while True:
        page = history(b, alice, Limit=40, **cursor)
        pages.append(page["Messages"])
        if not page["HasMore"]:
            break
        cursor = {"Before": page["Messages"][0]["MessageId"]}
    assert [len(p) for p in pages] == [40] * 6 + [10]
    assert [m for p in reversed(pages) for m in p] == sent

    forward, cursor = [], sent[9]["MessageId"]
    while True:
        page = history(b, alice, After=cursor, Limit=100)
        forward += page["Messages"]
        if not page["HasMore"]:
            break
        cursor = page["Messages"][-1]["MessageId"]
    assert [m["Seq"] for m in forward] == list(range(11, 251))
    b.sync()
    delivered = b.received("receive-personal-message", P)
    assert sorted(d["Message"]["Seq"] for d in delivered) == list(range(1, 251))


# Presence

def test_presence_with_two_tabs_online_info_away_and_ping(live_server, smtp, live_socket):
    alice, bob = people(live_server, smtp, 2)
    open_chat(live_socket(live_server, alice, [P]), bob)
    watcher = live_socket(live_server, bob, ["/"])

    tab1 = live_socket(live_server, alice, BOTH)
    online = watcher.wait_for("presence")
    assert (online["UserId"], online["Online"]) == (alice["id"], True) and online["LastSeen"].endswith("Z")
    tab2 = live_socket(live_server, alice, ["/"])
    assert watcher.call("get-online-info", {"UserIds": [alice["id"]]})["Online"] == {alice["id"]: True}
    tab1.close()
    tab2.call("background-app")
    assert watcher.wait_for("presence", match=lambda p: "Away" in p)["Away"] is True
    tab2.call("active-app")
    watcher.wait_for("presence", match=lambda p: p.get("Away") is False)
    ping = tab2.call("ping")
    assert ping["ok"] is True and ping["sid"] == tab2.client.get_sid("/") and ping["ServerTime"].endswith("Z")
    watcher.sync()
    assert [(p["Online"], p.get("Away")) for p in watcher.received("presence")] == [
        (True, None), (True, True), (True, False)]
    tab2.close()
    watcher.wait_for("presence", match=lambda p: p["Online"] is False)
    assert watcher.call("get-online-info", {"UserIds": [alice["id"]]})["Online"] == {alice["id"]: False}
    assert [p["Online"] for p in watcher.received("presence")] == [True, True, True, False]


# Bad input

BAD_PAYLOADS = [
    ("fetch-personal-chat", ["not", "an", "object"]),
    ("fetch-personal-chat", {"Partner": {"$ne": None}}),
    ("fetch-personal-chat", {"Partner": "@bob", "Limit": "20"}),
    ("fetch-personal-chat", {"Partner": "@bob", "Limit": 101}),
    ("fetch-personal-chat", {"Partner": "@bob", "Before": "@msg", "After": "@msg"}),
    ("send-personal-message", {"ChatId": "@chat", "Content": "x" * 4001}),
    ("send-personal-message", {"ChatId": "@chat", "Content": "   "}),
    ("send-personal-message", {"ChatId": {"$ne": None}, "Content": "hi"}),
    ("send-personal-message", {"ChatId": "@chat", "Content": "hi", "SenderId": "@bob"}),
    ("edit-personal-message", {"ChatId": "@chat", "MessageId": "@msg", "Content": ""}),
]


def test_bad_payloads_unknown_events_and_garbage_packets_keep_the_connection(live_server, smtp, live_socket):
    alice, bob = people(live_server, smtp, 2)
    a, b = live_socket(live_server, alice, BOTH), live_socket(live_server, bob, BOTH)
    chat_id = open_chat(a, bob)
    message = send(a, chat_id, "the only one")
    names = {"@bob": bob["id"], "@chat": chat_id, "@msg": message["MessageId"]}
    for event, payload in BAD_PAYLOADS:
        if isinstance(payload, dict):
            payload = {k: names.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
        assert error_code(a.call(event, payload, namespace=P)) == "validation_error", (event, payload)
    assert error_code(a.call("no-such-event", {}, namespace=P)) == "unknown_event"
    assert error_code(a.call("disconnect", "forced", namespace=P)) == "unknown_event"
    # a packet that is not even JSON the server can read is dropped, not the connection
    a.client.eio.send('2/personal,["fetch-personal-chat",' + "[" * 10_000 + "]" * 10_000 + "]")
    a.client.eio.send('2/personal,["fetch-personal-chat",{')
    assert a.call("ping")["ok"] is True
    assert history(a, bob)["Messages"] == [message]
    b.sync()
    assert message_ids(b) == [message["MessageId"]] and b.received("personal-message-edited", P) == []


def test_a_packet_over_64_kib_closes_that_connection_only(live_server, smtp, live_socket):
    alice, bob = people(live_server, smtp, 2)
    a, b = live_socket(live_server, alice, BOTH), live_socket(live_server, bob, BOTH)
    chat_id = open_chat(a, bob)
    near_limit = a.call("send-personal-message", {"ChatId": chat_id, "Content": "x" * 60_000}, namespace=P)
    assert error_code(near_limit) == "validation_error"
    a.client.emit("send-personal-message", {"ChatId": chat_id, "Content": "x" * 70_000}, namespace=P)
    a.wait_disconnected("/")
    a.wait_disconnected(P)
    assert b.wait_for("presence", match=lambda p: p["Online"] is False)["UserId"] == alice["id"]
    assert b.call("ping")["ok"] is True
    assert history(b, alice)["Messages"] == []
    again = live_socket(live_server, alice, [P])
    assert send(again, chat_id, "small is fine")["Seq"] == 1


# Another async mode, and short-lived access tokens

@pytest.fixture(scope="module")
def eventlet_server(smtp, tmp_path_factory):
    """The server under eventlet, with access tokens that live one second."""
    server = start_live_server(smtp, tmp_path_factory.mktemp("eventlet"), ASYNC_MODE="eventlet",
                               ACCESS_TOKEN_TTL=1)
    yield server
    stop_live_server(server)


def test_eventlet_serves_a_two_user_chat(eventlet_server, smtp, live_socket):
    alice, bob = people(eventlet_server, smtp, 2)
    a, b = live_socket(eventlet_server, alice, BOTH), live_socket(eventlet_server, bob, BOTH)
    chat_id = open_chat(a, bob)
    hello = send(a, chat_id, "hello under eventlet", ClientId="e-1")
    assert b.wait_for("receive-personal-message", P)["Message"] == hello
    assert send(a, chat_id, "hello under eventlet", ClientId="e-1") == hello
    reply = send(b, chat_id, "hi")
    # the repeat gave its Seq back
    assert a.wait_for("receive-personal-message", P)["Message"] == reply and reply["Seq"] == 2
    assert "async mode: eventlet" in eventlet_server.log()


def test_an_expired_access_token_connects_with_its_refresh_token(eventlet_server, smtp, live_socket):
    user = eventlet_server.signup_verify_login(smtp)
    old = jwt.decode(user["access"], options={"verify_signature": False})
    time.sleep(max(0.0, old["exp"] - time.time() + 0.05))

    alone = live_socket(eventlet_server, auth={"access_token": user["access"]}, namespaces=["/"],
                        connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        alone.connect()
    assert alone.connect_errors["/"]["data"]["code"] == "token_expired"

    sock = live_socket(eventlet_server, user, BOTH)
    hello = sock.wait_for("user-id")
    assert set(hello) == {"userId", "userName", "AccessToken"} and hello["userId"] == user["id"]
    new = jwt.decode(hello["AccessToken"], options={"verify_signature": False})
    assert (new["type"], new["sub"], new["sid"]) == ("access", user["id"], old["sid"])
    assert new["exp"] > old["exp"]
    assert [event for namespace, event in sock.wire if namespace == "/"][:3] == [
        "user-id", "personal-chat-list", "group-chat-list"]
    assert sock.call("ping")["ok"] is True


# The official JS client

JS = ROOT / "tests" / "js"


def js_command(script):
    """The command that runs tests/js/<script> with node, socket.io-client installed on first use (the test skips,
    saying why, without node and npm or when the install fails)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed on PATH to run the socket.io-client check")
    # Test workers run side by side (pytest-xdist): one installs while the others wait for it.
    with open(Path(tempfile.gettempdir()) / "chat-tests-js-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (JS / "node_modules" / "socket.io-client").is_dir():
            install = subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=JS, capture_output=True,
                                     text=True, timeout=300)
            if install.returncode != 0:
                pytest.skip(f"npm install of socket.io-client failed (offline?): {install.stderr[-500:]}")
    return [node, str(JS / script)]


@pytest.fixture(scope="session")
def node_client():
    """The command that runs tests/js/chat_client.mjs."""
    return js_command("chat_client.mjs")


def run_js(node_client, server, token, partner_id):
    done = subprocess.run([*node_client, server.url, token, partner_id], capture_output=True, text=True,
                          timeout=30)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, (done.stdout, done.stderr)
    return {line["step"]: line for line in lines}


def test_the_official_js_client_chats_with_a_python_client(live_server, smtp, live_socket, node_client):
    alice, bob = people(live_server, smtp, 2)
    partner = live_socket(live_server, bob, [P])
    steps = run_js(node_client, live_server, alice["access"], bob["id"])
    fetched, sent, resent = steps["fetched"]["ack"], steps["sent"]["ack"], steps["resent"]["ack"]
    assert fetched["ok"] is True and fetched["Partner"]["id"] == bob["id"] and fetched["Messages"] == []
    assert steps["personal-chat"]["ChatId"] == fetched["ChatId"]
    message = sent["Message"]
    assert sent["ok"] is True and resent == sent
    assert message["Content"] == "hello from socket.io-client"
    assert (message["ClientId"], message["Seq"]) == ("js-1", 1)
    assert message["Sender"] == {"id": alice["id"], "username": alice["username"], "Bot": False}
    assert partner.wait_for("receive-personal-message", P)["Message"] == message
    partner.sync()
    assert message_ids(partner) == [message["MessageId"]]


def test_the_official_js_client_sees_connect_error_codes(live_server, smtp, node_client):
    user = live_server.signup_verify_login(smtp)
    garbage = run_js(node_client, live_server, "garbage", user["id"])["connect_error"]
    assert garbage["code"] == "unauthorized" and garbage["message"]
    assert post(live_server, "/logout", user["access"]).status_code == 200
    revoked = run_js(node_client, live_server, user["access"], user["id"])["connect_error"]
    assert revoked["code"] == "token_revoked" and revoked["message"]
