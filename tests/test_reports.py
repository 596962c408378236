"""Reports (SPEC v3 "Moderation in groups"), through the live server: members report a message once (a second
report is 409 `conflict`), the group's admin and moderators see the reports grouped per message and resolve them
by dismissing, deleting or kicking; the reported member never learns who reported them; reports of personal-chat
messages reach the server's operators (ADMIN_USERS). Every refusal changes nothing."""
import json
import threading

import pytest
from moderation_world import NS, Team, as_user, ok

from conftest import start_live_server, stop_live_server, unique

pytestmark = pytest.mark.live


@pytest.fixture
def team(live_server, live_socket):
    return Team(live_server, live_socket)


def report(team, user, message, reason="spam", **more):
    return team.rest("POST", user, f"/messages/{message['MessageId']}/report", {"Reason": reason, **more})


def reports(team, user):
    response = team.rest("GET", user, f"/groups/{team.group}/reports")
    assert response.status_code == 200, response.json()
    return response.json()["Reports"]


def test_reports_are_grouped_per_message_for_the_moderators(team):
    spam, other = team.send(team.bob, "buy now"), team.send(team.bob, "and again")
    assert report(team, team.carol, spam).status_code == 202
    assert report(team, team.admin, spam, "abuse", Note="rude too").status_code == 202
    assert report(team, team.carol, other, "other").status_code == 202
    listed = reports(team, team.mod)
    assert [(r["Message"]["MessageId"], r["Count"], r["Reasons"], r["Status"]) for r in listed] == [
        (other["MessageId"], 1, {"other": 1}, "open"), (spam["MessageId"], 2, {"spam": 1, "abuse": 1}, "open")]
    assert listed[1]["Notes"] == ["rude too"]
    assert reports(team, team.admin) == listed
    # Once per reporter and message: the second is 409 conflict, and changes nothing.
    team.refused("conflict", lambda: report(team, team.carol, spam, "abuse"), "reports")


