"""Pins (SPEC v3 "Moderation in groups"), through the live server: `pin-message` on `/personal` and `/group`,
`message-pinned`, `Pinned` on messages, `GET /chats/<id>/pins` (most recently pinned first), the REST pin and
unpin, the 50-pin limit, unpinning by deletion, and `sync-chat` returning a pinned message. Refusals change
nothing and push nothing."""
import pytest
from moderation_world import NS, Team, as_user, ok

pytestmark = pytest.mark.live
P = "/personal"


@pytest.fixture
def team(live_server, live_socket):
    return Team(live_server, live_socket)


@pytest.fixture
def personal(team):
    """bob and carol's personal chat with two messages: (chat id, bob's message, carol's message)."""
    chat_id = ok(team.call(team.bob, "fetch-personal-chat", {"Partner": team.carol["id"]}, P))["ChatId"]
    first = ok(team.call(team.bob, "send-personal-message", {"ChatId": chat_id, "Content": "first"}, P))["Message"]
    second = ok(team.call(team.carol, "send-personal-message", {"ChatId": chat_id, "Content": "second"}, P))["Message"]
    return chat_id, first, second


def pins_of(team, user, chat_id):
    response = team.rest("GET", user, f"/chats/{chat_id}/pins")
    assert response.status_code == 200, response.json()
    return [m["MessageId"] for m in response.json()["Messages"]]


def test_either_member_of_a_personal_chat_pins_and_both_hear_of_it(team, personal):
    chat_id, first, second = personal
    rev = ok(team.call(team.carol, "sync-chat", {"ChatId": chat_id, "SinceRev": 0}, P))["Rev"]
    ack = ok(team.call(team.carol, "pin-message", {"ChatId": chat_id, "MessageId": first["MessageId"], "On": True}, P))
    assert ack["Message"]["Pinned"] is True and ack["Message"]["Rev"] > rev
    expected = {"ChatId": chat_id, "MessageId": first["MessageId"], "Pinned": True, "By": as_user(team.carol)}
    assert team.bob["sock"].wait_for("message-pinned", P) == expected
    assert team.carol["sock"].wait_for("message-pinned", P) == expected
    ok(team.call(team.bob, "pin-message", {"ChatId": chat_id, "MessageId": second["MessageId"], "On": True}, P))
    assert pins_of(team, team.bob, chat_id) == [second["MessageId"], first["MessageId"]]  # newest pin first
    changed = ok(team.call(team.bob, "sync-chat", {"ChatId": chat_id, "SinceRev": rev}, P))
    assert [(m["MessageId"], m["Pinned"]) for m in changed["Messages"]] == [
        (first["MessageId"], True), (second["MessageId"], True)]
    # Pinning again changes nothing and pushes nothing.
    before, pushed = team.state(), team.pushes()
    again = ok(team.call(team.bob, "pin-message", {"ChatId": chat_id, "MessageId": first["MessageId"], "On": True}, P))
    assert again["Message"]["Pinned"] is True and team.state() == before and team.pushes() == pushed
    off = ok(team.call(team.bob, "pin-message", {"ChatId": chat_id, "MessageId": first["MessageId"], "On": False}, P))
    assert off["Message"]["Pinned"] is False
    assert team.carol["sock"].wait_for("message-pinned", P, count=3)["Pinned"] is False
    assert pins_of(team, team.carol, chat_id) == [second["MessageId"]]


def test_deleting_a_message_unpins_it(team, personal):
    chat_id, first, _second = personal
    ok(team.call(team.bob, "pin-message", {"ChatId": chat_id, "MessageId": first["MessageId"], "On": True}, P))
    deleted = ok(team.call(team.bob, "delete-personal-message", {"ChatId": chat_id,
                                                                 "MessageId": first["MessageId"]}, P))["Message"]
    assert deleted["Pinned"] is False
    assert pins_of(team, team.carol, chat_id) == []
    assert team.db.chats.find_one({"_id": chat_id})["pins"] == []
    team.refused("validation_error", lambda: team.call(team.bob, "pin-message", {
        "ChatId": chat_id, "MessageId": first["MessageId"], "On": True}, P))


