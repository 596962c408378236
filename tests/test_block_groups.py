"""A block at the door of groups (issue #26, item 8), on the real server process.

Once A blocks B: B cannot bring A into a group (`create-group-chat` with A among the participants, refused whole,
or `add-member` A): `blocked`, and nothing changes; A may still bring B in. B's `@A` in a group they share is no
mention (send and edit), however they came to share it (created together, added, joined), and counts again once A
unblocks, even when A left meanwhile and came back.
"""
import pytest
import requests
from pymongo import MongoClient

from conftest import database_uri, error_code

pytestmark = pytest.mark.live
G = "/group"


def ok(ack):
    assert ack and ack.get("ok") is True, ack
    return ack


def block(server, blocker, blocked, on=True):
    response = requests.request("PUT" if on else "DELETE", f"{server.url}/users/{blocked['id']}/block",
                                headers={"Authorization": f"Bearer {blocker['access']}"}, timeout=10)
    assert response.status_code == 200, response.text


def groups_of(server, user_id):
    """The ids of the groups user_id is a member of, read from the server's database."""
    client = MongoClient(database_uri(), serverSelectionTimeoutMS=5000)
    try:
        return sorted(g["_id"] for g in client[server.env["MONGO_DB"]]["chats"].find({"kind": "group",
                                                                                      "members": user_id}))
    finally:
        client.close()


def mentions(sock, group_id, content):
    """The Mentions of a message sock sends to the group."""
    return ok(sock.call("send-group-message", {"GroupId": group_id, "Content": content}, G))["Message"]["Mentions"]


@pytest.fixture
def people(live_server, smtp, live_socket):
    """alice, bob, carol and dave, each with a /group socket."""
    users = [live_server.signup_verify_login(smtp) for _ in range(4)]
    for user in users:
        user["sock"] = live_socket(live_server, user, (G,))
    return users


def test_the_blocked_user_cannot_bring_the_blocker_into_a_group(live_server, people):
    alice, bob, carol, _dave = people
    block(live_server, alice, bob)
    alice_groups = groups_of(live_server, alice["id"])
    for participants in ([alice["id"]], [carol["id"], alice["id"]]):
        ack = bob["sock"].call("create-group-chat", {"Name": "lure", "Participants": participants}, G)
        assert error_code(ack) == "blocked", ack
    assert groups_of(live_server, bob["id"]) == [] and groups_of(live_server, carol["id"]) == []
    own = ok(bob["sock"].call("create-group-chat", {"Name": "own", "Participants": [carol["id"]]}, G))["Group"]
    ack = bob["sock"].call("add-member", {"GroupId": own["GroupId"], "Member": alice["id"]}, G)
    assert error_code(ack) == "blocked", ack
    assert groups_of(live_server, alice["id"]) == alice_groups
    # The blocker may still bring the blocked user in, and an unblock opens the door again.
    ok(alice["sock"].call("create-group-chat", {"Name": "mine", "Participants": [bob["id"]]}, G))
    block(live_server, alice, bob, on=False)
    ok(bob["sock"].call("add-member", {"GroupId": own["GroupId"], "Member": alice["id"]}, G))


def test_the_blocked_users_mentions_of_the_blocker_do_not_count(live_server, people):
    alice, bob, carol, dave = people
    group_id = ok(alice["sock"].call("create-group-chat", {"Name": "team", "Participants": [bob["id"], carol["id"]]},
                                     G))["Group"]["GroupId"]
    hail = f"@{alice['username']} and @{carol['username']}"
    assert mentions(bob["sock"], group_id, hail) == [alice["id"], carol["id"]]
    block(live_server, alice, bob)  # in a group they already share
    assert mentions(bob["sock"], group_id, hail) == [carol["id"]]
    assert mentions(carol["sock"], group_id, f"@{alice['username']} @{bob['username']}") == [alice["id"], bob["id"]]
    mine = ok(bob["sock"].call("send-group-message", {"GroupId": group_id, "Content": "plain"}, G))["Message"]
    edited = requests.patch(f"{live_server.url}/messages/{mine['MessageId']}", json={"Content": hail}, timeout=10,
                            headers={"Authorization": f"Bearer {bob['access']}"})
    assert edited.status_code == 200 and edited.json()["Message"]["Mentions"] == [carol["id"]], edited.text
    # Blocked before they share a group: the admin adds the blocked user, or they join a public one.
    block(live_server, alice, dave)
    ok(alice["sock"].call("add-member", {"GroupId": group_id, "Member": dave["id"]}, G))
    assert mentions(dave["sock"], group_id, hail) == [carol["id"]]
    public = ok(carol["sock"].call("create-group-chat", {"Name": "open", "Participants": [alice["id"]],
                                                         "Public": True}, G))["Group"]["GroupId"]
    ok(bob["sock"].call("join-group", {"GroupId": public}, G))
    assert mentions(bob["sock"], public, hail) == [carol["id"]]
    # An unblock counts them again, in groups the blocker left and came back to as well.
    ok(alice["sock"].call("leave-grp", {"GroupId": public}, G))
    block(live_server, alice, bob, on=False)
    ok(alice["sock"].call("join-group", {"GroupId": public}, G))
    assert mentions(bob["sock"], public, hail) == [alice["id"], carol["id"]]
    assert mentions(bob["sock"], group_id, hail) == [alice["id"], carol["id"]]
    assert mentions(dave["sock"], group_id, hail) == [carol["id"]]  # dave is still blocked
