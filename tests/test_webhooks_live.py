"""Webhooks through real server processes: outgoing deliveries to a real local receiver (tests/push_service.py's
PushService, which records every POST), signed with the hook's secret, in order and exactly once across a stopped
and restarted receiver and across two processes sharing one database; incoming webhooks posting live into a
group member's socket."""
import hashlib
import hmac
import json
import time

import pytest
import requests
from push_service import PushService

from conftest import bearer, start_live_server, stop_live_server, unique

pytestmark = [pytest.mark.live]

FAST = {"WEBHOOK_ALLOW_INSECURE_LOCAL": 1, "WEBHOOK_POLL": 0.1, "WEBHOOK_RETRY_BASE": 0.1, "WEBHOOK_RETRY_MAX": 0.5,
        "WEBHOOK_TIMEOUT": 2}


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory):
    live = start_live_server(smtp, tmp_path_factory.mktemp("webhooks"), **FAST)
    yield live
    stop_live_server(live)


@pytest.fixture
def receivers():
    made = []

    def make(port=0):
        made.append(PushService("ok", port))
        return made[-1]
    yield make
    for one in made:
        one.close()


def make_group(server, live_socket, admin, members=()):
    sock = live_socket(server, admin, ("/", "/group"))
    ack = sock.call("create-group-chat", {"Name": "team", "Participants": [m["id"] for m in members]}, "/group")
    assert ack.get("ok") is not False and "Group" in ack, ack
    return ack["Group"]["GroupId"]


def create_hook(server, admin, group_id, **body):
    answer = requests.post(f"{server.url}/groups/{group_id}/webhooks", json={"Name": "ci", **body},
                           headers=bearer(admin["access"]), timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def send(server, user, group_id, content):
    answer = requests.post(f"{server.url}/groups/{group_id}/messages", json={"Content": content},
                           headers=bearer(user["access"]), timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["Message"]


def delivered(receiver, secret):
    """The messages the receiver got, in arrival order, each checked against its signature."""
    out = []
    for _path, headers, body in list(receiver.pushes):
        timestamp = headers["X-Chat-Timestamp"]
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Chat-Signature"], f"sha256={expected}"), headers
        assert abs(int(timestamp) - time.time()) < 60 and headers["Content-Type"] == "application/json"
        out.append(json.loads(body))
    return out


def test_every_message_is_posted_signed_with_the_secret(server, live_socket, receivers):
    receiver = receivers()
    admin, member = server.verified_user(), server.verified_user()
    group_id = make_group(server, live_socket, admin, [member])
    made = create_hook(server, admin, group_id, Url=receiver.url + "/hook")
    assert set(made) == {"WebhookId", "Secret"}
    sent = [send(server, admin if n % 2 else member, group_id, f"m{n}") for n in range(4)]
    receiver.wait_for(4, timeout=30)
    bodies = delivered(receiver, made["Secret"])
    assert [b["Type"] for b in bodies] == ["message"] * 4 and {b["GroupId"] for b in bodies} == {group_id}
    assert [b["Message"]["MessageId"] for b in bodies] == [m["MessageId"] for m in sent]
    assert bodies[0]["Message"]["Content"] == "m0" and bodies[0]["Message"]["Sender"]["id"] == member["id"]
    # A wrong secret does not verify: the signature is really keyed.
    with pytest.raises(AssertionError):
        delivered(receiver, "not-the-secret")


def test_a_receiver_stopped_and_restarted_gets_everything_once_and_in_order(server, live_socket, receivers):
    receiver = receivers()
    port = int(receiver.url.rsplit(":", 1)[1])
    admin = server.verified_user()
    group_id = make_group(server, live_socket, admin)
    made = create_hook(server, admin, group_id, Url=receiver.url + "/hook")
    sent = [send(server, admin, group_id, "before 0"), send(server, admin, group_id, "before 1")]
    receiver.wait_for(2)
    receiver.close()  # the receiver goes down mid-stream
    sent += [send(server, admin, group_id, f"while down {n}") for n in range(5)]
    time.sleep(2)  # deliveries fail and back off meanwhile
    db = server.db()
    pending = db.webhook_deliveries.find({"hook_id": made["WebhookId"], "state": "pending"})
    assert len(list(pending)) == 5
    back = receivers(port)
    back.wait_for(5, timeout=30)
    time.sleep(1)  # nothing more comes
    got = delivered(receiver, made["Secret"]) + delivered(back, made["Secret"])
    assert [b["Message"]["MessageId"] for b in got] == [m["MessageId"] for m in sent]
    assert [b["Message"]["Seq"] for b in got] == sorted(b["Message"]["Seq"] for b in got)


def test_two_processes_deliver_each_message_once(smtp, tmp_path, live_socket, receivers):
    database = unique("live_")
    first = start_live_server(smtp, tmp_path, MONGO_DB=database, **FAST)
    second = start_live_server(smtp, tmp_path, MONGO_DB=database, **FAST)
    try:
        receiver = receivers()
        admin = first.verified_user()
        group_id = make_group(first, live_socket, admin)
        made = create_hook(first, admin, group_id, Url=receiver.url + "/hook")
        sent = [send(first if n % 2 else second, admin, group_id, f"n{n}") for n in range(20)]
        receiver.wait_for(20, timeout=60)
        time.sleep(1.5)  # both loops ran many passes since
        got = [b["Message"]["MessageId"] for b in delivered(receiver, made["Secret"])]
        assert got == [m["MessageId"] for m in sent]
    finally:
        stop_live_server(first)
        stop_live_server(second)


def test_an_incoming_webhook_posts_live_into_a_members_socket(server, live_socket):
    admin, member = server.verified_user(), server.verified_user()
    group_id = make_group(server, live_socket, admin, [member])
    watcher = live_socket(server, member, ("/", "/group"))
    made = create_hook(server, admin, group_id)
    assert set(made) == {"WebhookId", "Url"} and made["Url"].startswith(f"{server.url}/hooks/")
    bot = watcher.wait_for("member-added", "/group")
    answer = requests.post(made["Url"], json={"Content": "build passed"}, timeout=10)
    assert answer.status_code == 201, answer.text
    message = answer.json()["Message"]
    pushed = watcher.wait_for("receive-group-message", "/group",
                              match=lambda p: p["Message"]["MessageId"] == message["MessageId"])
    assert pushed["Message"]["Content"] == "build passed"
    assert pushed["Message"]["Sender"]["username"].startswith("ci-")
    assert pushed["Message"]["Sender"]["id"] == message["Sender"]["id"]
    # Only the secret's hash is kept.
    secret = made["Url"].rsplit("/", 1)[1]
    stored = server.db().webhooks.find_one({"_id": made["WebhookId"]})
    assert secret not in json.dumps(stored, default=str)
    assert stored["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    listed = requests.get(f"{server.url}/groups/{group_id}/webhooks", headers=bearer(admin["access"]), timeout=10)
    assert [(h["WebhookId"], h["Kind"], h["Name"]) for h in listed.json()["Webhooks"]] == \
        [(made["WebhookId"], "incoming", "ci")]
    gone = requests.delete(f"{server.url}/groups/{group_id}/webhooks/{made['WebhookId']}",
                           headers=bearer(admin["access"]), timeout=10)
    assert gone.status_code == 204
    after = requests.post(made["Url"], json={"Content": "after"}, timeout=10)
    assert after.status_code == 404 and after.json()["error"]["code"] == "not_found"
    removed = watcher.wait_for("member-removed", "/group")  # the bot left the group with its webhook
    assert removed["Member"]["id"] == bot["Member"]["id"] == message["Sender"]["id"]
