"""Two-factor sign-in (TOTP) through the real server process: enrol, sign in with a code, a wrong code, a replayed
code (on another process too), recovery codes once, the mfa_token good for nothing else, disable, and a password
reset that keeps 2FA. Codes are computed with pyotp from the secret the server returned, as an app would."""
import time

import pyotp
import pytest
import requests
import socketio

from conftest import start_live_server, stop_live_server

pytestmark = pytest.mark.live
NEW_PASSWORD = "a-new-password-1"


def call(server, method, path, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, server.url + path, headers=headers, timeout=10, **kwargs)


def code_at(secret, steps_ahead=0):
    """The TOTP code of the current time step, or of one ahead (the server accepts one step either side)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def enrol(server, user):
    """Turn 2FA on for the user; returns (secret, recovery codes)."""
    setup = call(server, "POST", "/me/2fa/setup", user["access"], json={"password": user["password"]})
    assert setup.status_code == 200, setup.text
    secret = setup.json()["Secret"]
    assert setup.json()["OtpauthUrl"].startswith("otpauth://totp/") and f"secret={secret}" in setup.json()["OtpauthUrl"]
    assert setup.json()["QrCode"].startswith("data:image/svg+xml")
    enabled = call(server, "POST", "/me/2fa/enable", user["access"], json={"Code": code_at(secret)})
    assert enabled.status_code == 200, enabled.text
    codes = enabled.json()["RecoveryCodes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def password_step(server, user, password=None):
    """POST /login with the right password for an account with 2FA: 401 otp_required and an mfa_token, no tokens."""
    answer = call(server, "POST", "/login", json={"login": user["username"], "password": password or user["password"]})
    body = answer.json()
    assert answer.status_code == 401 and body["error"]["code"] == "otp_required", answer.text
    assert "access_token" not in body and "refresh_token" not in body and 0 < body["expires_in"] <= 300
    return body["mfa_token"]


def second_step(server, mfa_token, code):
    return call(server, "POST", "/login/2fa", json={"mfa_token": mfa_token, "Code": code})


def test_enrol_sign_in_wrong_code_replay_and_recovery_codes_once(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    assert call(live_server, "GET", "/me", user["access"]).json()["user"]["TwoFactor"] is False
    secret, recovery = enrol(live_server, user)
    assert call(live_server, "GET", "/me", user["access"]).json()["user"]["TwoFactor"] is True
    # The secret is shown once: a second setup is refused while 2FA is on, and no answer repeats it.
    again = call(live_server, "POST", "/me/2fa/setup", user["access"], json={"password": user["password"]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "two_factor_enabled"
    assert secret not in call(live_server, "GET", "/me", user["access"]).text

    mfa_token = password_step(live_server, user)
    wrong = second_step(live_server, mfa_token, "000000" if code_at(secret, 1) != "000000" else "111111")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_otp"
    # The code that enabled 2FA was used in its window: it does not sign in.
    replay_of_enable = second_step(live_server, mfa_token, code_at(secret))
    assert replay_of_enable.status_code == 401 and replay_of_enable.json()["error"]["code"] == "invalid_otp"
    code = code_at(secret, 1)
    signed_in = second_step(live_server, mfa_token, code)
    assert signed_in.status_code == 200, signed_in.text
    tokens = signed_in.json()
    assert tokens["user"]["id"] == user["id"] and call(live_server, "GET", "/me", tokens["access_token"]).ok
    # The refresh token of that session rotates without a code.
    assert call(live_server, "POST", "/refresh", tokens["refresh_token"]).status_code == 200
    # The mfa_token is single-use, and the same code is refused on a fresh one: it was used in its window.
    assert second_step(live_server, mfa_token, code_at(secret, 1)).json()["error"]["code"] == "unauthorized"
    replay = second_step(live_server, password_step(live_server, user), code)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "invalid_otp"

    # A recovery code signs in once, in any case and spacing.
    first = second_step(live_server, password_step(live_server, user), f" {recovery[0].upper()} ")
    assert first.status_code == 200, first.text
    used = second_step(live_server, password_step(live_server, user), recovery[0])
    assert used.status_code == 401 and used.json()["error"]["code"] == "invalid_otp"
    assert second_step(live_server, password_step(live_server, user), recovery[1]).status_code == 200


def test_a_code_used_on_one_process_is_refused_on_another(live_server, smtp, tmp_path):
    other = start_live_server(smtp, tmp_path, MONGO_DB=live_server.env["MONGO_DB"])  # the same database
    try:
        user = live_server.signup_verify_login(smtp)
        secret, _ = enrol(live_server, user)
        code = code_at(secret, 1)
        assert second_step(other, password_step(other, user), code).status_code == 200
        replay = second_step(live_server, password_step(live_server, user), code)
        assert replay.status_code == 401 and replay.json()["error"]["code"] == "invalid_otp"
    finally:
        stop_live_server(other)


def test_the_mfa_token_is_no_access_token_and_no_socket_token(live_server, smtp, live_socket):
    user = live_server.signup_verify_login(smtp)
    enrol(live_server, user)
    mfa_token = password_step(live_server, user)
    for method, path in (("GET", "/me"), ("GET", "/me/sessions"), ("POST", "/refresh")):
        answer = call(live_server, method, path, mfa_token)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized", (path, answer.text)
    sock = live_socket(live_server, auth={"access_token": mfa_token, "refresh_token": mfa_token}, connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        sock.connect()
    assert sock.connect_errors["/"]["data"]["code"] == "unauthorized"


def test_five_wrong_codes_use_the_mfa_token_up(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    secret, _ = enrol(live_server, user)
    mfa_token = password_step(live_server, user)
    wrong = "000000" if code_at(secret, 1) != "000000" else "111111"
    assert [second_step(live_server, mfa_token, wrong).json()["error"]["code"] for _ in range(5)] == ["invalid_otp"] * 5
    assert second_step(live_server, mfa_token, code_at(secret, 1)).json()["error"]["code"] == "unauthorized"


def test_disable_needs_the_password_and_a_code(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    secret, recovery = enrol(live_server, user)
    wrong_password = call(live_server, "POST", "/me/2fa/disable", user["access"],
                          json={"password": "not-the-password", "Code": code_at(secret, 1)})
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"
    no_code = call(live_server, "POST", "/me/2fa/disable", user["access"],
                   json={"password": user["password"], "Code": "12345"})
    assert no_code.status_code == 401 and no_code.json()["error"]["code"] == "invalid_otp"
    assert call(live_server, "GET", "/me", user["access"]).json()["user"]["TwoFactor"] is True
    off = call(live_server, "POST", "/me/2fa/disable", user["access"],
               json={"password": user["password"], "Code": recovery[3]})
    assert off.status_code == 200 and off.json() == {"status": "two_factor_disabled"}
    assert call(live_server, "GET", "/me", user["access"]).json()["user"]["TwoFactor"] is False
    plain = call(live_server, "POST", "/login", json={"login": user["username"], "password": user["password"]})
    assert plain.status_code == 200 and plain.json()["access_token"]


def test_a_password_reset_keeps_2fa_and_voids_the_pending_mfa_token(live_server, smtp):
    user = live_server.signup_verify_login(smtp)
    secret, _ = enrol(live_server, user)
    pending = password_step(live_server, user)
    before = smtp.count(user["email"])
    assert call(live_server, "POST", "/password/forgot", json={"email": user["email"]}).status_code == 202
    token = smtp.link(user["email"], count=before + 1, path="reset-password").split("token=", 1)[1]
    reset = call(live_server, "POST", "/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert reset.status_code == 200, reset.text
    assert call(live_server, "GET", "/me", user["access"]).json()["error"]["code"] == "token_revoked"
    # The challenge proved the old password: it is gone with it.
    assert second_step(live_server, pending, code_at(secret, 1)).json()["error"]["code"] == "unauthorized"
    signed_in = second_step(live_server, password_step(live_server, user, NEW_PASSWORD), code_at(secret, 1))
    assert signed_in.status_code == 200, signed_in.text
    assert call(live_server, "GET", "/me", signed_in.json()["access_token"]).json()["user"]["TwoFactor"] is True
