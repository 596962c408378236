"""The web client across reconnects, reloads and tabs, in real Chromium (see tests/test_browser.py for the set-up;
it fails instead of skipping under REQUIRE_BROWSER=1): a server restart keeps the open chat on screen and catches
up with what the partner wrote meanwhile; a message written offline shows as "sending…" and is delivered exactly
once when the connection returns, also across a reload; read ticks, the open chat and the drafts survive a reload;
a second tab is signed in without a new login, and only one tab refreshes the shared session; a chat with a
deleted account is read-only.

Alice's page goes offline through a Playwright WebSocket route that closes her socket (and refuses it again
until mended), so her page keeps working over HTTP while the partner's does not wait for her.
"""
import re
import subprocess
import sys
import time

import pytest
import requests
import test_browser as web

from conftest import PASSWORD, ROOT, stop_live_server

pytestmark = pytest.mark.live
# The same fixtures as tests/test_browser.py (module-scoped: this module gets its own browser and server).
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server
SLOW = 30_000  # ms: a reconnect waits up to Socket.IO's 5 s back-off, after a server start of a few seconds


class SocketSwitch:
    """Routes a page's Socket.IO WebSockets through Playwright: `cut()` closes them and refuses new ones (the
    page is offline for the chat, not for HTTP), `mend()` lets them through again."""

    def __init__(self, page):
        self.open, self.live = True, []
        page.route_web_socket(re.compile(r".*/socket\.io/.*"), self.route)

    def route(self, ws):
        if not self.open:
            ws.close()
            return
        self.live.append((ws, ws.connect_to_server()))

    def cut(self):
        self.open = False
        for page_side, server_side in self.live:
            page_side.close()
            server_side.close()
        self.live.clear()

    def mend(self):
        self.open = True


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    """Amy and Ben, signed in each in their own browser context (Amy's sockets behind a switch), with a chat
    that both have open."""
    expect = playwright_api.expect

    def prepare(person):
        person.switch = SocketSwitch(person.page)

    for amy, ben in web.signed_in(playwright_api, browser, web_server, smtp, names=("amy", "ben"),
                                  prepare=prepare):
        amy.start_chat(expect, ben, "hello ben")
        ben.send("hello amy")
        expect(amy.message("hello amy")).to_be_visible()
        yield amy, ben


