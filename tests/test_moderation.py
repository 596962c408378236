"""Moderation in groups (SPEC v3), through the live server: moderators and what they may and may not do, the
admin's rights with moderators present, and slow mode. Every refusal leaves the database as it was and pushes
nothing (tests/moderation_world.py `Team.refused`). Pins: tests/test_pins.py; invites: tests/test_invites.py;
slow mode across two processes: tests/test_moderation_cluster.py."""
import threading
import time

import pytest
from moderation_world import NS, Team, as_user, ok

pytestmark = pytest.mark.live


@pytest.fixture
def team(live_server, live_socket):
    return Team(live_server, live_socket)


def test_the_admin_names_a_moderator_and_every_member_hears_of_it(team):
    group = team.bob["sock"].wait_for("group-updated", NS)["Group"]
    assert group["Moderators"] == [team.mod["id"]] and group["SlowModeSeconds"] == 0
    assert team.group_doc()["moderators"] == [team.mod["id"]]
    ack = ok(team.call(team.admin, "set-moderator", {"GroupId": team.group, "UserId": team.bob["id"], "On": True}))
    assert ack["Group"]["Moderators"] == [team.mod["id"], team.bob["id"]]
    assert team.carol["sock"].wait_for("group-updated", NS, count=2)["Group"] == ack["Group"]
    off = ok(team.call(team.admin, "set-moderator", {"GroupId": team.group, "UserId": team.bob["id"], "On": False}))
    assert off["Group"]["Moderators"] == [team.mod["id"]]
    detail = team.rest("GET", team.carol, f"/groups/{team.group}").json()["Group"]
    assert detail["Moderators"] == [team.mod["id"]]


@pytest.mark.parametrize("actor, target, expected", [
    ("mod", "bob", "forbidden"),  # only the admin names moderators
    ("bob", "carol", "forbidden"),
    ("eve", "bob", "not_found"),  # a stranger learns nothing
    ("admin", "admin", "validation_error"),  # the admin has every right already
    ("admin", "eve", "not_found"),  # not a member
])
def test_set_moderator_refusals_change_nothing(team, actor, target, expected):
    actor, target = getattr(team, actor), getattr(team, target)
    team.refused(expected, lambda: team.call(actor, "set-moderator",
                                             {"GroupId": team.group, "UserId": target["id"], "On": True}))


def test_a_moderator_kicks_a_plain_member(team):
    ack = ok(team.call(team.mod, "kickout", {"GroupId": team.group, "Member": team.bob["id"]}))
    assert team.bob["id"] not in [m["id"] for m in ack["Group"]["Members"]]
    assert team.bob["sock"].wait_for("kicked-out", NS) == {"GroupId": team.group}
    removed = team.carol["sock"].wait_for("member-removed", NS)
    assert removed["Member"] == as_user(team.bob) and removed["By"] == as_user(team.mod)
    assert team.bob["id"] in team.group_doc()["kicked"]


@pytest.mark.parametrize("event, payload", [
    ("kickout", lambda t: {"GroupId": t.group, "Member": t.admin["id"]}),  # the admin
    ("kickout", lambda t: {"GroupId": t.group, "Member": t.carol["id"]}),  # another moderator (carol, below)
    ("kickout", lambda t: {"GroupId": t.group, "Member": t.mod["id"]}),  # themself: a moderator too
    ("delete-grp", lambda t: {"GroupId": t.group}),
    ("change-admin", lambda t: {"GroupId": t.group, "Member": t.mod["id"]}),
    ("change-admin", lambda t: {"GroupId": t.group, "Member": t.bob["id"]}),
    ("add-member", lambda t: {"GroupId": t.group, "Member": t.eve["id"]}),
    ("update-group", lambda t: {"GroupId": t.group, "Name": "mine"}),
    ("update-group", lambda t: {"GroupId": t.group, "Public": True, "SlowModeSeconds": 5}),
    ("set-moderator", lambda t: {"GroupId": t.group, "UserId": t.mod["id"], "On": False}),
])
def test_what_a_moderator_may_not_do_changes_nothing(team, event, payload):
    ok(team.call(team.admin, "set-moderator", {"GroupId": team.group, "UserId": team.carol["id"], "On": True}))
    team.refused("forbidden", lambda: team.call(team.mod, event, payload(team)))


def test_plain_members_may_not_moderate(team):
    message = team.send(team.carol, "mine")
    team.refused("forbidden", lambda: team.call(team.bob, "kickout", {"GroupId": team.group,
                                                                      "Member": team.carol["id"]}))
    team.refused("forbidden", lambda: team.rest("DELETE", team.bob, f"/messages/{message['MessageId']}"))
    team.refused("forbidden", lambda: team.call(team.bob, "update-group", {"GroupId": team.group,
                                                                           "SlowModeSeconds": 10}))
    team.refused("not_found", lambda: team.rest("DELETE", team.eve, f"/messages/{message['MessageId']}"))