def test_racing_first_reports_of_one_message_are_both_counted(team):
    message = team.send(team.bob, "contested")
    reporters = [team.server.verified_user() for _ in range(5)]
    for user in reporters:
        assert team.rest("POST", team.admin, f"/groups/{team.group}/invites", {}).status_code == 201
        code = team.rest("GET", team.admin, f"/groups/{team.group}/invites").json()["Invites"][0]["Code"]
        assert team.rest("POST", user, f"/invites/{code}/accept").status_code == 200
    answers, start = [], threading.Barrier(len(reporters))

    def race(user):
        start.wait()
        answers.append(report(team, user, message).status_code)

    threads = [threading.Thread(target=race, args=(user,)) for user in reporters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [202] * len(reporters)
    assert [r["Count"] for r in reports(team, team.mod)] == [len(reporters)]


def test_the_reported_member_never_learns_who_reported_them(team):
    message = team.send(team.bob, "provocative")
    ok(team.call(team.admin, "set-moderator", {"GroupId": team.group, "UserId": team.bob["id"], "On": True}))
    pushed = team.pushes()
    assert report(team, team.carol, message, "abuse", Note="please look").status_code == 202
    assert team.pushes() == pushed, "a report is pushed to nobody"
    assert reports(team, team.bob) == []  # a moderator never sees the reports of their own messages
    seen = json.dumps(reports(team, team.mod))
    assert team.carol["id"] not in seen and team.carol["username"] not in seen
    stored = team.db.reports.find_one({"message_id": message["MessageId"]})
    assert stored["reporters"][0]["user_id"] == team.carol["id"]  # kept, for nobody's eyes
    team.refused("not_found", lambda: team.rest("POST", team.bob, f"/reports/{stored['_id']}/resolve",
                                                {"Action": "dismiss"}), "reports")


def test_resolving_by_delete_dismiss_and_kick(team):
    deleted, dismissed, kicked = (team.send(team.bob, text) for text in ("one", "two", "three"))
    ids = {}
    for message in (deleted, dismissed, kicked):
        assert report(team, team.carol, message).status_code == 202
        ids[message["MessageId"]] = team.db.reports.find_one({"message_id": message["MessageId"]})["_id"]
    answer = team.rest("POST", team.mod, f"/reports/{ids[deleted['MessageId']]}/resolve", {"Action": "delete"})
    assert answer.status_code == 200 and answer.json() == {"ReportId": ids[deleted["MessageId"]], "Status": "deleted"}
    pushed = team.carol["sock"].wait_for("group-message-deleted", NS)["Message"]
    assert pushed["MessageId"] == deleted["MessageId"] and pushed["DeletedBy"] == as_user(team.mod)
    answer = team.rest("POST", team.admin, f"/reports/{ids[dismissed['MessageId']]}/resolve", {"Action": "dismiss"})
    assert answer.json()["Status"] == "dismissed"
    assert team.db.messages.find_one({"_id": dismissed["MessageId"]})["deleted"] is False
    answer = team.rest("POST", team.mod, f"/reports/{ids[kicked['MessageId']]}/resolve", {"Action": "kick"})
    assert answer.json()["Status"] == "kicked"
    assert team.bob["sock"].wait_for("kicked-out", NS) == {"GroupId": team.group}
    assert reports(team, team.mod) == []
    team.refused("conflict", lambda: team.rest("POST", team.admin, f"/reports/{ids[kicked['MessageId']]}/resolve",
                                               {"Action": "dismiss"}), "reports")


def test_report_and_resolve_refusals_change_nothing(team):
    by_admin, by_bob = team.send(team.admin, "admin speaking"), team.send(team.bob, "hello")
    team.refused("validation_error", lambda: report(team, team.bob, by_bob), "reports")  # one's own
    team.refused("not_found", lambda: report(team, team.eve, by_bob), "reports")  # a stranger
    team.refused("not_found", lambda: team.rest("POST", team.bob, "/messages/nope:1/report", {"Reason": "spam"}),
                 "reports")
    for body in ({"Reason": "boring"}, {}, {"Reason": "spam", "Note": "x" * 501}, {"Reason": "spam", "Who": 1}):
        team.refused("validation_error", lambda b=body: team.rest(
            "POST", team.carol, f"/messages/{by_bob['MessageId']}/report", b), "reports")
    assert report(team, team.carol, by_admin).status_code == 202
    report_id = team.db.reports.find_one({"message_id": by_admin["MessageId"]})["_id"]
    team.refused("forbidden", lambda: team.rest("GET", team.bob, f"/groups/{team.group}/reports"), "reports")
    team.refused("not_found", lambda: team.rest("GET", team.eve, f"/groups/{team.group}/reports"), "reports")
    team.refused("forbidden", lambda: team.rest("POST", team.bob, f"/reports/{report_id}/resolve",
                                                {"Action": "dismiss"}), "reports")
    team.refused("not_found", lambda: team.rest("POST", team.eve, f"/reports/{report_id}/resolve",
                                                {"Action": "delete"}), "reports")
    # A moderator cannot kick the admin, even through a report.
    team.refused("forbidden", lambda: team.rest("POST", team.mod, f"/reports/{report_id}/resolve",
                                                {"Action": "kick"}), "reports")
    team.refused("validation_error", lambda: team.rest("POST", team.mod, f"/reports/{report_id}/resolve",
                                                       {"Action": "ban"}), "reports")
    team.refused("forbidden", lambda: team.rest("GET", team.admin, "/admin/reports"), "reports")


def test_reports_of_personal_chats_reach_the_operators(smtp, tmp_path, live_socket):
    operator_name = unique("op")
    server = start_live_server(smtp, tmp_path, ADMIN_USERS=f"someone-else, {operator_name.upper()}")
    try:
        team = Team(server, live_socket)
        operator = server.verified_user(operator_name)
        chat = ok(team.call(team.bob, "fetch-personal-chat", {"Partner": team.carol["id"]}, "/personal"))["ChatId"]
        rude = ok(team.call(team.bob, "send-personal-message", {"ChatId": chat, "Content": "rude"}, "/personal"))
        assert report(team, team.carol, rude["Message"], "abuse").status_code == 202
        group_message = team.send(team.bob, "in the group")
        assert report(team, team.carol, group_message).status_code == 202
        response = team.rest("GET", operator, "/admin/reports")
        assert response.status_code == 200
        listed = response.json()["Reports"]
        assert [(r["Message"]["MessageId"], r["Reasons"]) for r in listed] == [
            (rude["Message"]["MessageId"], {"abuse": 1})]  # personal chats only
        resolve = f"/reports/{listed[0]['ReportId']}/resolve"
        team.refused("validation_error", lambda: team.rest("POST", operator, resolve, {"Action": "kick"}), "reports")
        answer = team.rest("POST", operator, f"/reports/{listed[0]['ReportId']}/resolve", {"Action": "delete"})
        assert answer.status_code == 200 and answer.json()["Status"] == "deleted"
        gone = team.bob["sock"].wait_for("personal-message-deleted", "/personal")["Message"]
        assert gone["Deleted"] is True and gone["DeletedBy"] == as_user(operator)
        team.refused("forbidden", lambda: team.rest("GET", team.admin, "/admin/reports"), "reports")
    finally:
        stop_live_server(server)
