"""Searching messages in the web client, in real Chromium (see tests/test_browser.py for the set-up): a search over
every chat finds part of a word and a word without its accent, with the matching words marked; a search in the open
chat stays in it; "More results" pages on; a result opens its chat at that message (an old one too: the page around
it is loaded), scrolled into view and flashed; HTML in a result stays text; on a phone the panel fills the screen."""
import re

import pytest
import requests
import test_browser as web

from conftest import PASSWORD

pytestmark = pytest.mark.live
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server
BOMB = '<img src=x onerror="window.pwned=1"> deploy'


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    """Alice and Bob, signed up, confirmed and signed in, each in their own browser context."""
    yield from web.signed_in(playwright_api, browser, web_server, smtp)


def rest(server, username):
    """A requests session of `username` (a new sign-in over REST). The server's access tokens live ACCESS_TTL
    seconds (test_browser.py); `session.sign_in()` takes a new one when a busy machine outlasted it."""
    session = requests.Session()

    def sign_in():
        body = requests.post(f"{server.url}/login", json={"login": username, "password": PASSWORD}, timeout=10)
        session.headers["Authorization"] = f"Bearer {body.json()['access_token']}"

    session.sign_in = sign_in
    sign_in()
    return session


def post(session, url, content):
    response = session.post(url, json={"Content": content}, timeout=10)
    if response.status_code == 401 and response.json()["error"]["code"] == "token_expired":
        session.sign_in()  # not what this test is about: the web client's own refresh is test_browser.py's
        response = session.post(url, json={"Content": content}, timeout=10)
    assert response.status_code == 201, response.text


def search(page, query):
    page.fill("#msearch-input", query)
    page.press("#msearch-input", "Enter")


def test_search_marks_matches_stays_in_scope_pages_and_opens_the_message(playwright_api, pair, web_server):
    expect = playwright_api.expect
    alice, bob = pair
    a = alice.page
    alice.start_chat(expect, bob, "Let's plan the redeployment tomorrow")
    session = rest(web_server, alice.username)
    found = session.get(f"{web_server.url}/users/search", params={"q": bob.username}, timeout=10).json()
    bob_id = found["users"][0]["id"]
    to_bob = f"{web_server.url}/chats/personal/{bob_id}/messages"
    post(session, to_bob, "the ancient deployment plan")
    for n in range(40):  # the old message is well before the newest page the chat opens with
        post(session, to_bob, f"filler {n}")
    post(session, f"{web_server.url}/chats/self/messages", "Café notes: deploy checklist")
    post(session, f"{web_server.url}/chats/self/messages", BOMB)

    # Every chat: part of a word, each match marked, with the chat, the sender and the date.
    a.click("#open-msearch")
    expect(a.locator("#msearch")).to_be_visible()
    search(a, "PLOY")
    hits = a.locator("#msearch-results li.hit")
    expect(hits).to_have_count(4)
    expect(hits.locator("mark")).to_have_text(["ploy"] * 4)
    expect(hits.locator(".hit-chat")).to_have_text(["Notes to self", "Notes to self", bob.username, bob.username])
    expect(hits.nth(2).locator(".hit-sender")).to_have_text(alice.username)
    expect(hits.nth(2).locator(".hit-text")).to_have_text("the ancient deployment plan")
    assert hits.nth(2).locator("time").get_attribute("datetime")

    # A word without its accent finds it with; HTML in a result is text and runs nothing.
    search(a, "cafe")
    expect(hits).to_have_count(1)
    expect(hits.locator("mark")).to_have_text("Café")
    search(a, "onerror")
    expect(hits).to_have_count(1)
    expect(hits.locator(".hit-text")).to_have_text(BOMB)
    expect(hits.locator(".hit-text mark")).to_have_text("onerror")
    expect(a.locator("#msearch-results img")).to_have_count(0)
    assert a.evaluate("window.pwned") is None

    # "More results" goes on through the cursor.
    search(a, "filler")
    expect(hits).to_have_count(20)
    a.click("#msearch-more")
    expect(hits).to_have_count(40)
    expect(a.locator("#msearch-more")).to_be_hidden()

    # In the open chat only.
    a.click("#msearch-close")
    expect(a.locator("#msearch")).to_be_hidden()
    alice.entry(bob.username).click()
    expect(a.locator("#conv-title")).to_have_text(bob.username)
    a.click("#conv-search")
    expect(a.locator("#msearch-scope")).to_be_checked()
    expect(a.locator("#msearch-scope-name")).to_have_text(bob.username)
    search(a, "ploy")
    expect(hits).to_have_count(2)
    expect(hits.locator(".hit-chat")).to_have_text([bob.username] * 2)
    a.uncheck("#msearch-scope")
    expect(hits).to_have_count(4)

    # A result opens its chat at that message: older than the page shown, so the page around it is loaded.
    expect(alice.message("the ancient deployment plan")).to_have_count(0)
    hits.filter(has_text="ancient").locator("button").click()
    found = alice.message("the ancient deployment plan")
    expect(found).to_be_in_viewport()
    expect(found).to_have_class(re.compile(r"\bflash\b"))
    expect(alice.message("filler 39")).to_have_count(1)  # joined to the newest: every message between is there
    expect(a.locator("#message-list .msg")).to_have_count(42)
    expect(a.locator("#message-list li.system")).to_have_count(0)

    # From another chat too; the panel stays open beside the chat on a wide screen.
    hits.filter(has_text="checklist").locator("button").click()
    expect(a.locator("#conv-title")).to_have_text("Notes to self")
    expect(alice.message("Café notes")).to_be_in_viewport()
    expect(a.locator("#msearch")).to_be_visible()
    panel, chat = a.locator("#msearch").bounding_box(), a.locator("#conversation").bounding_box()
    assert panel["x"] + panel["width"] <= chat["x"] + 1  # over the chat list, not over the chat


def test_on_a_phone_the_panel_fills_the_screen_and_a_result_shows_the_chat(playwright_api, pair):
    expect = playwright_api.expect
    alice, bob = pair
    a = alice.page
    a.set_viewport_size({"width": 390, "height": 844})
    a.click("#msearch-close")
    a.click("#conv-back")
    expect(a.locator("#conv-header")).to_be_hidden()
    a.click("#open-msearch")
    assert a.locator("#msearch").bounding_box()["width"] == 390
    search(a, "redeploy")
    hits = a.locator("#msearch-results li.hit")
    expect(hits).to_have_count(1)
    a.evaluate("document.documentElement.dataset.theme = 'dark'")  # the theme's colours, not fixed ones
    assert a.evaluate("getComputedStyle(document.querySelector('#msearch')).backgroundColor") == "rgb(22, 27, 34)"
    hits.locator("button").click()
    expect(a.locator("#msearch")).to_be_hidden()
    expect(a.locator("#conv-title")).to_have_text(bob.username)
    expect(alice.message("Let's plan the redeployment")).to_be_in_viewport()
