"""The audit log of groups and the security log of accounts (issue #38), through the live server: admin changes
over the real socket, sign-ins and account changes over HTTP, the logs read back over `GET`."""
import pytest
import requests

from conftest import DEADLINE, PASSWORD, bearer, error_code, snapshot

pytestmark = pytest.mark.live


def get(server, path, user, **params):
    return requests.get(server.url + path, headers=bearer(user["access"]), params=params, timeout=DEADLINE)


def post(server, path, user=None, **body):
    headers = bearer(user["access"]) if user else {}
    return requests.post(server.url + path, headers=headers, json=body, timeout=DEADLINE)


def test_the_audit_log_keeps_who_did_what_to_whom_newest_first(live_server, live_socket):
    server = live_server
    admin, bob, carol = (server.verified_user() for _ in range(3))
    sock = live_socket(server, admin, ("/group",))
    group = sock.call("create-group-chat", {"Name": "Audited", "Participants": [bob["id"]]},
                      namespace="/group")["Group"]
    gid = group["GroupId"]
    assert group["RetentionDays"] == 0
    steps = [("add-member", {"GroupId": gid, "Member": carol["id"]}),
             ("update-group", {"GroupId": gid, "Name": "Renamed", "RetentionDays": 7}),
             ("kickout", {"GroupId": gid, "Member": carol["id"]}),
             ("change-admin", {"GroupId": gid, "Member": bob["id"]})]
    for event, data in steps:
        ack = sock.call(event, data, namespace="/group")
        assert ack["ok"] is True, (event, ack)
    assert ack["Group"]["RetentionDays"] == 7

    # The new admin reads it; newest first, with actor, target and what changed.
    answer = get(server, f"/groups/{gid}/audit", bob)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["state"] == {"page": 1, "per_page": 20, "total": 4, "total_pages": 1}
    actions = [(e["Action"], e["Actor"]["id"], e["Target"] and e["Target"]["id"]) for e in body["entries"]]
    assert actions == [("admin_changed", admin["id"], bob["id"]), ("member_kicked", admin["id"], carol["id"]),
                       ("group_updated", admin["id"], None), ("member_added", admin["id"], carol["id"])]
    assert body["entries"][0]["Actor"]["username"] == admin["username"]
    assert body["entries"][2]["Detail"] == {"Name": ["Audited", "Renamed"], "RetentionDays": [0, 7]}
    assert all(e["At"].endswith("Z") for e in body["entries"])
    paged = get(server, f"/groups/{gid}/audit", bob, page=2, per_page=3).json()
    assert [e["Action"] for e in paged["entries"]] == ["member_added"] and paged["state"]["total_pages"] == 2

    # The former admin is a member now (403), the kicked member and a stranger are not members (404); no token: 401.
    stranger = server.verified_user()
    before = snapshot(server.db(), "group_audit")
    assert get(server, f"/groups/{gid}/audit", admin).status_code == 403
    assert error_code(get(server, f"/groups/{gid}/audit", admin)) == "forbidden"
    assert error_code(get(server, f"/groups/{gid}/audit", carol)) == "not_found"
    assert error_code(get(server, f"/groups/{gid}/audit", stranger)) == "not_found"
    assert requests.get(f"{server.url}/groups/{gid}/audit", timeout=DEADLINE).status_code == 401
    assert error_code(get(server, f"/groups/{gid}/audit", bob, per_page=0)) == "validation_error"
    assert error_code(get(server, f"/groups/{gid}/audit", bob, page="x")) == "validation_error"
    assert snapshot(server.db(), "group_audit") == before  # reading and refusals write nothing


def test_a_refused_admin_change_is_not_audited(live_server, live_socket):
    server = live_server
    admin, bob = server.verified_user(), server.verified_user()
    sock = live_socket(server, admin, ("/group",))
    gid = sock.call("create-group-chat", {"Name": "G", "Participants": [bob["id"]]}, namespace="/group")["Group"][
        "GroupId"]
    bobs = live_socket(server, bob, ("/group",))
    assert error_code(bobs.call("kickout", {"GroupId": gid, "Member": admin["id"]}, namespace="/group")) == "forbidden"
    server_days = sock.call("update-group", {"GroupId": gid, "RetentionDays": -1}, namespace="/group")
    assert error_code(server_days) == "validation_error"
    assert get(server, f"/groups/{gid}/audit", admin).json()["entries"] == []


