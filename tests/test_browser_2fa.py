"""Two-factor sign-in in a real browser: enrolling on the account page (the QR code drawn by the server, the key,
a first code, the recovery codes shown once and downloaded), then signing out and in with a code, a wrong one
first, and with a recovery code. Codes are computed with pyotp from the key the page shows, as an app would.

Same set-up as tests/test_browser.py (headless Chromium through Playwright against the real server process); it
skips, saying why, when the browser is missing, except with REQUIRE_BROWSER=1.
"""
import re
import time

import pyotp
import pytest
import test_browser as web

from conftest import PASSWORD, start_live_server, stop_live_server

playwright_api = web.playwright_api
browser = web.browser
pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory, browser):
    live = start_live_server(smtp, tmp_path_factory.mktemp("browser-2fa"))
    yield live
    stop_live_server(live)


def sign_out_and_enter_password(expect, person):
    page = person.page
    page.click("#logout")
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("#login-form [name=login]", person.username)
    page.fill("#login-form [name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#otp-form")).to_be_visible()  # the password was right: a code is asked for
    expect(page.locator("#login-form")).to_be_hidden()


def enter_code(expect, person, code):
    page = person.page
    page.fill("#otp-form [name=Code]", code)
    page.click("#otp-form button[type=submit]")


def test_enrol_on_the_account_page_then_sign_in_with_a_code_and_a_recovery_code(playwright_api, browser, server,
                                                                                 smtp, tmp_path):
    expect = playwright_api.expect
    person = web.Person(browser, server, web.confirmed_user(server, smtp, "tess"))
    try:
        person.sign_in(expect)
        page = person.page
        page.click("#open-account")
        expect(page.locator("#twofactor-status")).to_contain_text("Off")
        page.fill("#twofactor-setup-form [name=password]", PASSWORD)
        page.click("#twofactor-setup-form button[type=submit]")
        expect(page.locator("#twofactor-enable-form")).to_be_visible()
        qr = page.locator("#twofactor-qr")
        expect(qr).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
        page.wait_for_function("document.querySelector('#twofactor-qr').naturalWidth > 0")  # it decoded
        secret = page.locator("#twofactor-secret").inner_text().strip()
        totp = pyotp.TOTP(secret)
        page.fill("#twofactor-enable-form [name=Code]", totp.now())
        page.click("#twofactor-enable-form button[type=submit]")
        codes = page.locator("#recovery-codes code")
        expect(codes).to_have_count(10)
        recovery = codes.all_inner_texts()
        expect(page.locator("#twofactor-status")).to_contain_text("On")
        with page.expect_download() as download:
            page.click("#recovery-download")
        saved = tmp_path / "codes.txt"
        download.value.save_as(saved)
        assert all(code in saved.read_text() for code in recovery)

        page.click("#account-back")
        sign_out_and_enter_password(expect, person)
        wrong = "000000" if totp.at(time.time() + 30) != "000000" else "111111"
        enter_code(expect, person, wrong)
        expect(page.locator("#otp-form .form-error")).to_have_text("That code is not right, or was used already.")
        enter_code(expect, person, totp.at(time.time() + 30))  # the next step's (the first code was used)
        expect(page.locator("#me-name")).to_have_text(person.username)
        expect(page.locator("#conn-dot")).to_have_class("dot online")

        sign_out_and_enter_password(expect, person)
        enter_code(expect, person, recovery[0])
        expect(page.locator("#me-name")).to_have_text(person.username)
        page.click("#open-account")
        expect(page.locator("#twofactor-status")).to_contain_text("On")
        expect(page.locator("#recovery-codes code")).to_have_count(0)  # shown once only
        assert not person.errors, person.errors
    finally:
        person.context.close()
