"""The auth blueprint: every REST row of the contract, each error code, and the bad inputs."""
from datetime import timedelta

import pytest

from conftest import PASSWORD, bearer, error_code, unique

# Signup and verification

def test_signup_creates_an_unverified_user_and_mails_a_link(client, smtp, db):
    name = unique()
    response = client.post("/signup", json={"username": name, "email": f"{name}@Example.test",
                                            "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"] == {"id": body["user"]["id"], "username": name, "Bot": False,
                            "email": f"{name}@example.test", "verified": False}
    assert body["email_sent"] is True
    mail = smtp.wait_for(f"{name}@example.test")
    assert mail["Subject"] == "Confirm your email address"
    assert smtp.link(f"{name}@example.test").startswith("http://chat.test/verify?token=")
    stored = db.users.find_one({"username": name})
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in str(stored)


@pytest.mark.parametrize("first, second, code", [
    (("Alice_1", "a1@example.test"), ("alice_1", "other@example.test"), "username_taken"),
    (("bob.one", "Bob@Example.test"), ("bob.two", "bob@example.test"), "email_taken"),
])
def test_signup_conflicts_are_case_insensitive(client, db, first, second, code):
    first_signup = client.post("/signup", json={"username": first[0], "email": first[1], "password": PASSWORD})
    assert first_signup.status_code == 201
    response = client.post("/signup", json={"username": second[0], "email": second[1], "password": PASSWORD})
    assert response.status_code == 409
    assert error_code(response) == code
    assert db.users.count_documents({}) == 1


def test_verify_link_marks_the_user_verified_and_a_second_click_is_fine(client, accounts, db):
    user = accounts.signup()
    token = accounts.smtp.link(user["email"]).split("token=")[1]
    first = client.get(f"/verify?token={token}")
    assert first.status_code == 200
    assert first.get_json() == {"verified": True, "user": {"id": user["id"], "username": user["username"],
                                                           "Bot": False, "email": user["email"], "verified": True}}
    second = client.get(f"/verify?token={token}")
    assert second.status_code == 200 and second.get_json()["verified"] is True


def test_verify_in_a_browser_shows_a_page(client, accounts):
    user = accounts.signup()
    token = accounts.smtp.link(user["email"]).split("token=")[1]
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    response = client.get(f"/verify?token={token}", headers=html)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Your email address is confirmed" in response.get_data(as_text=True)
    bad = client.get("/verify?token=nope", headers=html)
    assert bad.status_code == 400 and "This link does not work" in bad.get_data(as_text=True)


def test_verify_redirects_browsers_to_the_client_when_configured(make_app, smtp):
    app = make_app(CLIENT_URL="https://app.example.test")
    client = app.test_client()
    name = unique()
    client.post("/signup", json={"username": name, "email": f"{name}@example.test", "password": PASSWORD})
    token = smtp.link(f"{name}@example.test").split("token=")[1]
    response = client.get(f"/verify?token={token}", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["Location"] == "https://app.example.test/?verified=1"


@pytest.mark.parametrize("query", ["token=unknown", "token=", "", "token=a&token=b"])
def test_verify_rejects_unknown_tokens(client, query):
    response = client.get(f"/verify?{query}")
    assert response.status_code in (400, 422)
    assert error_code(response) in ("invalid_token", "validation_error")
    if query == "token=unknown":
        assert response.status_code == 400 and error_code(response) == "invalid_token"


def test_verify_rejects_expired_tokens(make_app, smtp):
    app = make_app(VERIFY_TOKEN_TTL=timedelta(seconds=-1))
    client = app.test_client()
    name = unique()
    client.post("/signup", json={"username": name, "email": f"{name}@example.test", "password": PASSWORD})
    token = smtp.link(f"{name}@example.test").split("token=")[1]
    response = client.get(f"/verify?token={token}")
    assert response.status_code == 400 and error_code(response) == "invalid_token"
    assert app.extensions["chat.store"].db.users.find_one({"username": name})["verified"] is False


def test_verify_rejects_a_jwt_meant_for_something_else(client, accounts):
    user = accounts.user()
    response = client.get(f"/verify?token={user['refresh']}")
    assert response.status_code == 400 and error_code(response) == "invalid_token"


# Resend

def test_resend_issues_a_new_link_and_invalidates_the_old_one(client, accounts, smtp, db):
    user = accounts.signup()
    old = smtp.link(user["email"]).split("token=")[1]
    response = client.post("/resend", json={"email": user["email"]})
    assert response.status_code == 202 and response.get_json() == {"status": "sent_if_unverified"}
    new = smtp.link(user["email"], count=2).split("token=")[1]
    assert new != old
    assert error_code(client.get(f"/verify?token={old}")) == "invalid_token"
    assert client.get(f"/verify?token={new}").status_code == 200
    assert db.users.find_one({"username": user["username"]})["verified"] is True


def test_resend_answers_the_same_for_unknown_and_verified_addresses(client, accounts, smtp):
    verified = accounts.user()
    unknown = client.post("/resend", json={"email": "nobody@example.test"})
    known = client.post("/resend", json={"email": verified["email"]})
    assert (unknown.status_code, unknown.get_json()) == (known.status_code, known.get_json()) == (
        202, {"status": "sent_if_unverified"})
    assert smtp.count("nobody@example.test") == 0
    assert smtp.count(verified["email"]) == 1


@pytest.mark.parametrize("per_address, per_ip, addresses, expected", [
    ("2/hour", "100/hour", ["same@example.test"] * 3, [202, 202, 429]),
    ("100/hour", "3/hour", [f"o{i}@example.test" for i in range(4)], [202, 202, 202, 429]),
])
def test_resend_is_rate_limited_per_address_and_per_ip(make_app, per_address, per_ip, addresses, expected):
    app = make_app(RATELIMIT_ENABLED=True, RATE_LIMIT_RESEND_ADDRESS=per_address, RATE_LIMIT_RESEND_IP=per_ip)
    from chat.extensions import limiter
    limiter.reset()
    client = app.test_client()
    responses = [client.post("/resend", json={"email": address}) for address in addresses]
    assert [r.status_code for r in responses] == expected
    assert error_code(responses[-1]) == "rate_limited" and int(responses[-1].headers["Retry-After"]) > 0
    limiter.reset()


# Login, refresh, logout

def test_login_by_username_or_email_returns_tokens_and_the_user(client, accounts):
    user = accounts.signup(unique("Mixed"))
    accounts.verify(user)
    for login in (user["username"].upper(), user["email"].upper()):
        response = client.post("/login", json={"login": login, "password": PASSWORD})
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == {"access_token", "refresh_token", "user"}
        assert body["user"]["id"] == user["id"] and body["user"]["verified"] is True


def test_login_failures_do_not_reveal_whether_the_user_exists(client, accounts, app, monkeypatch):
    user = accounts.user()
    wrong = client.post("/login", json={"login": user["username"], "password": "wrong password"})
    passwords = app.extensions["chat.services"].auth.passwords
    checks = []

    class CountingHasher:
        def __init__(self, real):
            self.real = real

        def verify(self, password_hash, password):
            checks.append(password_hash)
            return self.real.verify(password_hash, password)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher(passwords._hasher))
    unknown = client.post("/login", json={"login": "nobody-here", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert error_code(unknown) == "invalid_credentials"
    assert len(checks) == 1, "an unknown user must cost one argon2 verification too"


def test_login_requires_a_verified_email(client, accounts):
    user = accounts.signup()
    response = client.post("/login", json={"login": user["username"], "password": PASSWORD})
    assert response.status_code == 403 and error_code(response) == "email_not_verified"


def test_login_is_rate_limited_per_account_and_per_ip(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATE_LIMIT_LOGIN_ACCOUNT="3/minute", RATE_LIMIT_LOGIN_IP="5/minute")
    from chat.extensions import limiter
    limiter.reset()
    client = app.test_client()
    same = [client.post("/login", json={"login": "victim", "password": "x"}) for _ in range(4)]
    assert [r.status_code for r in same] == [401, 401, 401, 429]
    assert error_code(same[-1]) == "rate_limited" and "Retry-After" in same[-1].headers
    limiter.reset()
    others = [client.post("/login", json={"login": f"v{i}", "password": "x"}).status_code for i in range(6)]
    assert others == [401] * 5 + [429]
    limiter.reset()


def test_me_returns_the_caller(client, accounts):
    user = accounts.user()
    response = client.get("/me", headers=bearer(user["access"]))
    assert response.status_code == 200
    assert response.get_json()["user"] == {"id": user["id"], "username": user["username"], "Bot": False,
                                           "email": user["email"], "verified": True, "TwoFactor": False}


def test_refresh_rotates_and_reuse_ends_the_session(client, accounts):
    user = accounts.user()
    first = client.post("/refresh", headers=bearer(user["refresh"]))
    assert first.status_code == 200
    pair = first.get_json()
    assert set(pair) == {"access_token", "refresh_token"} and pair["refresh_token"] != user["refresh"]
    assert client.get("/me", headers=bearer(pair["access_token"])).status_code == 200

    reuse = client.post("/refresh", headers=bearer(user["refresh"]))
    assert reuse.status_code == 401 and error_code(reuse) == "token_revoked"
    # Reuse means the token leaked: the whole session ends, for both holders.
    assert error_code(client.post("/refresh", headers=bearer(pair["refresh_token"]))) == "token_revoked"
    assert error_code(client.get("/me", headers=bearer(pair["access_token"]))) == "token_revoked"


def test_tokens_are_not_interchangeable(client, accounts):
    user = accounts.user()
    assert client.get("/me", headers=bearer(user["refresh"])).status_code == 401
    assert client.post("/refresh", headers=bearer(user["access"])).status_code == 401
    assert error_code(client.get("/me", headers=bearer("not.a.jwt"))) == "unauthorized"
    assert error_code(client.get("/me")) == "unauthorized"


def test_logout_revokes_the_session_and_only_that_session(client, accounts):
    user = accounts.user()
    phone = client.post("/login", json={"login": user["username"], "password": PASSWORD}).get_json()
    response = client.post("/logout", headers=bearer(user["access"]))
    assert response.status_code == 200
    assert error_code(client.get("/me", headers=bearer(user["access"]))) == "token_revoked"
    assert error_code(client.post("/refresh", headers=bearer(user["refresh"]))) == "token_revoked"
    assert client.get("/me", headers=bearer(phone["access_token"])).status_code == 200
    assert error_code(client.post("/logout", headers=bearer(user["access"]))) == "token_revoked"


def test_logout_with_a_refresh_token_of_another_session_ends_that_one_too(client, accounts):
    user = accounts.user()
    other = client.post("/login", json={"login": user["username"], "password": PASSWORD}).get_json()
    response = client.post("/logout", headers=bearer(user["access"]), json={"refresh_token": other["refresh_token"]})
    assert response.status_code == 200
    assert error_code(client.get("/me", headers=bearer(other["access_token"]))) == "token_revoked"


def test_expired_access_tokens_are_refused_with_token_expired(short_tokens, smtp):
    import time

    from conftest import Accounts
    client = short_tokens.test_client()
    user = Accounts(client, smtp).user()
    time.sleep(1.2)
    response = client.get("/me", headers=bearer(user["access"]))
    assert response.status_code == 401 and error_code(response) == "token_expired"
    assert client.post("/refresh", headers=bearer(user["refresh"])).status_code == 200


# Bad input: a table of bodies that must be refused with 422 and change nothing

VALID = {
    "/signup": {"username": "valid_name", "email": "valid@example.test", "password": PASSWORD},
    "/login": {"login": "valid_name", "password": PASSWORD},
    "/resend": {"email": "valid@example.test"},
}

BAD_BODIES = [
    ("/signup", {"email": "a@example.test", "password": PASSWORD}, "username"),
    ("/signup", {**VALID["/signup"], "username": {"$ne": None}}, "username"),
    ("/signup", {**VALID["/signup"], "username": ["a", "b"]}, "username"),
    ("/signup", {**VALID["/signup"], "username": "ab"}, "username"),
    ("/signup", {**VALID["/signup"], "username": "x" * 33}, "username"),
    ("/signup", {**VALID["/signup"], "username": "bad name!"}, "username"),
    ("/signup", {**VALID["/signup"], "email": "not-an-email"}, "email"),
    ("/signup", {**VALID["/signup"], "email": 42}, "email"),
    ("/signup", {**VALID["/signup"], "password": "short"}, "password"),
    ("/signup", {**VALID["/signup"], "password": "p" * 129}, "password"),
    ("/signup", {**VALID["/signup"], "password": None}, "password"),
    ("/signup", {**VALID["/signup"], "admin": True}, "admin"),
    ("/login", {"login": {"$gt": ""}, "password": PASSWORD}, "login"),
    ("/login", {"login": "valid_name", "password": {"$ne": None}}, "password"),
    ("/login", {"login": "valid_name"}, "password"),
    ("/login", {"login": "", "password": PASSWORD}, "login"),
    ("/resend", {"email": {"$regex": ".*"}}, "email"),
    ("/resend", {}, "email"),
]


@pytest.mark.parametrize("path, body, field", BAD_BODIES)
def test_bad_bodies_are_validation_errors(client, db, path, body, field):
    response = client.post(path, json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert db.users.count_documents({}) == 0 and db.sessions.count_documents({}) == 0


@pytest.mark.parametrize("path", sorted(VALID))
@pytest.mark.parametrize("data, content_type", [
    ("{not json", "application/json"),
    ('["a", "list"]', "application/json"),
    ('"a string"', "application/json"),
    ("username=a&password=b", "application/x-www-form-urlencoded"),
    ("", "application/json"),
    ("[" * 5000 + "]" * 5000, "application/json"),
])
def test_malformed_bodies_are_validation_errors(client, db, path, data, content_type):
    response = client.post(path, data=data, content_type=content_type)
    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    assert db.users.count_documents({}) == 0


def test_oversized_bodies_are_refused_with_413(client, db):
    body = {**VALID["/signup"], "password": "p" * (70 * 1024)}
    response = client.post("/signup", json=body)
    assert response.status_code == 413 and error_code(response) == "payload_too_large"
    assert db.users.count_documents({}) == 0


def test_unknown_paths_and_methods_use_the_envelope(client):
    assert error_code(client.get("/no-such-path")) == "not_found"
    response = client.get("/login")
    assert response.status_code == 405 and error_code(response) == "method_not_allowed"
    assert "POST" in response.headers["Allow"]