def test_the_security_log_keeps_sign_ins_failures_and_account_changes(live_server):
    server = live_server
    user = server.verified_user()
    agent = {"User-Agent": "GovernanceTest/1.0"}
    wrong = requests.post(f"{server.url}/login", json={"login": user["username"], "password": "wrong password"},
                          headers=agent, timeout=DEADLINE)
    assert wrong.status_code == 401
    signed_in = requests.post(f"{server.url}/login", json={"login": user["username"], "password": PASSWORD},
                              headers=agent, timeout=DEADLINE).json()
    second = {**user, "access": signed_in["access_token"]}
    assert post(server, "/me/password", second, current_password=PASSWORD,
                new_password="another good password").status_code == 200

    body = get(server, "/me/security-log", second).json()
    actions = [e["Action"] for e in body["entries"]]
    assert actions[:4] == ["sessions_ended", "password_changed", "sign_in", "sign_in_failed"], actions
    assert actions[-1] == "sign_in"  # the first login of verified_user
    sign_in, failed = body["entries"][2], body["entries"][3]
    assert sign_in["Address"] == "127.0.0.1" and sign_in["UserAgent"] == "GovernanceTest/1.0"
    assert failed["Address"] == "127.0.0.1" and failed["UserAgent"] == "GovernanceTest/1.0"
    assert body["entries"][0]["Detail"] == {"reason": "password_changed", "count": 1}

    # Logging out ends this session: recorded for its owner. Another account sees only its own log.
    assert post(server, "/logout", second).status_code == 200
    third = server.accounts().login({**user, "password": "another good password"})
    latest = get(server, "/me/security-log", third).json()["entries"]
    assert [e["Action"] for e in latest[:2]] == ["sign_in", "session_ended"]
    assert latest[1]["Detail"] == {"reason": "logout"}
    other = server.verified_user()
    assert [e["Action"] for e in get(server, "/me/security-log", other).json()["entries"]] == ["sign_in"]
    assert requests.get(f"{server.url}/me/security-log", timeout=DEADLINE).status_code == 401
    assert error_code(get(server, "/me/security-log", third, per_page=101)) == "validation_error"


def actions(server, user):
    return [e["Action"] for e in get(server, "/me/security-log", user, per_page=100).json()["entries"]]


def test_two_factor_reset_and_address_changes_are_in_the_security_log(live_server, smtp):
    from test_twofactor_live import enrol, password_step
    server = live_server
    user = server.signup_verify_login(smtp)
    _secret, codes = enrol(server, user)
    mfa_token = password_step(server, user)
    wrong = post(server, "/login/2fa", mfa_token=mfa_token, Code="000000")
    assert wrong.status_code == 401
    assert post(server, "/login/2fa", mfa_token=mfa_token, Code=codes[0]).status_code == 200
    assert post(server, "/me/2fa/disable", user, password=user["password"], Code=codes[1]).status_code == 200
    assert actions(server, user)[:4] == ["two_factor_disabled", "sign_in", "sign_in_failed", "two_factor_enabled"]
    failed = get(server, "/me/security-log", user).json()["entries"][2]
    assert failed["Detail"] == {"step": "2fa"} and failed["Address"] == "127.0.0.1"

    # An address change, confirmed from the mail to the new address.
    new_address = f"new-{user['username']}@example.test"
    assert post(server, "/me/email", user, email=new_address, password=user["password"]).status_code == 202
    link = smtp.link(new_address)
    assert requests.get(link, headers={"Accept": "application/json"}, timeout=DEADLINE).status_code == 200
    assert actions(server, user)[0] == "email_changed"

    # A reset from the mail: recorded, and every session ends (so the log is read from a new one).
    before = smtp.count(new_address)
    assert post(server, "/password/forgot", email=new_address).status_code == 202
    token = smtp.link(new_address, count=before + 1, path="reset-password").split("token=")[1]
    assert post(server, "/password/reset", token=token, password="a reset password").status_code == 200
    again = server.accounts().login({**user, "password": "a reset password"})
    assert actions(server, again)[:3] == ["sign_in", "sessions_ended", "password_reset"]

    # A deleted account keeps no security log.
    assert requests.delete(f"{server.url}/me", json={"password": "a reset password"}, headers=bearer(again["access"]),
                           timeout=DEADLINE).status_code == 200
    assert server.db()["security_log"].count_documents({"user_id": user["id"]}) == 0