def restart(server):
    """Stop the server process and start it again on the same port and database."""
    stop_live_server(server)
    with open(server.log_path, "ab") as log:
        server.process = subprocess.Popen([sys.executable, "wsgi.py"], cwd=ROOT, env=server.env, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{server.url}/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server did not come back:\n{server.log()}")


def login(server, name):
    body = requests.post(f"{server.url}/login", json={"login": name, "password": PASSWORD}, timeout=10).json()
    return {"Authorization": f"Bearer {body['access_token']}"}, body


def stored(server, reader, partner, text):
    """How many messages with `text` the database holds in reader's chat with partner (their history)."""
    headers, _ = login(server, reader)
    entries = requests.get(f"{server.url}/chats?per_page=100", headers=headers, timeout=10).json()["entries"]
    partner_id = next(e["Partner"]["id"] for e in entries if e.get("Partner", {}).get("username") == partner)
    page = requests.get(f"{server.url}/chats/personal/{partner_id}/messages?limit=100", headers=headers,
                        timeout=10).json()
    return sum(1 for m in page["Messages"] if m["Content"] == text)


def watch_for_empty_chat(page):
    """Record in the page whether its message list ever shows the empty chat's line."""
    page.evaluate("""() => {
      window.chatEmptied = false;
      const list = document.querySelector('#message-list');
      new MutationObserver(() => {
        if (list.textContent.includes('No messages yet')) window.chatEmptied = true;
      }).observe(list, {childList: true, subtree: true, characterData: true});
    }""")


def test_a_server_restart_keeps_the_chat_and_catches_up_and_the_offline_message_goes_once(
        playwright_api, pair, web_server):
    expect = playwright_api.expect
    amy, ben = pair
    a, b = amy.page, ben.page
    watch_for_empty_chat(a)
    amy.switch.cut()  # Amy stays away while the server restarts and Ben writes
    expect(a.locator("#conn-dot")).not_to_have_class("dot online")
    restart(web_server)
    expect(b.locator("#conn-dot")).to_have_class("dot online", timeout=SLOW)
    ben.send("while you were away")
    expect(ben.message("while you were away").locator(".tick")).to_have_attribute("title", "Sent")

    amy.send("written offline")
    expect(amy.message("written offline").locator(".tick")).to_have_text("sending…")
    expect(amy.message("hello amy")).to_be_visible()  # the chat stays as it was
    assert a.evaluate("localStorage.length") >= 1  # the outbox holds it
    amy.switch.mend()

    expect(amy.message("while you were away")).to_be_visible(timeout=SLOW)  # caught up
    expect(a.locator("#conn-dot")).to_have_class("dot online")
    expect(amy.message("written offline").locator(".tick")).to_have_attribute("title", re.compile("Sent|Read"))
    expect(amy.message("hello ben")).to_be_visible()
    expect(ben.message("written offline")).to_have_count(1)
    expect(a.locator("#notice")).to_be_hidden()
    assert a.evaluate("window.chatEmptied") is False
    assert stored(web_server, "ben", "amy", "written offline") == 1
    amy.send("after the restart")  # and the chat goes on both ways
    expect(ben.message("after the restart")).to_be_visible()


def test_a_message_written_offline_survives_a_reload_with_the_open_chat_and_the_draft(
        playwright_api, pair, web_server):
    expect = playwright_api.expect
    amy, ben = pair
    a = amy.page
    amy.switch.cut()
    expect(a.locator("#conn-dot")).not_to_have_class("dot online")
    amy.send("kept across a reload")
    expect(amy.message("kept across a reload").locator(".tick")).to_have_text("sending…")
    a.fill("#composer-input", "half a thought")
    a.reload()  # still offline for the chat: signed in again over HTTP, nothing sent yet
    expect(a.locator("#chat-view")).to_be_visible()
    expect(a.locator("#login-form")).to_be_hidden()
    expect(a.locator("#conn-dot")).not_to_have_class("dot online")
    assert stored(web_server, "ben", "amy", "kept across a reload") == 0
    amy.switch.mend()

    expect(a.locator("#conv-title")).to_have_text(ben.username, timeout=SLOW)  # the chat open before the reload
    expect(a.locator("#composer-input")).to_have_value("half a thought")  # and its draft
    expect(amy.message("kept across a reload").locator(".tick")).to_have_attribute("title", re.compile("Sent|Read"))
    expect(ben.message("kept across a reload")).to_have_count(1)
    assert stored(web_server, "ben", "amy", "kept across a reload") == 1

    # Drafts are kept per chat: the notes to self have none, and Ben's chat keeps its own.
    a.locator("#chat-list li", has_text="Notes to self").click()
    expect(a.locator("#composer-input")).to_have_value("")
    amy.entry(ben.username).click()
    expect(a.locator("#composer-input")).to_have_value("half a thought")
    a.fill("#composer-input", "")


def test_read_ticks_survive_a_reload(playwright_api, pair):
    expect = playwright_api.expect
    amy, ben = pair
    a = amy.page
    expect(ben.page.locator("#conv-title")).to_have_text(amy.username)  # Ben has the chat open: he reads it
    amy.send("read me")
    expect(ben.message("read me")).to_be_visible()
    expect(amy.message("read me").locator(".tick")).to_have_attribute("title", "Read")
    a.reload()
    expect(a.locator("#conv-title")).to_have_text(ben.username)
    expect(amy.message("read me").locator(".tick")).to_have_attribute("title", "Read")
    expect(amy.message("read me").locator(".tick")).to_have_text("✓✓")


def test_a_chat_with_a_deleted_account_is_read_only(playwright_api, pair, web_server, smtp):
    expect = playwright_api.expect
    amy, _ben = pair
    a = amy.page
    accounts = web_server.accounts(smtp)
    cleo = accounts.user("cleo")
    headers = {"Authorization": f"Bearer {cleo['access']}"}
    found = requests.get(f"{web_server.url}/users/search?q={amy.username}", headers=headers, timeout=10).json()
    amy_id = next(u["id"] for u in found["users"] if u["username"] == amy.username)
    sent = requests.post(f"{web_server.url}/chats/personal/{amy_id}/messages", headers=headers, timeout=10,
                         json={"Content": "bye amy"})
    assert sent.status_code in (200, 201), sent.text
    expect(amy.entry("cleo")).to_be_visible()
    gone = requests.delete(f"{web_server.url}/me", headers=headers, json={"password": PASSWORD}, timeout=30)
    assert gone.status_code == 200, gone.text

    a.reload()
    amy.entry("deleted user").click()
    expect(a.locator("#conv-title")).to_have_text("deleted user")
    expect(a.locator("#conv-closed")).to_contain_text("This account was deleted")
    expect(a.locator("#composer")).to_be_hidden()
    expect(a.locator("#block-holder button")).to_have_count(0)
    expect(a.locator("#mute-holder")).to_be_hidden()
    expect(a.locator("#message-list .msg")).to_have_count(1)  # its history stays (the text is gone)
    expect(a.locator("#notice")).to_be_hidden()
    amy.entry(_ben.username).click()  # the other chats are as they were
    expect(a.locator("#composer")).to_be_visible()


def test_a_second_tab_is_signed_in_and_one_tab_refreshes_the_session(playwright_api, pair, web_server):
    expect = playwright_api.expect
    amy, ben = pair
    first = amy.page
    tab = amy.context.new_page()
    calls = []
    tab.on("requestfinished", lambda request: calls.append(request.url))
    tab.on("pageerror", lambda error: amy.errors.append(str(error)))
    tab.goto(web_server.url + "/")
    expect(tab.locator("#me-name")).to_have_text(amy.username)  # no sign-in form
    expect(tab.locator("#conn-dot")).to_have_class("dot online")
    assert not [url for url in calls if url.endswith(("/login", "/refresh"))]

    # The first tab refreshes the shared session (twice) and hands each pair over; the second never does.
    for _ in range(2):
        first.wait_for_event("requestfinished", lambda request: request.url.endswith("/refresh"),
                             timeout=(web.ACCESS_TTL + 5) * 1000)
    assert not [url for url in calls if url.endswith(("/login", "/refresh"))]
    tab.fill("#user-search", ben.username)  # a REST call with the access token handed over
    expect(tab.locator("#search-results li", has_text=ben.username)).to_be_visible()
    tab.press("#user-search", "Escape")

    # The first tab closes: the second takes over the refreshing, and the session lives on.
    first.close()
    tab.wait_for_event("requestfinished", lambda request: request.url.endswith("/refresh"),
                       timeout=(web.ACCESS_TTL + 5) * 1000)
    expect(tab.locator("#conn-dot")).to_have_class("dot online")
    amy.page = tab
    amy.entry(ben.username).click()
    amy.send("from the second tab")
    expect(ben.message("from the second tab")).to_be_visible()
    expect(tab.locator("#login-form")).to_be_hidden()