def test_in_a_group_the_admin_and_moderators_pin_and_members_see_the_pins(team):
    message, other = team.send(team.bob, "read this"), team.send(team.carol, "and this")
    ack = ok(team.call(team.mod, "pin-message", {"GroupId": team.group, "MessageId": message["MessageId"],
                                                 "On": True}))
    assert ack["Message"]["GroupId"] == team.group and ack["Message"]["Pinned"] is True
    assert team.carol["sock"].wait_for("message-pinned", NS) == {
        "GroupId": team.group, "MessageId": message["MessageId"], "Pinned": True, "By": as_user(team.mod)}
    response = team.rest("PUT", team.admin, f"/chats/{team.group}/pins/{other['MessageId']}")
    assert response.status_code == 200 and response.json()["Message"]["Pinned"] is True
    assert team.bob["sock"].wait_for("message-pinned", NS, count=2)["By"] == as_user(team.admin)
    assert pins_of(team, team.bob, team.group) == [other["MessageId"], message["MessageId"]]
    page = team.rest("GET", team.bob, f"/groups/{team.group}/messages").json()["Messages"]
    assert {m["MessageId"]: m["Pinned"] for m in page}[message["MessageId"]] is True
    response = team.rest("DELETE", team.mod, f"/chats/{team.group}/pins/{message['MessageId']}")
    assert response.status_code == 200 and response.json()["Message"]["Pinned"] is False
    # A moderator deleting a pinned message unpins it too.
    assert team.rest("DELETE", team.mod, f"/messages/{other['MessageId']}").status_code == 200
    assert pins_of(team, team.bob, team.group) == []


def test_pin_refusals_change_nothing(team, personal):
    chat_id, first, _second = personal
    message = team.send(team.bob, "pin me")
    pin = {"GroupId": team.group, "MessageId": message["MessageId"], "On": True}
    team.refused("forbidden", lambda: team.call(team.bob, "pin-message", pin))  # a plain member of a group
    team.refused("forbidden", lambda: team.rest("PUT", team.carol, f"/chats/{team.group}/pins/{message['MessageId']}"))
    team.refused("not_found", lambda: team.call(team.eve, "pin-message", pin))
    team.refused("not_found", lambda: team.rest("GET", team.eve, f"/chats/{team.group}/pins"))
    team.refused("not_found", lambda: team.rest("GET", team.admin, f"/chats/{chat_id}/pins"))  # not theirs
    team.refused("not_found", lambda: team.call(team.admin, "pin-message", {
        "ChatId": chat_id, "MessageId": first["MessageId"], "On": True}, P))
    team.refused("not_found", lambda: team.call(team.admin, "pin-message", {  # a message of another chat
        "GroupId": team.group, "MessageId": first["MessageId"], "On": True}))
    team.refused("not_found", lambda: team.call(team.bob, "pin-message", {
        "ChatId": chat_id, "MessageId": f"{chat_id}:99", "On": True}, P))
    for bad in ({"ChatId": chat_id, "MessageId": first["MessageId"]},
                {"ChatId": chat_id, "MessageId": first["MessageId"], "On": "yes"},
                {"ChatId": chat_id, "MessageId": {"$ne": None}, "On": True}):
        team.refused("validation_error", lambda bad=bad: team.call(team.bob, "pin-message", bad, P))


def test_a_chat_holds_at_most_50_pins(team, personal):
    chat_id = personal[0]
    sent = [team.rest("POST", team.bob, f"/chats/personal/{team.carol['id']}/messages", {"Content": f"m{i}"})
            .json()["Message"] for i in range(51)]
    for message in sent[:50]:
        assert team.rest("PUT", team.bob, f"/chats/{chat_id}/pins/{message['MessageId']}").status_code == 200
    team.refused("conflict", lambda: team.rest("PUT", team.carol, f"/chats/{chat_id}/pins/{sent[50]['MessageId']}"))
    assert pins_of(team, team.carol, chat_id) == [m["MessageId"] for m in reversed(sent[:50])]
    assert team.rest("DELETE", team.bob, f"/chats/{chat_id}/pins/{sent[0]['MessageId']}").status_code == 200
    assert team.rest("PUT", team.carol, f"/chats/{chat_id}/pins/{sent[50]['MessageId']}").status_code == 200
