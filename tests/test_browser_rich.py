"""Richer messages in the web client, between two people in real Chromium (see tests/test_browser.py for the
set-up): a reply quoted above the composer and on the message (a click jumps to the original), reactions
from the picker with counts (yours highlighted), "edited" opening the versions, `@` suggestions of group
members, mentions highlighted, and the mention badge in the list, live and after a reload."""
import pytest
import requests
import test_browser as web

from conftest import PASSWORD, SocketRecorder, socket_auth

pytestmark = pytest.mark.live
# The same fixtures as tests/test_browser.py (module-scoped: this module gets its own browser and server).
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server
confirmed_user, screenshot = web.confirmed_user, web.screenshot


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    """Alice and Bob, signed up, confirmed and signed in, each in their own browser context."""
    yield from web.signed_in(playwright_api, browser, web_server, smtp)


def button(locator, name):
    return locator.get_by_role("button", name=name, exact=True)


def reaction(person, text, emoji):
    return person.message(text).locator(".reactions .reaction", has_text=emoji)


def test_reply_react_and_see_the_edit_history(playwright_api, pair):
    expect = playwright_api.expect
    alice, bob = pair
    a, b = alice.page, bob.page
    alice.start_chat(expect, bob, "What do you think of the plan?")

    # Bob replies: the quote shows above his composer, then on his message and on Alice's side.
    original = bob.message("What do you think of the plan?")
    original.hover()
    button(original, "Reply").click()
    expect(b.locator("#replying")).to_be_visible()
    expect(b.locator("#replying")).to_contain_text(f"Replying to {alice.username}: What do you think of the plan?")
    bob.send("Looks good to me")
    expect(b.locator("#replying")).to_be_hidden()
    for person in (alice, bob):
        quote = person.message("Looks good to me").locator(".quote")
        expect(quote).to_have_text(f"{alice.username} What do you think of the plan?")
    a.locator("#messages").evaluate("box => { box.scrollTop = box.scrollHeight; }")
    alice.message("Looks good to me").locator(".quote").click()  # jump to the message it answers
    expect(alice.message("What do you think of the plan?")).to_have_class("msg mine flash")

    # Bob reacts from the picker; Alice sees the count and adds hers; each sees their own highlighted.
    original.hover()
    button(original, "React").click()
    original.get_by_role("button", name="React with 👍").click()
    expect(reaction(bob, "What do you think of the plan?", "👍")).to_have_text("👍 1")
    expect(reaction(bob, "What do you think of the plan?", "👍")).to_have_class("reaction mine")
    expect(reaction(alice, "What do you think of the plan?", "👍")).to_have_text("👍 1")
    expect(reaction(alice, "What do you think of the plan?", "👍")).to_have_class("reaction")
    reaction(alice, "What do you think of the plan?", "👍").click()
    expect(reaction(alice, "What do you think of the plan?", "👍")).to_have_text("👍 2")
    expect(reaction(alice, "What do you think of the plan?", "👍")).to_have_class("reaction mine")
    expect(reaction(bob, "What do you think of the plan?", "👍")).to_have_text("👍 2")
    mine = alice.message("Looks good to me")
    mine.hover()
    button(mine, "React").click()
    mine.get_by_role("button", name="React with 🎉").click()
    expect(bob.message("Looks good to me").locator(".reaction")).to_have_text(["🎉 1"])
    b.mouse.move(600, 400)  # no hovered message: its buttons hidden in the picture
    screenshot(b, "rich-messages")
    reaction(bob, "What do you think of the plan?", "👍").click()  # Bob takes his back
    expect(reaction(alice, "What do you think of the plan?", "👍")).to_have_text("👍 1")
    expect(reaction(bob, "What do you think of the plan?", "👍")).to_have_class("reaction")

    # Alice edits her message twice; Bob opens "edited" and sees every version.
    for text in ("What do you think of the new plan?", "What do you think of the final plan?"):
        current = a.locator("#message-list .msg.mine").first
        current.hover()
        button(current, "Edit").click()
        a.fill("#composer-input", text)
        a.press("#composer-input", "Enter")
        expect(bob.message(text)).to_be_visible()
    bob.message("final plan").locator(".edited").click()
    expect(b.locator("#history-dialog")).to_be_visible()
    expect(b.locator("#history-list li .text")).to_have_text(
        ["What do you think of the plan?", "What do you think of the new plan?",
         "What do you think of the final plan?"])
    button(b.locator("#history-dialog"), "Close").click()
    expect(b.locator("#history-dialog")).to_be_hidden()

    # Deleting the original empties the quote of the reply, on both sides.
    current = a.locator("#message-list .msg.mine").first
    current.hover()
    button(current, "Delete").click()
    button(current, "Delete for everyone?").click()
    for person in (alice, bob):
        expect(person.message("Looks good to me").locator(".quote")).to_have_text(f"{alice.username} Message deleted")