def test_moderator_changes_and_a_moderators_slow_mode_are_audited(live_server, live_socket):
    server = live_server
    admin, bob = server.verified_user(), server.verified_user()
    sock = live_socket(server, admin, ("/group",))
    gid = sock.call("create-group-chat", {"Name": "Modded", "Participants": [bob["id"]]}, namespace="/group")[
        "Group"]["GroupId"]
    assert sock.call("set-moderator", {"GroupId": gid, "UserId": bob["id"], "On": True}, namespace="/group")["ok"]
    bobs = live_socket(server, bob, ("/group",))
    assert bobs.call("update-group", {"GroupId": gid, "SlowModeSeconds": 30}, namespace="/group")["ok"]
    entries = get(server, f"/groups/{gid}/audit", admin).json()["entries"]
    assert [(e["Action"], e["Actor"]["id"], e["Target"] and e["Target"]["id"], e["Detail"]) for e in entries] == [
        ("group_updated", bob["id"], None, {"SlowModeSeconds": [0, 30]}),
        ("moderator_changed", admin["id"], bob["id"], {"On": True})]
    assert error_code(get(server, f"/groups/{gid}/audit", bob)) == "forbidden"  # moderators do not read it


def test_moderator_deletions_reports_invites_and_webhooks_are_audited_without_secrets(live_server, live_socket):
    server = live_server
    admin, bob, carol = (server.verified_user() for _ in range(3))
    sock = live_socket(server, admin, ("/group",))
    gid = sock.call("create-group-chat", {"Name": "Busy", "Participants": [bob["id"], carol["id"]]},
                    namespace="/group")["Group"]["GroupId"]
    assert sock.call("set-moderator", {"GroupId": gid, "UserId": bob["id"], "On": True}, namespace="/group")["ok"]

    def send(content):
        answer = post(server, f"/groups/{gid}/messages", carol, Content=content)
        assert answer.status_code == 201, answer.json()
        return answer.json()["Message"]["MessageId"]

    spam, rude = send("buy now"), send("rude words")
    deleted = requests.delete(f"{server.url}/messages/{spam}", headers=bearer(bob["access"]), timeout=DEADLINE)
    assert deleted.status_code == 200, deleted.json()
    assert post(server, f"/messages/{rude}/report", admin, Reason="abuse").status_code == 202
    report_id = get(server, f"/groups/{gid}/reports", bob).json()["Reports"][0]["ReportId"]
    assert post(server, f"/reports/{report_id}/resolve", bob, Action="dismiss").status_code == 200
    invite = post(server, f"/groups/{gid}/invites", bob, MaxUses=3)
    assert invite.status_code == 201, invite.json()
    code = invite.json()["Code"]
    revoked = requests.delete(f"{server.url}/groups/{gid}/invites/{code}", headers=bearer(bob["access"]),
                              timeout=DEADLINE)
    assert revoked.status_code == 200, revoked.json()
    hook = post(server, f"/groups/{gid}/webhooks", admin, Name="ci")
    assert hook.status_code == 201, hook.json()
    hook_id, hook_url = hook.json()["WebhookId"], hook.json()["Url"]
    gone = requests.delete(f"{server.url}/groups/{gid}/webhooks/{hook_id}", headers=bearer(admin["access"]),
                           timeout=DEADLINE)
    assert gone.status_code == 204

    answer = get(server, f"/groups/{gid}/audit", admin, per_page=50)
    assert answer.status_code == 200, answer.json()
    entries = answer.json()["entries"][::-1]  # oldest first from here
    assert [(e["Action"], e["Actor"]["id"]) for e in entries] == [
        ("moderator_changed", admin["id"]), ("message_deleted", bob["id"]), ("report_resolved", bob["id"]),
        ("invite_created", bob["id"]), ("invite_revoked", bob["id"]), ("member_added", admin["id"]),
        ("webhook_created", admin["id"]), ("member_kicked", admin["id"]), ("webhook_deleted", admin["id"])]
    by_action = {e["Action"]: e for e in entries}
    assert by_action["message_deleted"]["Target"]["id"] == carol["id"]
    assert by_action["message_deleted"]["Detail"] == {"MessageId": spam}
    assert by_action["report_resolved"]["Target"]["id"] == carol["id"]  # on whom; the reporter is named nowhere
    assert by_action["report_resolved"]["Detail"] == {"Action": "dismiss", "MessageId": rude}
    assert by_action["invite_created"]["Detail"] == {"MaxUses": 3, "ExpiresIn": None}
    assert by_action["webhook_created"]["Detail"] == {"WebhookId": hook_id, "Name": "ci", "Kind": "incoming"}
    written = str(answer.json())
    assert code not in written and hook_url.rsplit("/", 1)[1] not in written  # no secret in the log
