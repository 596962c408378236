"""Threads in the web client, in real Chromium against the real server (see tests/test_browser.py): Amy starts a
thread under one of Ben's messages from the thread panel; Ben, with the chat open, sees "1 reply" appear under
his message live and the reply in his panel when he opens it; his answer reaches Amy's open panel live; the
"Threads" view lists the thread with its unread count, and the badge clears once the thread is read. The reply
never shows in the main conversation."""
import pytest
import test_browser as web

pytestmark = pytest.mark.live
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    for amy, ben in web.signed_in(playwright_api, browser, web_server, smtp, names=("amy", "ben")):
        amy.start_chat(playwright_api.expect, ben, "hello ben")
        yield amy, ben


def reply_in_panel(person, text):
    person.page.fill("#thread-input", text)
    person.page.press("#thread-input", "Enter")


def test_a_thread_started_replied_to_live_and_its_unread_badge(playwright_api, pair):
    expect = playwright_api.expect
    amy, ben = pair
    a, b = amy.page, ben.page
    ben.send("shall we ship on friday?")
    root = amy.message("shall we ship on friday?")
    expect(root).to_be_visible()
    expect(ben.message("shall we ship on friday?")).to_be_visible()

    # Amy starts the thread from the message's "Reply in thread"
    root.hover()
    root.get_by_role("button", name="Reply in thread").click()
    expect(a.locator("#thread-panel")).to_be_visible()
    expect(a.locator("#thread-root .text")).to_have_text("shall we ship on friday?")
    reply_in_panel(amy, "friday works for me")
    expect(a.locator("#thread-list .msg .text")).to_have_text(["friday works for me"])
    expect(root.locator(".thread-link")).to_have_text("1 reply")
    expect(a.locator("#thread-input")).to_have_value("")

    # Ben sees the count under his message live; the reply is not in his conversation
    ben_root = ben.message("shall we ship on friday?")
    expect(ben_root.locator(".thread-link")).to_have_text("1 reply")
    expect(ben.message("friday works for me")).to_have_count(0)
    # the Threads badge: Ben follows his message's thread (its author) and has one unread reply
    expect(b.locator("#threads-badge")).to_have_text("1")
    b.click("#open-threads")
    entry = b.locator("#threads-list li")
    expect(entry).to_have_count(1)
    expect(entry.locator(".thread-excerpt")).to_have_text("ben: shall we ship on friday?")
    expect(entry.locator(".badge")).to_have_text("1")
    entry.get_by_role("button").click()
    expect(b.locator("#thread-panel")).to_be_visible()
    expect(b.locator("#thread-list .msg .text")).to_have_text(["friday works for me"])
    expect(b.locator("#threads-badge")).to_be_hidden()  # opening the thread read it

    # Ben answers in the thread: Amy's open panel gets it live, and the count under the root grows
    reply_in_panel(ben, "great, friday it is")
    expect(a.locator("#thread-list .msg .text")).to_have_text(["friday works for me", "great, friday it is"])
    expect(root.locator(".thread-link")).to_have_text("2 replies")
    expect(a.locator("#thread-title")).to_have_text("Thread · 2 replies")
    expect(amy.message("great, friday it is")).to_have_count(0)

    # Amy closes her panel; Ben's next reply leaves her one unread in the Threads view, until she opens it
    a.click("#thread-close")
    reply_in_panel(ben, "I will tell the others")
    expect(root.locator(".thread-link")).to_have_text("3 replies")
    expect(a.locator("#threads-badge")).to_have_text("1")
    a.click("#open-threads")
    expect(a.locator("#threads-list li .badge")).to_have_text("1")
    a.locator("#threads-list li").get_by_role("button").click()
    expect(a.locator("#thread-list .msg")).to_have_count(3)
    expect(a.locator("#threads-badge")).to_be_hidden()
    web.screenshot(a, "threads")