def test_mentions_are_suggested_highlighted_and_counted_in_the_list(playwright_api, pair, web_server, smtp):
    expect = playwright_api.expect
    alice, bob = pair
    a, b = alice.page, bob.page
    carol = confirmed_user(web_server, smtp, "carol")
    login = requests.post(f"{web_server.url}/login", json={"login": alice.username, "password": PASSWORD},
                          timeout=10).json()
    bob_id = requests.get(f"{web_server.url}/users/search?q={bob.username}", timeout=10,
                          headers={"Authorization": f"Bearer {login['access_token']}"}).json()["users"][0]["id"]
    carol_id = requests.get(f"{web_server.url}/users/search?q={carol}", timeout=10,
                            headers={"Authorization": f"Bearer {login['access_token']}"}).json()["users"][0]["id"]
    admin = SocketRecorder(web_server.url, socket_auth({"access": login["access_token"],
                                                        "refresh": login["refresh_token"]}), ["/group"]).connect()
    try:  # another session of Alice's makes the group (the browsers hear `group-created`)
        ack = admin.call("create-group-chat", {"Name": "Plans", "Participants": [bob_id, carol_id]}, namespace="/group")
        assert ack["ok"], ack
    finally:
        admin.close()
    expect(alice.entry("Plans")).to_be_visible()
    expect(bob.entry("Plans")).to_be_visible()
    b.locator("#chat-list li").first.click()  # Bob reads his notes meanwhile

    # Alice types "@b": the members whose name starts so are suggested; Enter takes the highlighted one.
    alice.entry("Plans").click()
    a.type("#composer-input", "@")
    expect(a.locator("#mention-suggestions li")).to_have_text([f"@{bob.username}", f"@{carol}"])
    a.type("#composer-input", "b")
    expect(a.locator("#mention-suggestions li")).to_have_text([f"@{bob.username}"])
    a.press("#composer-input", "Enter")
    expect(a.locator("#mention-suggestions")).to_be_hidden()
    assert a.input_value("#composer-input") == f"@{bob.username} "
    a.type("#composer-input", "please have a look")
    a.press("#composer-input", "Enter")
    expect(alice.message("please have a look").locator(".mention")).to_have_text(f"@{bob.username}")

    # Bob: a mention badge and an unread count on the group, until he opens it; his name stands out.
    expect(bob.entry("Plans").locator(".badge.mention")).to_have_text("@")
    expect(bob.entry("Plans").locator(".badge:not(.mention)")).to_have_text("1")
    screenshot(b, "mentions")
    bob.entry("Plans").click()
    expect(bob.message("please have a look").locator(".mention.me")).to_have_text(f"@{bob.username}")
    expect(bob.entry("Plans").locator(".badge")).to_have_count(0)

    # The server's count: a mention while Bob is elsewhere, then a reload shows it from the list.
    b.locator("#chat-list li").first.click()
    alice.send(f"@{carol} and @{bob.username}: tomorrow?")
    expect(bob.entry("Plans").locator(".badge.mention")).to_be_visible()
    b.reload()
    expect(b.locator("#me-name")).to_have_text(bob.username)
    expect(bob.entry("Plans").locator(".badge.mention")).to_have_attribute("title", "1 unread mention")
    alice.send("no mention here")
    expect(bob.entry("Plans").locator(".badge:not(.mention)")).to_have_text("2")
    expect(bob.entry("Plans").locator(".badge.mention")).to_have_attribute("title", "1 unread mention")
    bob.entry("Plans").click()
    expect(bob.entry("Plans").locator(".badge")).to_have_count(0)
