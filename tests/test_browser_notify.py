"""Notifications in the web client, in real headless Chromium (see tests/test_browser.py for the set-up; it
fails instead of skipping under REQUIRE_BROWSER=1).

What headless Chromium allows here, and so what is tested:
- the service worker registers from `/sw.js` with the page's scope, under the page's strict CSP;
- a push reaches it and it shows a notification: the push is handed to the service worker through the
  DevTools protocol (`ServiceWorker.deliverPushMessage`), since a real subscription needs the browser's own
  push service (Google's FCM for Chromium), which this machine cannot reach; the server's side of a real push
  (encryption, VAPID, the push service's answers) is tested against a local push service in
  tests/test_notify.py and tests/test_notify_live.py;
- the notification's target: a tab opened at `/?open=personal:<id>` (what a click opens when no tab is open)
  shows that chat. A click on the notification itself cannot be simulated in headless Chromium;
- the "Enable notifications" switch asks for permission and subscribes: headless Chromium refuses every push
  subscription ("Registration failed - permission denied", even with the permission granted), so the switch
  says so and turns itself off again; a real browser subscription is not tested anywhere here;
- the email setting is saved through `PATCH /me/settings`.
"""
import pytest
import requests
import test_browser as web

from conftest import PASSWORD

pytestmark = pytest.mark.live
# The same fixtures as tests/test_browser.py (module-scoped: this module gets its own browser and server).
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server


def tokens(server, person):
    login = requests.post(f"{server.url}/login", json={"login": person.username, "password": PASSWORD}, timeout=10)
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    """Nia and Oto, signed up, confirmed and signed in, each in their own browser context."""
    def allow_notifications(person):
        person.context.grant_permissions(["notifications"], origin=web_server.url)
    yield from web.signed_in(playwright_api, browser, web_server, smtp, names=("nia", "oto"),
                             prepare=allow_notifications)


def test_the_service_worker_registers_and_shows_a_pushed_message(playwright_api, pair, web_server):
    expect = playwright_api.expect
    nia, oto = pair
    page = nia.page
    expect(page.locator("html")).to_have_attribute("data-service-worker", "registered")
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == web_server.url + "/"
    cdp = nia.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):  # the protocol reports the registration shortly after `enable`
        if registrations:
            break
        page.wait_for_timeout(100)
    assert registrations, "the DevTools protocol reported no service worker registration"
    registration_id = registrations[-1]["registrationId"]
    payload = ('{"Type": "message", "ChatId": "c1", "Sender": {"id": "u1", "username": "oto"}, '
               '"Excerpt": "Are you there?"}')
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": web_server.url, "registrationId": registration_id,
                                                  "data": payload})
    shown = page.wait_for_function(
        "navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((list) => list.length ? "
        "list.map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data})) : null)", timeout=10_000)
    assert shown.json_value() == [{"title": "oto", "body": "Are you there?", "tag": "personal:c1",
                                   "data": {"kind": "personal", "id": "c1"}}]


def test_a_notification_link_opens_its_chat(playwright_api, pair, web_server):
    expect = playwright_api.expect
    nia, oto = pair
    sent = requests.post(f"{web_server.url}/chats/personal/{oto_id(web_server, oto)}/messages",
                         json={"Content": "ping from nia"}, headers=tokens(web_server, nia), timeout=10)
    assert sent.status_code == 201
    chat_id = sent.json()["Message"]["ChatId"]
    page = oto.page
    page.goto(f"{web_server.url}/?open=personal:{chat_id}")
    expect(page.locator("#conv-title")).to_have_text(nia.username)
    expect(oto.message("ping from nia")).to_be_visible()
    assert "open=" not in page.url


def oto_id(server, person):
    return requests.get(f"{server.url}/me", headers=tokens(server, person), timeout=10).json()["user"]["id"]


def test_the_switch_and_the_email_setting(playwright_api, pair, web_server):
    expect = playwright_api.expect
    nia, _oto = pair
    page = nia.page
    page.goto(web_server.url + "/")
    expect(page.locator("#conn-dot")).to_have_class("dot online")
    page.click("#open-account")
    box = page.locator("#notifications")
    expect(page.locator("#email-notifications")).to_have_value("all")
    page.select_option("#email-notifications", "mentions")
    expect(box.locator(".form-done")).to_have_text("Email setting saved.")
    settings = requests.get(f"{web_server.url}/me/settings", headers=tokens(web_server, nia), timeout=10).json()
    assert settings == {"EmailNotifications": "mentions"}
    switch = page.locator("#push-switch")
    expect(switch).to_be_enabled()
    switch.check()
    # Headless Chromium refuses push subscriptions: the page says so in words.
    expect(box.locator(".form-error")).to_contain_text("Notifications could not be turned on: ", timeout=30_000)
    expect(switch).not_to_be_checked()
