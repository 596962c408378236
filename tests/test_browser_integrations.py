"""The Integrations page in a real browser: a personal access token created with its scopes, shown once with a
copy button, working, listed with its last use, revoked; a bot created with its token shown once, its messages
showing a "BOT" badge, deleted.

Same set-up as tests/test_browser_account.py, whose fixtures and helpers these tests use (headless Debian
Chromium, Playwright, the real server process). They skip, saying why, when the browser is missing, except with
REQUIRE_BROWSER=1, where that is a failure. SAVE_SCREENSHOTS=1 also writes docs/screenshots/integrations.png.
"""
import re

import pytest
import requests
import test_browser as web
import test_browser_account as account_web

from conftest import PASSWORD, SocketRecorder, bearer, socket_auth, start_live_server, stop_live_server

playwright_api = web.playwright_api  # the same fixtures as test_browser.py (one browser for this module)
browser = web.browser
make_person = account_web.make_person


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory, browser):
    """The real server process for this module."""
    live = start_live_server(smtp, tmp_path_factory.mktemp("browser-integrations"))
    yield live
    stop_live_server(live)


def open_integrations(expect, person):
    page = account_web.open_account(expect, person)
    page.click("#open-integrations")
    expect(page.locator("#integrations-view")).to_be_visible()
    expect(page.locator("#account-view")).to_be_hidden()
    return page


