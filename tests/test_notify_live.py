"""Notifications through real server processes: pushes from the gevent workers to a local push service that
decrypts them, a hanging push service that delays no send, and email digests sent exactly once by two processes
sharing one database and one Redis (each with its own digest loop)."""
import re
import time

import pytest
import requests
from push_service import BrowserKeys
from pymongo import MongoClient

from cluster import start_cluster
from conftest import DEADLINE, bearer, database_uri, start_live_server, stop_live_server

pytestmark = [pytest.mark.live]


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory):
    live = start_live_server(smtp, tmp_path_factory.mktemp("notify"), PUSH_ALLOW_INSECURE_LOCAL=1, PUSH_TIMEOUT=2,
                             PUSH_WORKERS=2, NOTIFY_DIGEST_POLL=0)
    yield live
    stop_live_server(live)


def subscribe(server, user, endpoint):
    keys = BrowserKeys()
    answer = requests.post(f"{server.url}/me/push-subscriptions", json=keys.subscription(endpoint),
                           headers=bearer(user["access"]), timeout=10)
    assert answer.status_code == 201, answer.text
    return keys


def test_a_push_reaches_the_push_service_encrypted_and_a_hanging_one_delays_no_ack(server, smtp, push_services,
                                                                                  live_socket):
    good, hanging = push_services("ok"), push_services("hang")
    alice, bob = server.signup_verify_login(smtp), server.signup_verify_login(smtp)
    keys = subscribe(server, bob, good.endpoint("bob"))
    subscribe(server, bob, hanging.endpoint("bob"))
    sock = live_socket(server, alice, ("/", "/personal"))
    chat = sock.call("fetch-personal-chat", {"Partner": bob["id"]}, "/personal")["ChatId"]
    acks = []
    for n in range(6):
        started = time.monotonic()
        ack = sock.call("send-personal-message", {"ChatId": chat, "Content": f"message {n}"}, "/personal")
        acks.append(time.monotonic() - started)
        assert ack["ok"], ack
    # Each push to the hanging service waits PUSH_TIMEOUT (2 s); no ack waited for any of them.
    assert max(acks) < 1.0, acks
    pushes = good.wait_for(6, timeout=30)
    payloads = sorted((keys.decrypt(body) for _path, _headers, body in pushes), key=lambda p: p["Excerpt"])
    assert payloads == [{"Type": "message", "ChatId": chat, "Sender": {"id": alice["id"],
                                                                        "username": alice["username"],
                                                                        "Bot": False},
                         "Excerpt": f"message {n}"} for n in range(6)]
    assert hanging.wait_for(1, timeout=10)
    time.sleep(0.5)
    assert len(good.pushes) == 6  # one per message and subscription


def test_a_gone_subscription_is_deleted_by_the_server(server, smtp, push_services):
    gone = push_services("gone")
    alice, bob = server.signup_verify_login(smtp), server.signup_verify_login(smtp)
    subscribe(server, bob, gone.endpoint())
    sent = requests.post(f"{server.url}/chats/personal/{bob['id']}/messages", json={"Content": "hi"},
                         headers=bearer(alice["access"]), timeout=10)
    assert sent.status_code == 201
    gone.wait_for(1)
    client = MongoClient(database_uri())
    try:
        subscriptions = client[server.env["MONGO_DB"]]["push_subscriptions"]
        deadline = time.monotonic() + DEADLINE
        while subscriptions.count_documents({"user_id": bob["id"]}) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert subscriptions.count_documents({"user_id": bob["id"]}) == 0
    finally:
        client.close()


@pytest.mark.redis
def test_two_processes_send_one_digest_per_window_never_for_muted_chats(smtp, tmp_path, redis_server, live_socket):
    a, b = start_cluster(smtp, tmp_path, redis_server.url, NOTIFY_DIGEST_POLL=0.1, NOTIFY_EMAIL_DELAY=1,
                         NOTIFY_EMAIL_INTERVAL=3600, PUSH_WORKERS=2, CLIENT_URL="http://client.test")
    try:
        alice, bob, carol = (a.signup_verify_login(smtp), b.signup_verify_login(smtp), a.signup_verify_login(smtp))
        live_socket(a, alice)  # alice is here; bob and carol are away
        muted = requests.post(f"{a.url}/chats/personal/{carol['id']}/messages", json={"Content": "first"},
                              headers=bearer(alice["access"]), timeout=10).json()["Message"]["ChatId"]
        assert requests.put(f"{b.url}/chats/{muted}/mute", headers=bearer(carol["access"]), timeout=10).ok
        for n, server in enumerate((a, b, a, b)):
            for partner in (bob, carol):
                answer = requests.post(f"{server.url}/chats/personal/{partner['id']}/messages",
                                       json={"Content": f"news {n}"}, headers=bearer(alice["access"]), timeout=10)
                assert answer.status_code == 201
        digest = smtp.wait_for(bob["email"], 2)  # after the verification mail
        # It goes NOTIFY_EMAIL_DELAY after the first unread message: with all four sent by then it says 4, on a
        # loaded machine fewer; either way it counts what was unread when it went and names the newest of them.
        unread, newest = map(int, re.search(r"(\d+) unread \(newest: \w+: news (\d+)\)",
                                            digest.get_body(("plain",)).get_content()).groups())
        assert 1 <= unread == newest + 1 <= 4
        time.sleep(3)  # both processes polled 30 times since: still one digest, and none for the muted chat
        assert smtp.count(bob["email"]) == 2
        assert smtp.count(carol["email"]) == 2 - 1
        # The one-click unsubscribe, over HTTP on the other process, signed in as nobody.
        link = digest["List-Unsubscribe"].strip("<>").replace(a.url, b.url)
        answer = requests.post(link, data={"List-Unsubscribe": "One-Click"}, timeout=10)
        assert answer.status_code == 200 and answer.json() == {"EmailNotifications": "off"}
        settings = requests.get(f"{a.url}/me/settings", headers=bearer(bob["access"]), timeout=10).json()
        assert settings == {"EmailNotifications": "off"}
    finally:
        a.stop()
        b.stop()
