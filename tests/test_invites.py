"""Invite links (SPEC v3 "Moderation in groups"), through the live server: made, listed and revoked by the admin
or a moderator, accepted into a private group, MaxUses and ExpiresIn enforced (the last use raced by threads:
exactly one gets in), kicked members kept out, the size limit kept; every refusal changes nothing."""
import threading
import time

import pytest
from moderation_world import NS, Team, as_user, ok

from conftest import start_live_server, stop_live_server

pytestmark = pytest.mark.live


@pytest.fixture
def team(live_server, live_socket):
    return Team(live_server, live_socket)


def invite(team, user, **body):
    response = team.rest("POST", user, f"/groups/{team.group}/invites", body)
    assert response.status_code == 201, response.json()
    return response.json()


def accept(team, user, code):
    return team.rest("POST", user, f"/invites/{code}/accept")


def test_a_moderator_invites_a_stranger_into_a_private_group(team):
    made = invite(team, team.mod)
    assert set(made) == {"Code", "Url", "MaxUses", "Uses", "ExpiresAt"}
    assert made["Url"] == f"{team.server.url}/?invite={made['Code']}" and len(made["Code"]) >= 22
    assert (made["MaxUses"], made["Uses"], made["ExpiresAt"]) == (None, 0, None)
    assert team.group_doc().get("public") is not True
    response = accept(team, team.eve, made["Code"])
    assert response.status_code == 200, response.json()
    assert team.eve["id"] in [m["id"] for m in response.json()["Group"]["Members"]]
    added = team.bob["sock"].wait_for("member-added", NS)
    assert added["Member"] == as_user(team.eve) and added["By"] == as_user(team.eve)
    assert team.eve["sock"].wait_for("group-created", NS)["Group"]["GroupId"] == team.group
    ok(team.call(team.eve, "send-group-message", {"GroupId": team.group, "Content": "hello, invited"}))
    listed = team.rest("GET", team.admin, f"/groups/{team.group}/invites").json()["Invites"]
    assert [(i["Code"], i["Uses"]) for i in listed] == [(made["Code"], 1)]
    # A member already: the same group, and no use taken.
    before = team.state("invites")
    assert accept(team, team.eve, made["Code"]).status_code == 200
    assert team.state("invites") == before


def test_codes_are_unguessable_and_distinct(team):
    codes = {invite(team, team.admin)["Code"] for _ in range(5)}
    assert len(codes) == 5 and all(len(code) >= 22 for code in codes)
    team.refused("not_found", lambda: accept(team, team.eve, "not-a-code"), "invites")


def test_racing_for_the_last_use_lets_exactly_one_in(team):
    made = invite(team, team.admin, MaxUses=1)
    racers = [team.server.verified_user() for _ in range(6)]
    answers, start = [], threading.Barrier(len(racers))

    def race(user):
        start.wait()
        answers.append((user["id"], accept(team, user, made["Code"]).status_code))

    threads = [threading.Thread(target=race, args=(user,)) for user in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [user_id for user_id, status in answers if status == 200]
    assert len(winners) == 1 and sorted(status for _, status in answers) == [200] + [404] * 5, answers
    members = team.group_doc()["members"]
    assert winners[0] in members and not {r["id"] for r in racers} - {winners[0]} & set(members)
    assert team.db.invites.find_one({"_id": made["Code"]})["uses"] == 1
    team.refused("not_found", lambda: accept(team, team.eve, made["Code"]), "invites")


def test_max_uses_expiry_and_revocation_close_the_code(team):
    twice = invite(team, team.admin, MaxUses=2)
    first, second = team.server.verified_user(), team.server.verified_user()
    assert accept(team, first, twice["Code"]).status_code == 200
    assert accept(team, second, twice["Code"]).status_code == 200
    team.refused("not_found", lambda: accept(team, team.eve, twice["Code"]), "invites")
    brief = invite(team, team.mod, ExpiresIn=1)
    assert brief["ExpiresAt"] is not None
    time.sleep(1.2)
    team.refused("not_found", lambda: accept(team, team.eve, brief["Code"]), "invites")
    revoked = invite(team, team.mod)
    response = team.rest("DELETE", team.admin, f"/groups/{team.group}/invites/{revoked['Code']}")
    assert response.status_code == 200 and response.json() == {"Code": revoked["Code"], "Revoked": True}
    team.refused("not_found", lambda: accept(team, team.eve, revoked["Code"]), "invites")
    team.refused("not_found", lambda: team.rest("DELETE", team.admin,
                                                f"/groups/{team.group}/invites/{revoked['Code']}"), "invites")
    listed = [i["Code"] for i in team.rest("GET", team.mod, f"/groups/{team.group}/invites").json()["Invites"]]
    assert listed == [brief["Code"], twice["Code"]]


def test_an_invite_to_an_archived_group_joins_nobody(team):
    made = invite(team, team.admin)
    for user in (team.mod, team.bob, team.carol):
        ok(team.call(user, "leave-grp", {"GroupId": team.group}))
    ok(team.call(team.admin, "leave-grp", {"GroupId": team.group}))  # the last member: archived
    assert team.group_doc()["archived"] is True
    team.refused("not_found", lambda: accept(team, team.eve, made["Code"]), "invites")


def test_someone_kicked_cannot_come_back_by_invite(team):
    made = invite(team, team.admin)
    ok(team.call(team.mod, "kickout", {"GroupId": team.group, "Member": team.bob["id"]}))
    team.refused("forbidden", lambda: accept(team, team.bob, made["Code"]), "invites")


def test_only_the_admin_and_moderators_manage_invites(team):
    made = invite(team, team.admin)
    for method, path in (("POST", f"/groups/{team.group}/invites"), ("GET", f"/groups/{team.group}/invites"),
                         ("DELETE", f"/groups/{team.group}/invites/{made['Code']}")):
        team.refused("forbidden", lambda m=method, p=path: team.rest(m, team.bob, p, {} if m == "POST" else None),
                     "invites")
        team.refused("not_found", lambda m=method, p=path: team.rest(m, team.eve, p, {} if m == "POST" else None),
                     "invites")
    for body in ({"MaxUses": 0}, {"MaxUses": "3"}, {"ExpiresIn": 0}, {"ExpiresIn": 1.5}, {"Code": "mine"}):
        team.refused("validation_error", lambda b=body: team.rest("POST", team.admin,
                                                                  f"/groups/{team.group}/invites", b), "invites")


def test_an_invite_keeps_the_group_size_limit(smtp, tmp_path, live_socket):
    server = start_live_server(smtp, tmp_path, GROUP_MAX_MEMBERS=5)
    try:
        team = Team(server, live_socket)  # admin, mod, bob, carol: 4 of 5
        made = invite(team, team.admin)
        assert accept(team, team.eve, made["Code"]).status_code == 200
        late = server.verified_user()
        late["sock"] = live_socket(server, late, ("/", NS, "/personal"))
        team.everyone.append(late)
        error = team.refused("conflict", lambda: accept(team, late, made["Code"]), "invites")
        assert "full" in error["message"]
        assert team.db.invites.find_one({"_id": made["Code"]})["uses"] == 1
    finally:
        stop_live_server(server)
