"""Moderation across two server processes sharing Redis and one database (tests/cluster.py): slow mode holds a
member back whichever process their sends reach, and a pin on one process reaches a socket on the other."""
import pytest
from moderation_world import NS, ok

from conftest import HttpClient, bearer

pytestmark = [pytest.mark.live, pytest.mark.redis]


@pytest.fixture
def cluster(cluster_of):
    return cluster_of()


def test_slow_mode_holds_across_processes(cluster, live_socket):
    a, b = cluster
    admin, bob = a.verified_user(), a.verified_user()
    admin_sock = live_socket(a, admin, (NS,))
    bob_on_a, bob_on_b = live_socket(a, bob, (NS,)), live_socket(b, bob, (NS,))
    group = ok(admin_sock.call("create-group-chat", {"Name": "Slow", "Participants": [bob["id"]]}, NS))["Group"]
    ok(admin_sock.call("update-group", {"GroupId": group["GroupId"], "SlowModeSeconds": 30}, NS))
    ok(bob_on_a.call("send-group-message", {"GroupId": group["GroupId"], "Content": "on A"}, NS))
    db = a.db()
    before = list(db.messages.find({"chat_id": group["GroupId"]})), db.chats.find_one({"_id": group["GroupId"]})
    refused = bob_on_b.call("send-group-message", {"GroupId": group["GroupId"], "Content": "on B"}, NS)
    assert refused["ok"] is False and refused["error"]["code"] == "rate_limited", refused
    assert 29 <= refused["error"]["retry_after"] <= 30
    response = HttpClient(b.url).post(f"/groups/{group['GroupId']}/messages", json={"Content": "rest on B"},
                                      headers=bearer(bob["access"]))
    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"
    after = list(db.messages.find({"chat_id": group["GroupId"]})), db.chats.find_one({"_id": group["GroupId"]})
    assert after == before, "a send held back by slow mode stores nothing"
    # The admin, on the other process, is exempt; and a pin made on B reaches bob's socket on A.
    sent = ok(live_socket(b, admin, (NS,)).call("send-group-message",
                                                {"GroupId": group["GroupId"], "Content": "admin"}, NS))
    response = HttpClient(b.url).request("PUT", f"/chats/{group['GroupId']}/pins/{sent['Message']['MessageId']}",
                                         headers=bearer(admin["access"]))
    assert response.status_code == 200
    assert bob_on_a.wait_for("message-pinned", NS)["MessageId"] == sent["Message"]["MessageId"]
