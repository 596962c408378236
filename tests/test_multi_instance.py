"""Two instances, one chat: everything in SPEC.md across processes through Redis, and failures.

Each test runs two real server processes sharing one private redis-server and one database (see
tests/cluster.py). Clients on different processes must not notice.
"""
import time

import pytest
import requests

from cluster import start_cluster
from conftest import DEADLINE

pytestmark = [pytest.mark.live, pytest.mark.redis]
PRESENCE_TTL = 2


@pytest.fixture
def cluster(cluster_of):
    return cluster_of(PRESENCE_TTL=PRESENCE_TTL)


@pytest.fixture
def pair(cluster, smtp, live_socket):
    """alice on instance A and bob on instance B, with a personal chat between them."""
    a, b = cluster
    alice, bob = a.signup_verify_login(smtp), b.signup_verify_login(smtp)
    alice["sock"] = live_socket(a, alice, ("/", "/personal"))
    bob["sock"] = live_socket(b, bob, ("/", "/personal"))
    chat = alice["sock"].call("fetch-personal-chat", {"Partner": bob["id"]}, "/personal")
    assert chat["ok"], chat
    alice["chat"] = bob["chat"] = chat["ChatId"]
    return a, b, alice, bob


def test_messages_typing_and_receipts_cross_instances(pair):
    a, b, alice, bob = pair
    ack = alice["sock"].call("send-personal-message", {"ChatId": alice["chat"], "Content": "across",
                                                       "ClientId": "x-1"}, "/personal")
    assert ack["ok"]
    got = bob["sock"].wait_for("receive-personal-message", "/personal")
    assert got["Message"] == ack["Message"]
    assert alice["sock"].call("typing", {"ChatId": alice["chat"]}, "/personal")["ok"]
    assert bob["sock"].wait_for("typing", "/personal")["UserId"] == alice["id"]
    read = bob["sock"].call("read-personal-message", {"ChatId": bob["chat"]}, "/personal")
    assert read["Moved"] is True
    assert alice["sock"].wait_for("read-personal-msg-ack", "/personal")["UpTo"] == ack["Message"]["MessageId"]
    again = alice["sock"].call("send-personal-message", {"ChatId": alice["chat"], "Content": "across",
                                                         "ClientId": "x-1"}, "/personal")
    assert again["Message"] == ack["Message"]
    bob["sock"].sync()
    assert len(bob["sock"].received("receive-personal-message", "/personal")) == 1


def test_a_rest_send_on_one_instance_reaches_a_socket_on_the_other(pair):
    a, b, alice, bob = pair
    response = requests.post(f"{a.url}/chats/personal/{bob['id']}/messages", json={"Content": "by rest"},
                             headers={"Authorization": f"Bearer {alice['access']}"}, timeout=10)
    assert response.status_code == 201
    assert bob["sock"].wait_for("receive-personal-message", "/personal")["Content"] == "by rest"


def test_presence_counts_connections_across_instances(cluster, smtp, live_socket):
    a, b = cluster
    alice, bob = a.signup_verify_login(smtp), b.signup_verify_login(smtp)
    watcher = live_socket(a, alice, ("/", "/personal"))
    watcher.call("fetch-personal-chat", {"Partner": bob["id"]}, "/personal")
    first = live_socket(b, bob, ("/",))
    assert watcher.wait_for("presence", match=lambda p: p["UserId"] == bob["id"])["Online"] is True
    second = live_socket(a, bob, ("/",))
    assert watcher.call("get-online-info", {"UserIds": [bob["id"]]})["Online"] == {bob["id"]: True}
    first.close()
    second.sync()
    watcher.sync()
    assert [p["Online"] for p in watcher.received("presence") if p["UserId"] == bob["id"]] == [True]
    second.close()
    assert watcher.wait_for("presence", match=lambda p: p["UserId"] == bob["id"] and not p["Online"])
    assert watcher.call("get-online-info", {"UserIds": [bob["id"]]})["Online"] == {bob["id"]: False}


def test_kickout_reaches_every_tab_on_every_instance(cluster, smtp, live_socket):
    a, b = cluster
    admin, member = a.signup_verify_login(smtp), a.signup_verify_login(smtp)
    admin_sock = live_socket(a, admin, ("/group",))
    tab_a, tab_b = live_socket(a, member, ("/group",)), live_socket(b, member, ("/group",))
    group = admin_sock.call("create-group-chat", {"Name": "g", "Participants": [member["id"]]}, "/group")["Group"]
    for tab in (tab_a, tab_b):
        tab.wait_for("group-created", "/group")
    admin_sock.call("send-group-message", {"GroupId": group["GroupId"], "Content": "before"}, "/group")
    for tab in (tab_a, tab_b):
        tab.wait_for("receive-group-message", "/group")
    assert admin_sock.call("kickout", {"GroupId": group["GroupId"], "Member": member["id"]}, "/group")["ok"]
    for tab in (tab_a, tab_b):
        tab.wait_for("kicked-out", "/group")
    admin_sock.call("send-group-message", {"GroupId": group["GroupId"], "Content": "after"}, "/group")
    admin_sock.call("typing", {"GroupId": group["GroupId"]}, "/group")
    for tab in (tab_a, tab_b):
        tab.sync()
        assert [m["Content"] for m in tab.received("receive-group-message", "/group")] == ["before"]
        assert tab.received("typing", "/group") == []


