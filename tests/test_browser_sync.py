"""The web client catches up by Rev (SPEC v3 `sync-chat`), in real Chromium (see tests/test_browser.py): Amy's
page goes offline for the chat (tests/test_browser_reconnect.py's SocketSwitch), Ben edits one message, deletes
another, reacts to a third and writes a new one; when Amy's socket comes back she sees all four without a reload.
Before `sync-chat`, her catch-up fetched only the messages `After` her newest one: the edit, the deletion and the
reaction stayed unseen until a reload.
"""
import pytest
import requests
import test_browser as web
from test_browser_reconnect import SLOW, SocketSwitch, login

pytestmark = pytest.mark.live
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    expect = playwright_api.expect

    def prepare(person):
        person.switch = SocketSwitch(person.page)

    for amy, ben in web.signed_in(playwright_api, browser, web_server, smtp, names=("amy", "ben"),
                                  prepare=prepare):
        amy.start_chat(expect, ben, "hello ben")
        yield amy, ben


def test_edits_deletions_and_reactions_made_while_away_show_after_the_reconnect(playwright_api, pair, web_server):
    expect = playwright_api.expect
    amy, ben = pair
    a = amy.page
    for text in ("to be edited", "to be deleted", "to be liked"):
        ben.send(text)
        expect(amy.message(text)).to_be_visible()
    headers, _ = login(web_server, ben.username)
    amy_id = next(e["Partner"]["id"] for e in requests.get(
        f"{web_server.url}/chats", headers=headers, timeout=10).json()["entries"] if e.get("Partner"))
    page = requests.get(f"{web_server.url}/chats/personal/{amy_id}/messages", headers=headers, timeout=10).json()
    ids = {m["Content"]: m["MessageId"] for m in page["Messages"]}

    amy.switch.cut()
    expect(a.locator("#conn-dot")).not_to_have_class("dot online")
    assert requests.patch(f"{web_server.url}/messages/{ids['to be edited']}", json={"Content": "edited while away"},
                          headers=headers, timeout=10).status_code == 200
    assert requests.delete(f"{web_server.url}/messages/{ids['to be deleted']}", headers=headers,
                           timeout=10).status_code == 200
    assert requests.put(f"{web_server.url}/messages/{ids['to be liked']}/reactions/🎉", headers=headers,
                        timeout=10).status_code == 200
    assert requests.post(f"{web_server.url}/chats/personal/{amy_id}/messages", json={"Content": "new while away"},
                         headers=headers, timeout=10).status_code == 201
    expect(amy.message("to be edited")).to_be_visible()  # nothing reached her yet
    amy.switch.mend()

    expect(amy.message("edited while away")).to_be_visible(timeout=SLOW)
    expect(amy.message("new while away")).to_be_visible()
    expect(amy.message("to be edited")).to_have_count(0)
    expect(a.locator(f'#message-list .msg[data-id="{ids["to be deleted"]}"]')).to_have_class("msg deleted")
    expect(amy.message("to be liked").locator(".reaction")).to_have_text("🎉 1")