@pytest.mark.live
def test_a_token_is_created_shown_once_used_and_revoked(playwright_api, server, smtp, make_person):
    expect = playwright_api.expect
    alice = make_person(server, web.confirmed_user(server, smtp, "alice"))
    alice.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    alice.sign_in(expect)
    page = open_integrations(expect, alice)
    expect(page.locator("#no-tokens")).to_be_visible()

    page.click("#token-form button[type=submit]")  # no scope chosen: said in words, nothing made
    page.fill("#token-form [name=Name]", "deploy notices")
    page.click("#token-form button[type=submit]")
    expect(page.locator("#token-form .form-error")).to_have_text("Choose at least one scope.")
    page.check("#token-form input[value='messages:write']")
    page.select_option("#token-form [name=expires]", "7")
    page.click("#token-form button[type=submit]")
    secret = page.locator("#token-secret code")
    expect(secret).to_have_text(re.compile(r"^chatpat_[\w-]{43}$"))
    token = secret.inner_text()
    assert token.startswith("chatpat_") and len(token) == 51
    page.click("#token-secret .copy-secret")
    expect(page.locator("#token-secret .copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token
    item = page.locator("#token-list li", has_text="deploy notices")
    expect(item).to_contain_text("messages:write")
    expect(item).to_contain_text("never used")
    web.screenshot(page, "integrations")  # with SAVE_SCREENSHOTS=1: the token shown once, and the list

    sent = requests.post(f"{server.url}/chats/self/messages", json={"Content": "from the token"},
                         headers=bearer(token), timeout=10)
    assert sent.status_code == 201, sent.text

    page.click("#integrations-back")  # shown once: coming back, the value is gone; the list says it was used
    page.click("#open-integrations")
    expect(page.locator("#token-secret")).to_be_hidden()
    expect(item).to_contain_text("last used")
    assert token not in page.content()

    item.get_by_role("button", name="Revoke").click()
    expect(page.locator("#no-tokens")).to_be_visible()
    expect(page.locator("#token-list li")).to_have_count(0)
    refused = requests.get(f"{server.url}/chats", headers=bearer(token), timeout=10)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"


@pytest.mark.live
def test_a_bot_is_created_shows_as_a_bot_and_is_deleted(playwright_api, server, smtp, make_person):
    expect = playwright_api.expect
    bob = make_person(server, web.confirmed_user(server, smtp, "bob"))
    bob.sign_in(expect)
    page = open_integrations(expect, bob)
    page.fill("#bot-form [name=Username]", "buildbot")
    page.click("#bot-form button[type=submit]")
    expect(page.locator("#bot-secret code")).to_have_text(re.compile(r"^chatpat_[\w-]{43}$"))
    token = page.locator("#bot-secret code").inner_text()
    expect(page.locator("#bot-list li", has_text="buildbot").locator(".bot-badge")).to_have_text("BOT")
    page.fill("#bot-form [name=Username]", "buildbot")  # taken: said in words
    page.click("#bot-form button[type=submit]")
    expect(page.locator("#bot-form .form-error")).not_to_be_empty()

    me = requests.get(f"{server.url}/users/search?q=bob", headers=bearer(token), timeout=10).json()["users"]
    bob_id = next(user["id"] for user in me if user["username"] == "bob")
    sent = requests.post(f"{server.url}/chats/personal/{bob_id}/messages", json={"Content": "Build 812 passed"},
                         headers=bearer(token), timeout=10)
    assert sent.status_code == 201 and sent.json()["Message"]["Sender"]["Bot"] is True
    page.click("#integrations-back")
    page.click("#account-back")
    entry = bob.entry("buildbot")
    expect(entry.locator(".bot-badge")).to_have_text("BOT")  # the chat list marks the bot
    entry.click()
    expect(page.locator("#conv-title .bot-badge")).to_have_text("BOT")  # and so does the conversation's title
    expect(bob.message("Build 812 passed")).to_be_visible()

    # In a group (bob adds the bot from another session of his), the bot's messages carry the badge by its name.
    other = server.accounts().login({"username": "bob", "password": PASSWORD})
    sockets = SocketRecorder(server.url, socket_auth(other), ["/group"]).connect()
    try:
        bot_id = sent.json()["Message"]["Sender"]["id"]
        group = sockets.call("create-group-chat", {"Name": "builds", "Participants": [bot_id]}, "/group")
        assert group["ok"], group
    finally:
        sockets.client.disconnect()
    posted = requests.post(f"{server.url}/groups/{group['Group']['GroupId']}/messages",
                           json={"Content": "Build 813 failed"}, headers=bearer(token), timeout=10)
    assert posted.status_code == 201, posted.text
    bob.entry("builds").click()
    author = bob.message("Build 813 failed").locator(".author")
    expect(author).to_contain_text("buildbot")
    expect(author.locator(".bot-badge")).to_have_text("BOT")
    expect(page.locator("#conv-title .bot-badge")).to_have_count(0)  # a group's title is its name only

    page.once("dialog", lambda dialog: dialog.accept())
    open_integrations(expect, bob)
    page.locator("#bot-list li", has_text="buildbot").get_by_role("button", name="Delete").click()
    expect(page.locator("#no-bots")).to_be_visible()
    assert requests.get(f"{server.url}/chats", headers=bearer(token), timeout=10).status_code == 401


@pytest.mark.live
def test_the_integrations_page_on_a_phone(playwright_api, browser, server, smtp, make_person):
    """At 390 px with a touch screen: the page scrolls only up and down, its buttons and scope boxes are 44 px
    targets, and a token made there is shown once, whole, inside the screen."""
    import test_browser_phone as phone
    expect = playwright_api.expect
    dora = make_person(server, web.confirmed_user(server, smtp, "dora"))
    phone.on_phone(browser, dora)
    dora.sign_in(expect)
    page = open_integrations(expect, dora)
    page.fill("#token-form [name=Name]", "from my phone")
    scope = page.locator("#token-form input[value='messages:read']")
    scope.tap()
    expect(scope).to_be_checked()
    submit = page.locator("#token-form button[type=submit]")
    assert submit.bounding_box()["height"] >= 44
    submit.tap()
    secret = page.locator("#token-secret code")
    expect(secret).to_have_text(re.compile(r"^chatpat_[\w-]{43}$"))
    place = page.locator("#token-secret").bounding_box()
    assert place["x"] >= 0 and place["x"] + place["width"] <= 390, place
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for button in page.locator("#integrations-view button:visible").all():
        assert button.bounding_box()["height"] >= 44, button.inner_text()
    web.screenshot(page, "phone-integrations")
