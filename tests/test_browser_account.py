"""Accounts people can manage, in a real browser: a forgotten password reset from the mail, and the account
page (the sessions and signing them out, changing the password and the email address, deleting the account).

Same set-up as tests/test_browser.py, whose fixtures and helpers these tests use: headless Debian Chromium
driven by Playwright against the real server process, which mails through the tests' real SMTP server. They
skip, saying why, when the browser is missing, except with REQUIRE_BROWSER=1 (CI), where that is a failure.
SAVE_SCREENSHOTS=1 also writes docs/screenshots/account.png.
"""
import re
from urllib.parse import urlsplit

import pytest
import requests
import test_browser as web

from conftest import PASSWORD, bearer, start_live_server, stop_live_server, unique

NEW_PASSWORD = "a brand new passphrase"
WRONG_LOGIN = "Wrong login or password."

playwright_api = web.playwright_api  # the same fixtures as test_browser.py (one browser for this module)
browser = web.browser


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory, browser):
    """The real server process for this module, mailing through the test SMTP sink."""
    live = start_live_server(smtp, tmp_path_factory.mktemp("browser-account"))
    yield live
    stop_live_server(live)


@pytest.fixture
def make_person(browser):
    """Makes Persons (browser contexts) and closes them after the test, which fails on JavaScript errors."""
    made = []

    def make(server, name, site=None):
        person = web.Person(browser, server, name, site=site)
        made.append(person)
        return person

    yield make
    errors = [error for person in made for error in person.errors]
    for person in made:
        person.context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def reset_link(smtp, address, count):
    """The password reset link of the count-th mail to address, as written in its text part."""
    body = smtp.wait_for(address, count).get_body(("plain",)).get_content()
    match = re.search(r"https?://\S+/reset-password\?token=[\w.~%-]+", body)
    assert match, body
    return match.group(0)


def sign_in(expect, person, password=PASSWORD, refused=False):
    """Sign in on the person's sign-in screen (open already); `refused`: expect the wrong-password line."""
    page = person.page
    page.fill("#login-form [name=login]", person.username)
    page.fill("#login-form [name=password]", password)
    page.click("#login-form button[type=submit]")
    if refused:
        expect(page.locator("#login-form .form-error")).to_have_text(WRONG_LOGIN)
        return
    expect(page.locator("#me-name")).to_have_text(person.username)
    expect(page.locator("#conn-dot")).to_have_class("dot online")


def ask_for_reset_link(expect, person, address=None):
    """On the sign-in screen: "Forgot password?", the address, and the answer that gives nothing away."""
    page = person.page
    address = address or person.email
    page.click("#to-forgot")
    expect(page.locator("#forgot-form")).to_be_visible()
    page.fill("#forgot-form [name=email]", address)
    page.click("#forgot-form button[type=submit]")
    expect(page.locator("#auth-info")).to_contain_text("If an account uses that address, a link is on its way")
    expect(page.locator("#login-form")).to_be_visible()


