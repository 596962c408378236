"""Block and mute in the web client, between two people in real Chromium (see tests/test_browser.py for the
set-up; it fails instead of skipping under REQUIRE_BROWSER=1): blocking from a personal chat's header asks
first, the blocked person's send is refused with a "blocked" notice in their composer and never reaches the
blocker, unblocking lets it through again; muting from a chat's menu for a while or until unmuted shows a
muted icon in the list, which a reload keeps and unmuting takes away, in a personal chat and a group."""
import pytest
import requests
import test_browser as web

from conftest import PASSWORD, SocketRecorder, socket_auth

pytestmark = pytest.mark.live
# The same fixtures as tests/test_browser.py (module-scoped: this module gets its own browser and server).
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server
screenshot = web.screenshot


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    """Ann and Ben, signed up, confirmed and signed in, each in their own browser context, with a chat."""
    expect = playwright_api.expect
    for ann, ben in web.signed_in(playwright_api, browser, web_server, smtp, names=("ann", "ben")):
        ann.start_chat(expect, ben, "hello ben")
        yield ann, ben


def rest(server, person, method, path):
    login = requests.post(f"{server.url}/login", json={"login": person.username, "password": PASSWORD},
                          timeout=10).json()
    response = requests.request(method, f"{server.url}{path}", timeout=10,
                                headers={"Authorization": f"Bearer {login['access_token']}"})
    return response.json(), login


def test_block_asks_first_refuses_the_blocked_person_with_a_notice_and_unblock_lets_them_write(
        playwright_api, pair):
    expect = playwright_api.expect
    ann, ben = pair
    a, b = ann.page, ben.page
    ann.entry(ben.username).click()
    expect(a.locator("#block-user")).to_have_text("Block")
    a.click("#block-user")
    expect(a.locator("#block-user")).to_have_text(f"Block {ben.username}?")  # asks first
    ben.send("one more thing")  # Ann's page redraws while the question waits: it must stay asked
    expect(ann.message("one more thing")).to_be_visible()
    expect(a.locator("#block-user")).to_have_text(f"Block {ben.username}?")
    a.click("#block-user")
    expect(a.locator("#block-user")).to_have_text("Unblock")
    expect(a.locator("#conv-status")).to_have_text("blocked")
    expect(b.locator("#conv-status")).to_contain_text("offline")  # ann looks offline to ben now

    ben.send("are you there?")
    expect(b.locator("#blocked-notice")).to_be_visible()
    expect(b.locator("#blocked-notice")).to_have_text("You can't send messages to this person.")
    expect(ben.message("are you there?")).to_have_class("msg mine failed")
    screenshot(b, "blocked")
    ann.send("this is my last word")  # the blocker may still write
    expect(ben.message("this is my last word")).to_be_visible()

    a.reload()  # the block is the server's: a new page knows it too
    expect(a.locator("#me-name")).to_have_text(ann.username)
    ann.entry(ben.username).click()
    expect(a.locator("#block-user")).to_have_text("Unblock")
    expect(ann.message("are you there?")).to_have_count(0)

    a.click("#block-user")
    expect(a.locator("#block-user")).to_have_text("Block")
    expect(a.locator("#conv-status")).not_to_have_text("blocked")
    expect(b.locator("#conv-status")).to_have_text("online")  # presence is back at once
    ben.send("friends again?")
    expect(ann.message("friends again?")).to_be_visible()
    expect(b.locator("#blocked-notice")).to_be_hidden()


def test_mute_from_the_chat_menu_shows_an_icon_in_the_list_until_unmuted(playwright_api, pair, web_server):
    expect = playwright_api.expect
    ann, ben = pair
    a = ann.page
    ann.entry(ben.username).click()
    icon = ann.entry(ben.username).locator(".muted-icon")
    expect(icon).to_have_count(0)
    a.click("#mute-toggle")
    expect(a.locator("#mute-menu")).to_be_visible()
    a.locator("#mute-menu").get_by_role("menuitem", name="For 1 hour").click()
    expect(a.locator("#mute-menu")).to_be_hidden()
    expect(icon).to_be_visible()
    expect(a.locator("#mute-toggle")).to_have_text("Unmute")
    entries, _ = rest(web_server, ann, "GET", "/chats")
    entry = next(e for e in entries["entries"] if e.get("Kind") == "personal")
    assert entry["Muted"] is True and entry["MutedUntil"]
    assert ben.entry(ann.username).locator(".muted-icon").count() == 0, "a mute is the muter's own"

    a.reload()  # from the list the server sends on connect
    expect(a.locator("#me-name")).to_have_text(ann.username)
    expect(icon).to_be_visible()
    ann.entry(ben.username).click()
    a.click("#mute-toggle")  # muted: the button unmutes
    expect(icon).to_have_count(0)
    expect(a.locator("#mute-toggle")).to_have_text("Mute")

    # A group, muted until unmuted.
    _, login = rest(web_server, ann, "GET", "/me")
    ben_id = next(e for e in entries["entries"] if e.get("Kind") == "personal")["Partner"]["id"]
    admin = SocketRecorder(web_server.url, socket_auth({"access": login["access_token"],
                                                        "refresh": login["refresh_token"]}), ["/group"]).connect()
    try:  # another session of Ann's makes the group (the page hears `group-created`)
        ack = admin.call("create-group-chat", {"Name": "Quiet", "Participants": [ben_id]}, namespace="/group")
        assert ack["ok"], ack
    finally:
        admin.close()
    ann.entry("Quiet").click()
    a.click("#mute-toggle")
    a.locator("#mute-menu").get_by_role("menuitem", name="Until I unmute").click()
    expect(ann.entry("Quiet").locator(".muted-icon")).to_be_visible()
    screenshot(a, "muted")
    group = next(e for e in rest(web_server, ann, "GET", "/chats")[0]["entries"] if e.get("Name") == "Quiet")
    assert (group["Muted"], group["MutedUntil"]) == (True, None)
    expect(a.locator("#mute-toggle")).to_have_attribute("title", "Muted")
    a.click("#mute-toggle")
    expect(ann.entry("Quiet").locator(".muted-icon")).to_have_count(0)
