"""Two-factor sign-in rules on an app: what is stored (the secret encrypted, recovery codes hashed), the order of
enrolment, bad input refused with nothing changed, the rate limits of /login/2fa, and account deletion.
The whole sign-in walk runs through the live server in tests/test_twofactor_live.py."""
import time

import pyotp
import pytest

from conftest import Accounts, bearer, error_code, snapshot


@pytest.fixture
def accounts_for(smtp):
    return lambda app: Accounts(app.test_client(), smtp)


def enrol(client, user):
    secret = client.post("/me/2fa/setup", json={"password": user["password"]},
                         headers=bearer(user["access"])).get_json()["Secret"]
    answer = client.post("/me/2fa/enable", json={"Code": pyotp.TOTP(secret).now()}, headers=bearer(user["access"]))
    assert answer.status_code == 200, answer.get_json()
    return secret, answer.get_json()["RecoveryCodes"]


def mfa_token(client, user):
    answer = client.post("/login", json={"login": user["username"], "password": user["password"]})
    assert error_code(answer) == "otp_required"
    return answer.get_json()["mfa_token"]


def test_the_secret_is_stored_encrypted_and_recovery_codes_hashed(app, accounts):
    client, db = app.test_client(), app.extensions["chat.store"].db
    user = accounts.user()
    secret, codes = enrol(client, user)
    stored = str(db.two_factor.find_one({"_id": user["id"]}))
    assert secret not in stored and not any(code in stored or code.replace("-", "") in stored for code in codes)
    assert len(db.two_factor.find_one({"_id": user["id"]})["recovery"]) == 10
    token = mfa_token(client, user)
    assert db.mfa_challenges.find_one({"_id": token}) is None  # kept hashed too


def test_enable_needs_setup_first_and_a_right_code(app, accounts):
    client = app.test_client()
    user = accounts.user()
    auth = bearer(user["access"])
    assert error_code(client.post("/me/2fa/enable", json={"Code": "123456"}, headers=auth)) == "two_factor_not_set_up"
    wrong_password = client.post("/me/2fa/setup", json={"password": "not-it-at-all"}, headers=auth)
    assert error_code(wrong_password) == "invalid_credentials"
    secret = client.post("/me/2fa/setup", json={"password": user["password"]}, headers=auth).get_json()["Secret"]
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    assert error_code(client.post("/me/2fa/enable", json={"Code": wrong}, headers=auth)) == "invalid_otp"
    assert client.get("/me", headers=auth).get_json()["user"]["TwoFactor"] is False
    # Until enabled, login needs no code; disabling what is not on is refused.
    assert client.post("/login", json={"login": user["username"], "password": user["password"]}).status_code == 200
    off = client.post("/me/2fa/disable", json={"password": user["password"], "Code": wrong}, headers=auth)
    assert error_code(off) == "two_factor_disabled"


@pytest.mark.parametrize("path, body", [
    ("/me/2fa/setup", {}), ("/me/2fa/setup", {"password": ["x"]}), ("/me/2fa/enable", {"Code": 123456}),
    ("/me/2fa/enable", {"Code": "1" * 65}), ("/me/2fa/disable", {"password": "x"}),
    ("/login/2fa", {"mfa_token": "x"}), ("/login/2fa", {"mfa_token": {"$ne": ""}, "Code": "123456"}),
    ("/login/2fa", {"mfa_token": "x", "Code": "123456", "extra": 1}),
])
def test_bad_bodies_are_refused_and_change_nothing(app, accounts, path, body):
    client, db = app.test_client(), app.extensions["chat.store"].db
    user = accounts.user()
    before = snapshot(db, "two_factor", "mfa_challenges", "sessions")
    answer = client.post(path, json=body, headers=bearer(user["access"]))
    assert answer.status_code == 422 and error_code(answer) == "validation_error", answer.get_json()
    assert snapshot(db, "two_factor", "mfa_challenges", "sessions") == before


def wrong_code(secret):
    return "000000" if pyotp.TOTP(secret).at(time.time() + 30) != "000000" else "111111"


def test_wrong_codes_are_limited_per_account(make_app, accounts_for):
    app = make_app(RATELIMIT_ENABLED=True, RATE_LIMIT_2FA_ACCOUNT="3/hour")
    accounts = accounts_for(app)
    alice, bob = accounts.user(), accounts.user()
    client = app.test_client()
    secret, _ = enrol(client, alice)
    enrol(client, bob)
    # Each wrong code on a new mfa_token, from different addresses: the account's limit counts across them.
    answers = [client.post("/login/2fa", json={"mfa_token": mfa_token(client, alice), "Code": wrong_code(secret)},
                           environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code for n in range(4)]
    assert answers == [401, 401, 401, 429], answers
    right = client.post("/login/2fa", json={"mfa_token": mfa_token(client, alice),
                                            "Code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert right.status_code == 429  # even a right code waits out the limit
    # Another account is not held back by alice's limit.
    assert client.post("/login/2fa", json={"mfa_token": mfa_token(client, bob), "Code": "000000"}).status_code != 429


def test_second_steps_are_limited_per_address(make_app, accounts_for):
    app = make_app(RATELIMIT_ENABLED=True, RATE_LIMIT_2FA_IP="3/hour")
    accounts = accounts_for(app)
    users = [accounts.user() for _ in range(4)]
    client = app.test_client()
    tokens = []
    for user in users:
        enrol(client, user)
        tokens.append(mfa_token(client, user))
    answers = [client.post("/login/2fa", json={"mfa_token": token, "Code": "12345"}).status_code for token in tokens]
    assert answers == [401, 401, 401, 429], answers
    elsewhere = client.post("/login/2fa", json={"mfa_token": tokens[3], "Code": "12345"},
                            environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert elsewhere.status_code == 401


def test_a_deleted_account_leaves_no_enrolment_or_challenge(app, accounts):
    client, db = app.test_client(), app.extensions["chat.store"].db
    user = accounts.user()
    enrol(client, user)
    mfa_token(client, user)
    assert client.delete("/me", json={"password": user["password"]}, headers=bearer(user["access"])).status_code == 200
    assert db.two_factor.count_documents({}) == 0 and db.mfa_challenges.count_documents({}) == 0