def test_logout_disconnects_sockets_on_the_other_instance(cluster, smtp, live_socket):
    a, b = cluster
    user = a.signup_verify_login(smtp)
    sock = live_socket(b, user, ("/", "/personal"))
    response = requests.post(f"{a.url}/logout", headers={"Authorization": f"Bearer {user['access']}"}, timeout=10)
    assert response.status_code == 200
    sock.wait_for("session-ended")
    sock.wait_disconnected("/")
    sock.wait_disconnected("/personal")


def test_a_password_reset_disconnects_sockets_on_the_other_instance(cluster, smtp, live_socket):
    a, b = cluster
    user = a.signup_verify_login(smtp)
    sock = live_socket(b, user, ("/", "/group"))
    before = smtp.count(user["email"])
    assert requests.post(f"{a.url}/password/forgot", json={"email": user["email"]}, timeout=10).status_code == 202
    token = smtp.link(user["email"], count=before + 1, path="reset-password").split("token=")[1]
    reset = requests.post(f"{b.url}/password/reset", json={"token": token, "password": "brand-new-pass"}, timeout=10)
    assert reset.status_code == 200, reset.text
    sock.wait_for("session-ended")
    sock.wait_disconnected("/")
    sock.wait_disconnected("/group")
    me = requests.get(f"{a.url}/me", headers={"Authorization": f"Bearer {user['access']}"}, timeout=10)
    assert me.status_code == 401 and me.json()["error"]["code"] == "token_revoked"


def test_signing_out_a_session_disconnects_it_on_the_other_instance(cluster, smtp, live_socket):
    a, b = cluster
    user = a.signup_verify_login(smtp)
    phone = b.accounts().login(dict(user))
    sock = live_socket(b, phone, ("/", "/personal"))
    headers = {"Authorization": f"Bearer {user['access']}"}
    sessions = requests.get(f"{a.url}/me/sessions", headers=headers, timeout=10).json()["sessions"]
    other = next(s["SessionId"] for s in sessions if not s["Current"])
    assert requests.delete(f"{a.url}/me/sessions/{other}", headers=headers, timeout=10).status_code == 200
    sock.wait_for("session-ended")
    sock.wait_disconnected("/personal")


def test_redis_restart_loses_nothing_acknowledged(pair, redis_server, live_socket):
    a, b, alice, bob = pair
    acked = []

    def send(text):
        ack = alice["sock"].call("send-personal-message", {"ChatId": alice["chat"], "Content": text,
                                                           "ClientId": text}, "/personal")
        assert ack["ok"], ack
        acked.append(ack["Message"])

    send("before restart")
    bob["sock"].wait_for("receive-personal-message", "/personal")
    redis_server.stop()
    send("while redis is down")  # stored and acknowledged; the push may be lost
    redis_server.start()
    deadline = time.monotonic() + DEADLINE
    while True:  # deliveries resume once both instances have resubscribed
        send(f"after restart {len(acked)}")
        try:
            bob["sock"].wait_for("receive-personal-message", "/personal",
                                 match=lambda m: m["Message"]["MessageId"] == acked[-1]["MessageId"], timeout=1)
            break
        except AssertionError:
            assert time.monotonic() < deadline, "deliveries did not resume after Redis came back"
    # A client that reconnects catches up from history with After: every acknowledged message, once.
    page = bob["sock"].call("fetch-personal-chat", {"Partner": alice["id"], "After": acked[0]["MessageId"],
                                                   "Limit": 100}, "/personal")
    assert [m["MessageId"] for m in page["Messages"]] == [m["MessageId"] for m in acked[1:]]


def test_a_killed_instance_loses_nothing_and_its_presence_expires(pair, cluster, smtp, live_socket):
    a, b, alice, bob = pair
    carol = b.signup_verify_login(smtp)
    live_socket(b, carol, ("/",))
    alice["sock"].call("fetch-personal-chat", {"Partner": carol["id"]}, "/personal")
    assert alice["sock"].call("get-online-info", {"UserIds": [carol["id"]]})["Online"][carol["id"]] is True
    sent = bob["sock"].call("send-personal-message", {"ChatId": bob["chat"], "Content": "last words"}, "/personal")
    assert sent["ok"]
    b.crash()
    moved = live_socket(a, bob, ("/", "/personal"))  # bob's client reconnects to the surviving instance
    page = moved.call("fetch-personal-chat", {"Partner": alice["id"]}, "/personal")
    assert sent["Message"]["MessageId"] in [m["MessageId"] for m in page["Messages"]]
    assert moved.call("send-personal-message", {"ChatId": bob["chat"], "Content": "I am back"}, "/personal")["ok"]
    assert alice["sock"].wait_for("receive-personal-message", "/personal",
                                  match=lambda m: m["Content"] == "I am back")
    deadline = time.monotonic() + PRESENCE_TTL * 3
    while alice["sock"].call("get-online-info", {"UserIds": [carol["id"]]})["Online"][carol["id"]]:
        assert time.monotonic() < deadline, "a crashed instance's user stayed online past the expiry"
        time.sleep(0.2)


def test_per_user_socket_limits_are_shared_through_redis(smtp, tmp_path, redis_server, live_socket):
    a, b = start_cluster(smtp, tmp_path, redis_server.url, RATELIMIT_ENABLED=True,
                         SOCKET_LIMIT_OTHER="100/minute", SOCKET_LIMIT_OTHER_USER="4/minute")
    try:
        user = a.signup_verify_login(smtp)
        on_a, on_b = live_socket(a, user, ("/",)), live_socket(b, user, ("/",))
        answers = [sock.call("ping")["ok"] for sock in (on_a, on_b, on_a, on_b, on_a, on_b)]
        assert answers == [True, True, True, True, False, False]
        assert on_b.call("ping")["error"]["code"] == "rate_limited"
    finally:
        a.stop()
        b.stop()
