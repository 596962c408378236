"""Thread replies notify the thread's followers who are away, through the real server's push workers and a local
push service (tests/push_service.py): members who do not follow the thread get nothing for its replies, a mute
silences a follower unless the reply mentions them, and a follower who blocked the sender gets nothing from them."""
import time

import pytest
import requests
from push_service import BrowserKeys

from conftest import bearer, start_live_server, stop_live_server

pytestmark = [pytest.mark.live]


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory):
    live = start_live_server(smtp, tmp_path_factory.mktemp("thread-notify"), PUSH_ALLOW_INSECURE_LOCAL=1,
                             PUSH_TIMEOUT=2, PUSH_WORKERS=2, NOTIFY_DIGEST_POLL=0)
    yield live
    stop_live_server(live)


def call(server, user, method, path, **kwargs):
    answer = requests.request(method, server.url + path, headers=bearer(user["access"]), timeout=10, **kwargs)
    assert answer.ok, answer.text
    return answer.json() if answer.content else None


def test_followers_away_are_pushed_replies_with_mute_and_block_rules(server, push_services, live_socket):
    service = push_services("ok")
    alice, bob, carol, dave, frank = (server.verified_user() for _ in range(5))
    b = live_socket(server, bob, ("/", "/group"))  # bob stays online: nothing is pushed to him
    group = b.call("create-group-chat", {"Name": "pushes", "Participants": [
        alice["id"], carol["id"], dave["id"], frank["id"]]}, "/group")["Group"]["GroupId"]
    keys = {}
    for user in (alice, carol, dave, frank):
        keys[user["username"]] = BrowserKeys()
        call(server, user, "POST", "/me/push-subscriptions",
             json=keys[user["username"]].subscription(service.endpoint(user["username"])))
    call(server, dave, "PUT", f"/chats/{group}/mute")
    root = call(server, alice, "POST", f"/groups/{group}/messages", json={"Content": "the root"})["Message"]
    # pushed as a message: to carol and frank (dave muted the group, alice sent it, bob is online)
    service.wait_for(2)
    first = call(server, frank, "POST", f"/groups/{group}/messages",
                 json={"Content": "frank replies", "ThreadOf": root["MessageId"]})["Message"]
    call(server, frank, "PUT", f"/users/{bob['id']}/block")
    ack = b.call("send-group-message", {"GroupId": group, "Content": f"@{dave['username']} have a look",
                                        "ThreadOf": root["MessageId"]}, "/group")
    assert ack["ok"], ack
    second = ack["Message"]
    pushes = service.wait_for(5)
    time.sleep(1.0)  # anything more would have arrived by now
    assert len(service.pushes) == 5, [path for path, _h, _b in service.pushes]
    received = {}
    for path, _headers, body in pushes:
        name = path.rsplit("/", 1)[1]
        received.setdefault(name, []).append(keys[name].decrypt(body))
    assert {name: sorted(p["Excerpt"] for p in got) for name, got in received.items()} == {
        carol["username"]: ["the root"], frank["username"]: ["the root"],  # carol follows nothing; frank blocked bob
        alice["username"]: sorted(["frank replies", f"@{dave['username']} have a look"]),  # the root's author
        dave["username"]: [f"@{dave['username']} have a look"]}  # muted, but mentioned (and now following)
    by_excerpt = {p["Excerpt"]: p for p in received[alice["username"]]}
    assert by_excerpt["frank replies"] == {"Type": "message", "GroupId": group, "ThreadOf": root["MessageId"],
                                           "Sender": {"id": frank["id"], "username": frank["username"], "Bot": False},
                                           "Excerpt": "frank replies"}
    assert first["ThreadSeq"] == 1 and second["ThreadSeq"] == 2


@pytest.fixture(scope="module")
def digest_server(smtp, tmp_path_factory):
    live = start_live_server(smtp, tmp_path_factory.mktemp("thread-digest"), NOTIFY_DIGEST_POLL=0.1,
                             NOTIFY_EMAIL_DELAY=1, NOTIFY_EMAIL_INTERVAL=3600, PUSH_WORKERS=1)
    yield live
    stop_live_server(live)


def test_a_follower_away_gets_the_thread_in_the_email_digest(digest_server, smtp, live_socket):
    server = digest_server
    alice, bob = server.signup_verify_login(smtp), server.signup_verify_login(smtp)
    live_socket(server, alice)  # alice is here; bob is away
    root = call(server, bob, "POST", f"/chats/personal/{alice['id']}/messages",
                json={"Content": "the plan for friday"})["Message"]
    for text in ("first thought", "second thought"):
        call(server, alice, "POST", f"/chats/personal/{bob['id']}/messages",
             json={"Content": text, "ThreadOf": root["MessageId"]})
    # bob has nothing unread in the timeline (the root is his own), two unread replies in the thread he follows
    entry = call(server, bob, "GET", "/chats")["entries"][0]
    assert entry["Unread"] == 0
    digest = smtp.wait_for(bob["email"], 2)  # after the verification mail
    text = digest.get_body(("plain",)).get_content()
    assert f"Thread in {alice['username']}: the plan for friday: 2 unread" in text, text
    assert f"(newest: {alice['username']}: second thought)" in text, text
    time.sleep(1.5)  # polled 15 times since: one digest, the thread covered
    assert smtp.count(bob["email"]) == 2
