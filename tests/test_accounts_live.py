"""Accounts people manage, through the real server process, real SMTP and real Socket.IO clients.

Every rule of the contract's "Accounts people can manage": the forgotten password (the link followed from
the mail, once, and only the newest), the password change, the session list and signing sessions out
(their sockets disconnect), the new address confirmed from the mail with a notice to the old one, account
deletion as the partner sees it, and unverified accounts expiring.
"""
import time

import pytest
import requests
from bson import ObjectId
from pymongo import MongoClient

from conftest import DEADLINE, PASSWORD, database_uri, start_live_server, stop_live_server, unique

NEW_PASSWORD = "a-new-password-1"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def call(server, method, path, token=None, **kwargs):
    headers = {**kwargs.pop("headers", {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    return requests.request(method, server.url + path, headers=headers, timeout=10, **kwargs)


def login(server, login_name, password, user_agent=None):
    headers = {"User-Agent": user_agent} if user_agent else {}
    return call(server, "POST", "/login", json={"login": login_name, "password": password}, headers=headers)


def new_session(server, user, user_agent=None):
    """Another session of the user: {"access", "refresh"} (the same shape as a user, for live_socket)."""
    response = login(server, user["username"], user["password"], user_agent)
    assert response.status_code == 200, response.text
    return {"access": response.json()["access_token"], "refresh": response.json()["refresh_token"]}


def next_link(smtp, address, before, path):
    """The link to path in the first mail to address after the `before` mails it had."""
    return smtp.link(address, count=before + 1, path=path)


def token_of(link):
    return link.split("token=", 1)[1]


@pytest.fixture(scope="module")
def database():
    """database(server) → the server's database, through a client of the test's own."""
    client = MongoClient(database_uri())
    yield lambda server: client[server.env["MONGO_DB"]]
    client.close()


def forgot(server, smtp, user):
    """Ask for a reset link and return the token from the mail."""
    before = smtp.count(user["email"])
    response = call(server, "POST", "/password/forgot", json={"email": user["email"].upper()})
    assert response.status_code == 202 and response.json() == {"status": "sent_if_registered"}, response.text
    link = next_link(smtp, user["email"], before, "reset-password")
    assert link.startswith(server.url + "/reset-password?token=")
    return token_of(link)


# A forgotten password

def test_a_reset_link_from_the_mail_sets_the_password_once(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    token = forgot(live_server, smtp, user)
    mail = smtp.wait_for(user["email"], count=smtp.count(user["email"]))
    assert mail["Subject"] == "Reset your password"
    assert "1 hour" in mail.get_body(("plain",)).get_content()
    assert token in mail.get_body(("html",)).get_content()

    done = call(live_server, "POST", "/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 200 and done.json() == {"status": "password_reset"}
    assert login(live_server, user["username"], user["password"]).json()["error"]["code"] == "invalid_credentials"
    assert login(live_server, user["email"], NEW_PASSWORD).status_code == 200

    again = call(live_server, "POST", "/password/reset", json={"token": token, "password": "yet-another-1"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_token"
    assert login(live_server, user["username"], NEW_PASSWORD).status_code == 200


def test_a_newer_reset_link_replaces_the_older_one(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    older = forgot(live_server, smtp, user)
    newer = forgot(live_server, smtp, user)
    refused = call(live_server, "POST", "/password/reset", json={"token": older, "password": NEW_PASSWORD})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_token"
    assert login(live_server, user["username"], user["password"]).status_code == 200  # nothing changed
    assert call(live_server, "POST", "/password/reset", json={"token": newer, "password": NEW_PASSWORD}).ok


def test_forgot_answers_alike_for_unknown_and_unverified_addresses_and_mails_only_accounts(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    unknown = f"{unique()}@example.test"
    answers = [call(live_server, "POST", "/password/forgot", json={"email": address})
               for address in (unknown, user["email"])]
    assert [(a.status_code, a.json()) for a in answers] == [(202, {"status": "sent_if_registered"})] * 2
    forgot(live_server, smtp, user)  # the known address's mails arrive, after the unknown one was handled
    assert smtp.count(unknown) == 0


def test_a_reset_ends_every_session_and_disconnects_its_sockets(live_server, smtp, live_socket):
    user = live_server.signup_verify_login(smtp)
    other = new_session(live_server, user)
    sockets = [live_socket(live_server, session, ("/", "/personal")) for session in (user, other)]
    token = forgot(live_server, smtp, user)
    assert call(live_server, "POST", "/password/reset", json={"token": token, "password": NEW_PASSWORD}).ok
    for sock in sockets:
        assert sock.wait_for("session-ended") == {"reason": "session_revoked"}
        sock.wait_disconnected("/")
        sock.wait_disconnected("/personal")
    for session in (user, other):
        me = call(live_server, "GET", "/me", session["access"])
        assert me.status_code == 401 and me.json()["error"]["code"] == "token_revoked"
        assert call(live_server, "POST", "/refresh", session["refresh"]).status_code == 401


def test_a_reset_confirms_an_unverified_address(live_server, smtp):
    accounts = live_server.accounts(smtp)
    user = accounts.signup()
    accounts.link(user)  # the verification mail is in
    token = forgot(live_server, smtp, user)
    assert call(live_server, "POST", "/password/reset", json={"token": token, "password": NEW_PASSWORD}).ok
    assert login(live_server, user["username"], NEW_PASSWORD).json()["user"]["verified"] is True


def test_the_reset_page_works_in_a_browser_without_a_client(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    token = forgot(live_server, smtp, user)
    page = call(live_server, "GET", f"/reset-password?token={token}", headers=HTML)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Referrer-Policy"] == "no-referrer" and "form-action 'self'" in \
        page.headers["Content-Security-Policy"]
    assert 'action="reset-password"' in page.text and f'value="{token}"' in page.text

    short = call(live_server, "POST", "/reset-password", data={"token": token, "password": "short"}, headers=HTML)
    assert short.status_code == 422 and "8 to 128 characters" in short.text and f'value="{token}"' in short.text
    assert login(live_server, user["username"], user["password"]).status_code == 200  # unchanged

    done = call(live_server, "POST", "/reset-password", data={"token": token, "password": NEW_PASSWORD}, headers=HTML)
    assert done.status_code == 200 and "Your password is changed" in done.text
    used = call(live_server, "POST", "/reset-password", data={"token": token, "password": NEW_PASSWORD}, headers=HTML)
    assert used.status_code == 400 and "This link does not work" in used.text
    assert call(live_server, "GET", "/reset-password", headers=HTML).status_code == 400
    as_json = call(live_server, "POST", "/reset-password", data={"token": token, "password": "short"})
    assert as_json.status_code == 422 and as_json.json()["error"]["code"] == "validation_error"


# Password and sessions

def test_changing_the_password_ends_every_other_session(live_server, smtp, live_socket):
    user = live_server.signup_verify_login(smtp)
    other = new_session(live_server, user)
    other_socket = live_socket(live_server, other, ("/",))
    own_socket = live_socket(live_server, user, ("/",))
    wrong = call(live_server, "POST", "/me/password", user["access"],
                 json={"current_password": "not-my-password", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    assert call(live_server, "GET", "/me", other["access"]).status_code == 200  # nothing ended

    changed = call(live_server, "POST", "/me/password", user["access"],
                   json={"current_password": user["password"], "new_password": NEW_PASSWORD})
    assert changed.status_code == 200 and changed.json() == {"status": "password_changed"}
    other_socket.wait_disconnected("/")
    assert call(live_server, "GET", "/me", other["access"]).json()["error"]["code"] == "token_revoked"
    assert call(live_server, "GET", "/me", user["access"]).status_code == 200
    own_socket.sync()
    assert own_socket.received("session-ended") == []
    assert login(live_server, user["username"], NEW_PASSWORD).status_code == 200
    assert login(live_server, user["username"], user["password"]).status_code == 401


def test_the_session_list_names_each_device_and_when_it_was_last_used(live_server, smtp, live_socket):
    user = live_server.signup_verify_login(smtp)
    phone = new_session(live_server, user, "Phone/1.0")
    laptop = new_session(live_server, user, "Laptop/2.0")

    def sessions(token):
        listed = call(live_server, "GET", "/me/sessions", token)
        assert listed.status_code == 200, listed.text
        return {s["UserAgent"]: s for s in listed.json()["sessions"]}

    listed = sessions(laptop["access"])
    assert set(listed) >= {"Phone/1.0", "Laptop/2.0"} and len(listed) == 3
    assert [ua for ua, s in listed.items() if s["Current"]] == ["Laptop/2.0"]
    assert all(s["LastUsedAt"] >= s["CreatedAt"] for s in listed.values())

    before = listed["Phone/1.0"]["LastUsedAt"]
    for _ in range(3):  # requests do not write the session
        assert call(live_server, "GET", "/me", phone["access"]).status_code == 200
    assert sessions(laptop["access"])["Phone/1.0"]["LastUsedAt"] == before
    time.sleep(0.01)
    live_socket(live_server, phone, ("/",))  # a connect does, once
    connected = sessions(laptop["access"])["Phone/1.0"]["LastUsedAt"]
    assert connected > before
    refreshed = call(live_server, "POST", "/refresh", phone["refresh"])  # and so does a refresh
    assert refreshed.status_code == 200
    assert sessions(laptop["access"])["Phone/1.0"]["LastUsedAt"] > connected


def test_signing_out_one_session_disconnects_it_and_only_it(live_server, smtp, live_socket):
    user, stranger = live_server.signup_verify_login(smtp), live_server.signup_verify_login(smtp)
    phone = new_session(live_server, user, "Phone/1.0")
    phone_socket = live_socket(live_server, phone, ("/", "/personal"))
    listed = call(live_server, "GET", "/me/sessions", user["access"]).json()["sessions"]
    phone_id = next(s["SessionId"] for s in listed if s["UserAgent"] == "Phone/1.0")
    strangers = call(live_server, "GET", "/me/sessions", stranger["access"]).json()["sessions"]

    foreign = call(live_server, "DELETE", f"/me/sessions/{strangers[0]['SessionId']}", user["access"])
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "not_found"
    assert call(live_server, "GET", "/me", stranger["access"]).status_code == 200
    assert call(live_server, "DELETE", "/me/sessions/no-such-session", user["access"]).status_code == 404

    ended = call(live_server, "DELETE", f"/me/sessions/{phone_id}", user["access"])
    assert ended.status_code == 200 and ended.json() == {"status": "session_ended"}
    assert phone_socket.wait_for("session-ended") == {"reason": "session_revoked"}
    phone_socket.wait_disconnected("/personal")
    assert call(live_server, "GET", "/me", phone["access"]).json()["error"]["code"] == "token_revoked"
    assert call(live_server, "GET", "/me", user["access"]).status_code == 200
    assert call(live_server, "DELETE", f"/me/sessions/{phone_id}", user["access"]).status_code == 404


def test_signing_out_everywhere_else_keeps_this_session(live_server, smtp, live_socket):
    user = live_server.signup_verify_login(smtp)
    others = [new_session(live_server, user) for _ in range(2)]
    sockets = [live_socket(live_server, other, ("/",)) for other in others]
    ended = call(live_server, "DELETE", "/me/sessions", user["access"])
    assert ended.status_code == 200 and ended.json() == {"status": "sessions_ended", "ended": 2}
    for sock in sockets:
        sock.wait_disconnected("/")
    listed = call(live_server, "GET", "/me/sessions", user["access"]).json()["sessions"]
    assert [s["Current"] for s in listed] == [True]


# A new address

def test_a_new_address_counts_once_its_link_is_followed_and_the_old_one_is_told(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    new_address = f"{unique()}@example.test"
    wrong = call(live_server, "POST", "/me/email", user["access"], json={"email": new_address, "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    old_mails = smtp.count(user["email"])

    asked = call(live_server, "POST", "/me/email", user["access"],
                 json={"email": new_address.upper(), "password": user["password"]})
    assert asked.status_code == 202 and asked.json() == {"status": "confirmation_sent"}
    notice = smtp.wait_for(user["email"], count=old_mails + 1)
    assert notice["Subject"] == "Your email address is being changed"
    assert new_address in notice.get_body(("plain",)).get_content()
    link = smtp.link(new_address, path="verify")
    assert smtp.wait_for(new_address)["Subject"] == "Confirm your new email address"
    assert call(live_server, "GET", "/me", user["access"]).json()["user"]["email"] == user["email"]  # not yet
    assert login(live_server, user["email"], user["password"]).status_code == 200

    confirmed = call(live_server, "GET", "/verify?token=" + token_of(link))
    assert confirmed.status_code == 200 and confirmed.json()["user"]["email"] == new_address
    assert call(live_server, "GET", "/verify?token=" + token_of(link)).status_code == 200  # a second click
    assert call(live_server, "GET", "/me", user["access"]).json()["user"]["email"] == new_address
    assert login(live_server, new_address, user["password"]).status_code == 200
    assert login(live_server, user["email"], user["password"]).status_code == 401


def test_a_new_address_that_is_taken_is_refused_before_and_after_the_mail(live_server, smtp):
    user, other = live_server.signup_verify_login(smtp), live_server.signup_verify_login(smtp)
    taken = call(live_server, "POST", "/me/email", user["access"],
                 json={"email": other["email"], "password": user["password"]})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"
    same = call(live_server, "POST", "/me/email", user["access"],
                json={"email": user["email"], "password": user["password"]})
    assert same.status_code == 422

    wanted = f"{unique()}@example.test"
    assert call(live_server, "POST", "/me/email", user["access"],
                json={"email": wanted, "password": user["password"]}).status_code == 202
    link = smtp.link(wanted)
    live_server.accounts(smtp).signup(email_address=wanted)  # someone signs up with it before the click
    late = call(live_server, "GET", "/verify?token=" + token_of(link))
    assert late.status_code == 409 and late.json()["error"]["code"] == "email_taken"
    assert call(live_server, "GET", "/me", user["access"]).json()["user"]["email"] == user["email"]
    page = call(live_server, "GET", "/verify?token=" + token_of(link), headers=HTML)
    assert page.status_code == 409 and "That address is taken" in page.text


# Deleting an account

def test_a_deleted_account_leaves_its_partners_an_empty_message_from_deleted_user(live_server, smtp, live_socket,
                                                                                  database):
    alice, bob, carol = (live_server.signup_verify_login(smtp) for _ in range(3))
    alice_socket = live_socket(live_server, alice, ("/personal", "/group", "/self"))
    bob_socket = live_socket(live_server, bob, ("/personal", "/group"))
    chat = alice_socket.call("fetch-personal-chat", {"Partner": bob["id"]}, "/personal")
    secret = "the secret plan " + unique()
    assert alice_socket.call("send-personal-message", {"ChatId": chat["ChatId"], "Content": secret}, "/personal")["ok"]
    assert alice_socket.call("edit-personal-message", {"ChatId": chat["ChatId"], "MessageId": f"{chat['ChatId']}:1",
                                                       "Content": secret + " (edited)"}, "/personal")["ok"]
    assert alice_socket.call("send-self-message", {"Content": secret}, "/self")["ok"]
    group = alice_socket.call("create-group-chat", {"Name": "Plans", "Participants": [bob["id"], carol["id"]]},
                              "/group")["Group"]
    said = alice_socket.call("send-group-message", {"GroupId": group["GroupId"], "Content": secret}, "/group")
    reply = bob_socket.call("send-group-message", {"GroupId": group["GroupId"], "Content": "what plan?",
                                                   "ReplyTo": said["Message"]["MessageId"]}, "/group")
    assert reply["Message"]["ReplyTo"]["Excerpt"] == secret

    wrong = call(live_server, "DELETE", "/me", alice["access"], json={"password": "not-it"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    assert call(live_server, "GET", "/me", alice["access"]).status_code == 200

    deleted = call(live_server, "DELETE", "/me", alice["access"], json={"password": alice["password"]})
    assert deleted.status_code == 200 and deleted.json() == {"status": "account_deleted"}

    gone = {"id": alice["id"], "username": "deleted user", "Bot": False}
    left = bob_socket.wait_for("member-left", "/group")
    assert left == {"GroupId": group["GroupId"],
                    "Member": {"id": alice["id"], "username": alice["username"], "Bot": False}}
    handed = bob_socket.wait_for("admin-changed", "/group")
    # the longest-standing member
    assert handed["Admin"] == {"id": bob["id"], "username": bob["username"], "Bot": False}
    alice_socket.wait_disconnected("/personal")

    history = bob_socket.call("fetch-personal-chat", {"Partner": alice["id"], "ChatId": chat["ChatId"]}, "/personal")
    inbox = call(live_server, "GET", "/chats", bob["access"]).json()["entries"]
    partner = next(e for e in inbox if e.get("ChatId") == chat["ChatId"])["Partner"]
    assert partner["id"] == alice["id"] and partner["username"] == "deleted user"
    group_page = call(live_server, "GET", f"/groups/{group['GroupId']}/messages", bob["access"]).json()
    for message in [*history.get("Messages", []), *group_page["Messages"]]:
        if message["Sender"]["id"] == alice["id"]:
            assert message["Sender"] == gone and message["Content"] == "" and message["Deleted"] is True, message
    assert any(m["Sender"] == gone for m in group_page["Messages"])
    quoted = next(m for m in group_page["Messages"] if m["MessageId"] == reply["Message"]["MessageId"])
    assert quoted["ReplyTo"] == {"MessageId": said["Message"]["MessageId"], "Sender": gone, "Excerpt": "",
                                 "Deleted": True}
    assert alice["id"] not in [m["id"] for m in group_page["Group"]["Members"]]

    db = database(live_server)
    assert secret not in str(list(db.messages.find())) + str(list(db.chats.find()))
    assert db.users.find_one({"username": alice["username"]}) is None
    assert call(live_server, "GET", f"/users/{alice['id']}", bob["access"]).status_code == 404
    assert login(live_server, alice["username"], alice["password"]).status_code == 401
    assert call(live_server, "GET", "/me", alice["access"]).status_code == 401
    again = live_server.accounts(smtp).signup(alice["username"], alice["email"])  # name and address are free
    assert again["id"] != alice["id"]


def test_the_partner_of_a_deleted_account_keeps_the_chat_but_cannot_send_in_it(live_server, smtp, live_socket):
    alice, bob = live_server.signup_verify_login(smtp), live_server.signup_verify_login(smtp)
    sock = live_socket(live_server, bob, ("/personal",))
    chat = sock.call("fetch-personal-chat", {"Partner": alice["id"]}, "/personal")
    assert sock.call("send-personal-message", {"ChatId": chat["ChatId"], "Content": "hello"}, "/personal")["ok"]
    sent = call(live_server, "POST", f"/chats/personal/{bob['id']}/messages", alice["access"], json={"Content": "hi"})
    assert sent.status_code == 201
    assert call(live_server, "DELETE", "/me", alice["access"], json={"password": alice["password"]}).ok

    history = sock.call("fetch-personal-chat", {"Partner": alice["id"], "ChatId": chat["ChatId"]}, "/personal")
    assert history["ok"] is True, history
    assert [(m["Content"], m["Sender"]["username"]) for m in history["Messages"]] == [
        ("hello", bob["username"]), ("", "deleted user")]
    assert history["Partner"]["username"] == "deleted user"
    rest = call(live_server, "GET", f"/chats/personal/{alice['id']}/messages", bob["access"])
    assert rest.status_code == 200 and len(rest.json()["Messages"]) == 2
    read = sock.call("read-personal-message", {"ChatId": chat["ChatId"]}, "/personal")
    assert read["ok"] is True and read["Moved"] is True, read
    refused = sock.call("send-personal-message", {"ChatId": chat["ChatId"], "Content": "are you there?"}, "/personal")
    assert refused["ok"] is False and refused["error"]["code"] == "not_found", refused
    by_rest = call(live_server, "POST", f"/chats/personal/{alice['id']}/messages", bob["access"], json={"Content": "?"})
    assert by_rest.status_code == 404
    assert len(sock.call("fetch-personal-chat", {"Partner": alice["id"]}, "/personal")["Messages"]) == 2


def test_a_deleted_accounts_uploads_are_gone(live_server, smtp, database):
    alice, bob = live_server.signup_verify_login(smtp), live_server.signup_verify_login(smtp)

    def upload(text):
        answer = call(live_server, "POST", "/files", alice["access"], files={"file": ("notes.txt", text, "text/plain")})
        assert answer.status_code == 201, answer.text
        return answer.json()["File"]["FileId"]

    sent, kept = upload(b"the attached plan"), upload(b"never attached")
    message = call(live_server, "POST", f"/chats/personal/{bob['id']}/messages", alice["access"],
                   json={"Content": "see file", "Attachments": [sent]})
    assert message.status_code == 201, message.text
    assert call(live_server, "GET", f"/files/{sent}", bob["access"]).status_code == 200
    assert call(live_server, "DELETE", "/me", alice["access"], json={"password": alice["password"]}).ok

    assert call(live_server, "GET", f"/files/{sent}", bob["access"]).status_code == 404
    db = database(live_server)
    assert db["files.files"].count_documents({"metadata.owner": alice["id"]}) == 0
    ids = [ObjectId(file_id) if ObjectId.is_valid(file_id) else file_id for file_id in (sent, kept)]
    assert db["files.chunks"].count_documents({"files_id": {"$in": ids}}) == 0


# Unverified accounts expire

@pytest.fixture
def expiring_server(smtp, tmp_path):
    server = start_live_server(smtp, tmp_path, UNVERIFIED_TTL=2, ACCOUNT_SWEEP_INTERVAL=0.5)
    yield server
    stop_live_server(server)


def test_an_unverified_account_expires_and_its_name_and_address_are_free_again(expiring_server, smtp):
    accounts = expiring_server.accounts(smtp)
    first = accounts.signup()
    link = accounts.link(first)
    taken = call(expiring_server, "POST", "/signup", json={"username": first["username"], "email": "x@example.test",
                                                             "password": PASSWORD})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "username_taken"
    time.sleep(2.2)
    assert call(expiring_server, "GET", "/verify?token=" + token_of(link)).status_code == 400  # expired with it
    second = accounts.signup(first["username"], first["email"])
    assert second["id"] != first["id"]


def test_the_background_sweep_removes_expired_unverified_accounts(expiring_server, smtp, database):
    accounts = expiring_server.accounts(smtp)
    pending, verified = accounts.signup(), accounts.user()
    users = database(expiring_server).users
    deadline = time.monotonic() + DEADLINE
    while users.find_one({"username": pending["username"]}) is not None:
        assert time.monotonic() < deadline, "the sweep did not remove the expired account"
        time.sleep(0.2)
    assert users.find_one({"username": verified["username"]}) is not None
    assert login(expiring_server, verified["username"], verified["password"]).status_code == 200