def recorded_pushes(person):
    """Socket.IO packets the person's page receives, as text (to see the server's `session-ended`)."""
    frames = []
    person.page.on("websocket", lambda socket: socket.on(
        "framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else payload.decode())))
    return frames


def open_account(expect, person):
    page = person.page
    page.click("#open-account")
    expect(page.locator("#account-view")).to_be_visible()
    expect(page.locator("#account-name")).to_have_text(person.username)
    return page


@pytest.mark.live
def test_a_forgotten_password_is_reset_from_the_mail(playwright_api, server, smtp, make_person):
    expect = playwright_api.expect
    # Plain names: this module's server has a new database.
    erin = make_person(server, web.confirmed_user(server, smtp, "erin"))
    elsewhere = make_person(server, erin.username)  # erin, signed in on another device
    elsewhere.sign_in(expect)
    page = erin.page
    page.goto(server.url + "/")

    # An unknown address gets the same answer.
    ask_for_reset_link(expect, erin, address=unique("nobody") + "@example.test")
    mails = smtp.count(erin.email)
    ask_for_reset_link(expect, erin)
    link = reset_link(smtp, erin.email, mails + 1)
    assert link.startswith(server.url + "/reset-password?token=")

    page.goto(link)  # the server's page (no CLIENT_URL): a small form
    expect(page.locator("h1")).to_have_text("Choose a new password")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("h1")).to_have_text("Your password is changed")
    expect(elsewhere.page.locator("#login-form")).to_be_visible()  # a reset ends every session
    again = requests.post(f"{server.url}/password/reset", json={"token": link.split("token=", 1)[1],
                                                                "password": "yet another password"}, timeout=10)
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_token"  # single use

    page.get_by_role("link", name="Open the chat").click()  # back to the web client
    sign_in(expect, erin, PASSWORD, refused=True)  # the old password no longer works
    sign_in(expect, erin, NEW_PASSWORD)


class SpaSite(web.StaticSite):
    """web/ served from another origin by a host that answers /reset-password with index.html (as hosts of
    single-page apps do), so the link in the mail opens the client's own reset form."""

    class Quiet(web.StaticSite.Quiet):
        def do_GET(self):
            if urlsplit(self.path).path.rstrip("/").endswith("/reset-password"):
                self.path = "/index.html"
            super().do_GET()


@pytest.mark.live
def test_with_client_url_the_reset_link_opens_the_clients_form(playwright_api, smtp, make_person, tmp_path):
    expect = playwright_api.expect
    site, other = SpaSite(tmp_path / "site"), None
    try:
        other = start_live_server(smtp, tmp_path, CLIENT_URL=site.origin)
        site.point_at(other.url)
        fay = make_person(other, web.confirmed_user(other, smtp, "fay"), site=site.origin)
        page = fay.page
        page.goto(site.origin + "/")
        mails = smtp.count(fay.email)
        ask_for_reset_link(expect, fay)
        link = reset_link(smtp, fay.email, mails + 1)
        assert link.startswith(site.origin + "/reset-password?token=")

        page.goto(link)
        expect(page.locator("#reset-form")).to_be_visible()
        assert urlsplit(page.url).path == "/" and "token" not in page.url  # the token left the address bar
        page.fill("#reset-form [name=password]", "short")
        page.click("#reset-form button[type=submit]")  # the browser's own check: 8 characters at least
        expect(page.locator("#reset-form")).to_be_visible()
        page.fill("#reset-form [name=password]", NEW_PASSWORD)
        page.click("#reset-form button[type=submit]")
        expect(page.locator("#auth-info")).to_contain_text("Your password is changed")
        sign_in(expect, fay, PASSWORD, refused=True)
        sign_in(expect, fay, NEW_PASSWORD)

        page.goto(link)  # used already: said in words, and "Forgot password?" is where to go
        page.fill("#reset-form [name=password]", "yet another password")
        page.click("#reset-form button[type=submit]")
        expect(page.locator("#auth-info")).to_contain_text("This link does not work")
        expect(page.locator("#forgot-form")).to_be_visible()
    finally:
        site.close()
        if other:
            stop_live_server(other)


@pytest.mark.live
def test_signing_out_other_sessions_from_the_account_page(playwright_api, server, smtp, make_person):
    expect = playwright_api.expect
    name = web.confirmed_user(server, smtp, "gus")  # a plain name reads well in the screenshot
    here, there, third = make_person(server, name), make_person(server, name), make_person(server, name)
    pushes = recorded_pushes(there)
    for person in (here, there):
        person.sign_in(expect)
    stolen = there.page.evaluate("sessionStorage.getItem('chat.refresh_token')")

    page = open_account(expect, here)
    sessions = page.locator("#session-list li")
    expect(sessions).to_have_count(2)
    expect(page.locator("#session-list li.current .role")).to_have_text("this device")
    expect(sessions.first).to_have_class("current")  # this device first
    expect(sessions.nth(1)).to_contain_text("Chrome on Linux")
    expect(sessions.nth(1)).to_contain_text("last active")
    web.screenshot(page, "account")

    sessions.nth(1).get_by_role("button", name="Sign out").click()
    expect(page.locator("#sessions .form-done")).to_have_text("Signed out: Chrome on Linux.")
    expect(sessions).to_have_count(1)
    expect(page.locator("#end-other-sessions")).to_be_disabled()

    # The other browser: its socket was told and closed, it is back on the sign-in screen, its tokens are gone.
    other = there.page
    expect(other.locator("#login-form")).to_be_visible()
    expect(other.locator("#notice")).to_contain_text("You were signed out")
    # (The server's disconnect packets that follow may or may not arrive: the page closes its socket as soon
    # as it hears `session-ended`.)
    assert any('"session-ended"' in frame for frame in pushes), pushes
    assert other.evaluate("sessionStorage.getItem('chat.refresh_token')") is None
    refused = requests.post(f"{server.url}/refresh", headers=bearer(stolen), timeout=10)
    assert refused.status_code == 401, refused.text

    # "Sign out everywhere else" ends a third session; this one goes on.
    third.sign_in(expect)
    page.click("#account-back")
    expect(page.locator("#chat-view")).to_be_visible()
    open_account(expect, here)
    expect(sessions).to_have_count(2)
    page.click("#end-other-sessions")
    expect(page.locator("#sessions .form-done")).to_have_text("Signed out everywhere else (1 session).")
    expect(sessions).to_have_count(1)
    expect(third.page.locator("#login-form")).to_be_visible()
    page.click("#account-back")
    expect(page.locator("#conn-dot")).to_have_class("dot online")


@pytest.mark.live
def test_change_password_and_email_then_delete_the_account(playwright_api, server, smtp, make_person):
    expect = playwright_api.expect
    name = web.confirmed_user(server, smtp, "hal")
    taken = web.confirmed_user(server, smtp, "ivy")
    here, there = make_person(server, name), make_person(server, name)
    for person in (here, there):
        person.sign_in(expect)
    page = open_account(expect, here)
    expect(page.locator("#account-email")).to_have_text(f"({here.email})")

    form = page.locator("#password-form")
    form.locator("[name=current_password]").fill("not the password")
    form.locator("[name=new_password]").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_have_text("That password is not right.")
    form.locator("[name=current_password]").fill(PASSWORD)
    form.locator("[name=new_password]").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-done")).to_contain_text("Your password is changed")
    expect(form.locator(".form-error")).to_be_hidden()
    expect(there.page.locator("#login-form")).to_be_visible()  # every other session ended
    expect(page.locator("#session-list li")).to_have_count(1)
    sign_in(expect, there, PASSWORD, refused=True)
    sign_in(expect, there, NEW_PASSWORD)

    form = page.locator("#email-form")
    form.locator("[name=email]").fill(f"{taken}@example.test")
    form.locator("[name=password]").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_have_text("An account with that email exists.")
    new_address = f"{name}.new@example.test"
    form.locator("[name=email]").fill(new_address)
    form.locator("[name=password]").fill(PASSWORD)  # the old one: refused
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_have_text("That password is not right.")
    form.locator("[name=password]").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-done")).to_contain_text(f"We sent a confirmation link to {new_address}.")
    tab = there.context.new_page()  # the link in the mail to the new address, opened in another tab
    tab.goto(smtp.link(new_address))
    expect(tab.locator("h1")).to_have_text("Your email address is confirmed")
    tab.close()
    page.click("#account-back")
    open_account(expect, here)
    expect(page.locator("#account-email")).to_have_text(f"({new_address})")

    form = page.locator("#delete-form")
    form.locator("[name=password]").fill("not the password")
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_have_text("That password is not right.")
    expect(page.locator("#account-view")).to_be_visible()
    form.locator("[name=password]").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator("#auth-info")).to_have_text("Your account is deleted. Thank you for chatting here.")
    expect(page.locator("#account-view")).to_be_hidden()
    expect(page.locator("#notice")).to_be_hidden()  # the end of this session was expected, not news
    assert page.evaluate("sessionStorage.getItem('chat.refresh_token')") is None
    expect(there.page.locator("#login-form")).to_be_visible()  # the other session ended too
    sign_in(expect, here, NEW_PASSWORD, refused=True)