def test_a_moderator_deletes_anyones_message_and_it_says_who(team):
    by_bob, by_admin = team.send(team.bob, "spam spam"), team.send(team.admin, "rules")
    for message, author in ((by_bob, team.bob), (by_admin, team.admin)):
        response = team.rest("DELETE", team.mod, f"/messages/{message['MessageId']}")
        assert response.status_code == 200, response.json()
        deleted = response.json()["Message"]
        assert deleted["Deleted"] is True and deleted["Content"] == "" and deleted["DeletedBy"] == as_user(team.mod)
        pushed = author["sock"].wait_for("group-message-deleted", NS,
                                         match=lambda d, m=message: d["Message"]["MessageId"] == m["MessageId"])
        assert pushed["Message"]["DeletedBy"] == as_user(team.mod)
    own = team.send(team.bob, "my own")
    mine = team.rest("DELETE", team.bob, f"/messages/{own['MessageId']}").json()["Message"]
    assert mine["Deleted"] is True and mine["DeletedBy"] is None  # an author's own deletion names nobody
    history = team.rest("GET", team.carol, f"/groups/{team.group}/messages").json()["Messages"]
    assert {m["MessageId"]: m["DeletedBy"] for m in history}[by_bob["MessageId"]] == as_user(team.mod)


def test_the_admin_keeps_every_right_and_roles_follow_membership(team):
    ok(team.call(team.admin, "set-moderator", {"GroupId": team.group, "UserId": team.bob["id"], "On": True}))
    # The admin kicks a moderator: no longer one.
    ok(team.call(team.admin, "kickout", {"GroupId": team.group, "Member": team.bob["id"]}))
    assert team.group_doc()["moderators"] == [team.mod["id"]]
    # A moderator who leaves is no longer one.
    ok(team.call(team.admin, "set-moderator", {"GroupId": team.group, "UserId": team.carol["id"], "On": True}))
    ok(team.call(team.carol, "leave-grp", {"GroupId": team.group}))
    assert team.group_doc()["moderators"] == [team.mod["id"]]
    # A moderator who becomes admin is no longer listed as a moderator; the old admin is a plain member.
    ack = ok(team.call(team.admin, "change-admin", {"GroupId": team.group, "Member": team.mod["id"]}))
    assert ack["Group"]["Admin"] == as_user(team.mod) and ack["Group"]["Moderators"] == []
    team.refused("forbidden", lambda: team.call(team.admin, "kickout", {"GroupId": team.group,
                                                                        "Member": team.mod["id"]}))


def test_an_admin_who_leaves_hands_over_to_a_moderator_who_stops_being_one(team):
    ok(team.call(team.admin, "kickout", {"GroupId": team.group, "Member": team.bob["id"]}))
    ok(team.call(team.admin, "kickout", {"GroupId": team.group, "Member": team.carol["id"]}))
    ok(team.call(team.admin, "leave-grp", {"GroupId": team.group}))
    group = team.group_doc()
    assert group["admin_id"] == team.mod["id"] and group["moderators"] == []


# Slow mode

def test_slow_mode_holds_back_plain_members_on_every_send_path(team):
    ack = ok(team.call(team.mod, "update-group", {"GroupId": team.group, "SlowModeSeconds": 2}))
    assert ack["Group"]["SlowModeSeconds"] == 2
    assert team.bob["sock"].wait_for("group-updated", NS, count=2)["Group"]["SlowModeSeconds"] == 2
    first = ok(team.call(team.bob, "send-group-message", {"GroupId": team.group, "Content": "one"}))["Message"]
    error = team.refused("rate_limited", lambda: team.call(team.bob, "send-group-message",
                                                           {"GroupId": team.group, "Content": "two"}))
    assert 1 <= error["retry_after"] <= 2 and "Slow mode" in error["message"]
    before = team.state()
    response = team.rest("POST", team.bob, f"/groups/{team.group}/messages", {"Content": "by rest"})
    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 2
    assert team.state() == before
    # The admin and moderators are exempt; other members have their own clock.
    for user in (team.admin, team.mod, team.admin, team.mod, team.carol):
        ok(team.call(user, "send-group-message", {"GroupId": team.group, "Content": "exempt"}))
    time.sleep(2.1)
    later = ok(team.call(team.bob, "send-group-message", {"GroupId": team.group, "Content": "two"}))["Message"]
    assert later["Seq"] == first["Seq"] + 6  # no Seq was taken by the refused sends
    ok(team.call(team.admin, "update-group", {"GroupId": team.group, "SlowModeSeconds": 0}))
    ok(team.call(team.bob, "send-group-message", {"GroupId": team.group, "Content": "off"}))
    ok(team.call(team.bob, "send-group-message", {"GroupId": team.group, "Content": "off again"}))


@pytest.mark.parametrize("value", [-1, 3601, "5", True, 2.5, None])
def test_slow_mode_values_out_of_range_are_refused(team, value):
    team.refused("validation_error", lambda: team.call(team.admin, "update-group",
                                                       {"GroupId": team.group, "SlowModeSeconds": value}))


def test_racing_sends_in_slow_mode_store_one_message(team):
    ok(team.call(team.admin, "update-group", {"GroupId": team.group, "SlowModeSeconds": 60}))
    answers, start = [], threading.Barrier(6)

    def race(i):
        start.wait()
        answers.append(team.rest("POST", team.bob, f"/groups/{team.group}/messages", {"Content": f"race {i}"})
                       .status_code)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201] + [429] * 5, answers
    assert team.db.messages.count_documents({"chat_id": team.group, "sender_id": team.bob["id"]}) == 1
