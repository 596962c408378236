"""The web client on a phone, in real Chromium (see tests/test_browser.py for the set-up): at 390×844 with a
touch screen one pane shows at a time (the chat list, then the chat with a back button, and the phone's
back), a message's menu opens with a tap, touch targets are 44 px, focus goes to the chat list after
sign-in, each message is one Tab stop, and the app can be installed (its manifest and icons are served)."""
import json

import pytest
import test_browser as web

pytestmark = pytest.mark.live
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server
screenshot = web.screenshot
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "en-GB", "timezone_id": "UTC"}


def on_phone(browser, person):
    """Put `person` in a phone-sized touch browser context instead of the desktop one."""
    person.context.close()
    person.context = browser.new_context(**PHONE)
    person.context.set_default_timeout(10_000)
    person.page = person.context.new_page()
    person.page.on("pageerror", lambda error: person.errors.append(str(error)))


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    """Ann on a phone, Ben on a desktop browser: signed up, confirmed and signed in."""
    yield from web.signed_in(playwright_api, browser, web_server, smtp, names=("ann", "ben"),
                             prepare=lambda person: on_phone(browser, person) if person.username == "ann" else None)


def box(locator):
    return locator.bounding_box()


def overlaps(a, b):
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] \
        and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_one_pane_at_a_time_with_a_tap_menu_and_back(playwright_api, pair):
    expect = playwright_api.expect
    ann, ben = pair
    a = ann.page
    # Signed in: the chat list fills the screen, the conversation pane is out of the way, focus is in the list.
    expect(a.locator(".sidebar")).to_be_visible()
    assert box(a.locator(".sidebar"))["width"] == 390
    expect(a.locator("#conversation")).to_be_hidden()
    assert a.evaluate("Boolean(document.activeElement.closest('#chat-list li'))")
    header = [box(button) for button in a.locator(".me-bar button").all()]
    assert all(b["height"] >= 44 for b in header)
    assert not any(overlaps(x, y) for i, x in enumerate(header) for y in header[i + 1:])

    ben.start_chat(expect, ann, "Hi Ann, on your phone?")  # Ann opens it by tapping her list entry
    expect(a.locator(".sidebar")).to_be_hidden()
    expect(a.locator("#conv-back")).to_be_visible()
    expect(a.locator("#conv-title")).to_have_text(ben.username)
    assert box(a.locator("#composer-input"))["width"] > 250
    assert box(a.locator("#conv-back"))["width"] >= 44 and box(a.locator("#conv-back"))["height"] >= 44
    expect(a.locator("#message-list li.day")).to_have_text(["Today"])

    # No hover on a phone: a tap on the message opens its menu; its buttons are big enough for a finger.
    message = ann.message("Hi Ann, on your phone?")
    reply = message.get_by_role("button", name="Reply", exact=True)
    expect(reply).to_be_hidden()
    message.locator(".text").tap()
    expect(reply).to_be_visible()
    assert box(reply)["height"] >= 44 and box(reply)["width"] >= 44
    screenshot(a, "phone-chat")
    reply.tap()
    expect(a.locator("#replying")).to_contain_text("Replying to ben")
    a.fill("#composer-input", "Yes, it fits!")
    a.locator("#send").tap()
    expect(ben.message("Yes, it fits!").locator(".quote")).to_contain_text("Hi Ann, on your phone?")
    a.locator("#conv-title").tap()  # a tap elsewhere closes the menu
    expect(reply).to_be_hidden()

    # Back (the button, then the phone's own back): the list again, focus on the chat that was open.
    a.locator("#conv-back").tap()
    expect(a.locator(".sidebar")).to_be_visible()
    expect(a.locator("#conversation")).to_be_hidden()
    assert a.evaluate("document.activeElement.dataset.key || ''").startswith("personal:")
    screenshot(a, "phone-list")
    ann.entry(ben.username).tap()
    expect(a.locator("#conv-back")).to_be_visible()
    a.go_back()
    expect(a.locator(".sidebar")).to_be_visible()
    expect(a.locator("#conversation")).to_be_hidden()


def test_a_thread_on_a_phone_fills_the_screen_and_closes_back_to_the_chat(playwright_api, pair):
    """The thread panel (test_browser_threads.py on a desktop) on a phone: opened from a message's tap menu, it
    covers the whole screen, its close button is a 44 px target, a reply sent from it reaches the other side,
    and closing it shows the chat again."""
    expect = playwright_api.expect
    ann, ben = pair
    a = ann.page
    if ben.entry(ann.username).count():  # the chat of the first test (this one also runs alone)
        ben.entry(ann.username).click()
        ben.send("a thread from a phone?")
        if a.locator(".sidebar").is_visible():
            ann.entry(ben.username).tap()
    else:
        ben.start_chat(expect, ann, "a thread from a phone?")  # Ann opens it from her list
    message = ann.message("a thread from a phone?")
    expect(message).to_be_visible()
    message.locator(".text").tap()
    in_thread = message.get_by_role("button", name="Reply in thread")
    expect(in_thread).to_be_visible()
    assert box(in_thread)["height"] >= 44
    in_thread.tap()
    panel = a.locator("#thread-panel")
    expect(panel).to_be_visible()
    assert box(panel)["x"] == 0 and box(panel)["width"] == 390
    close = a.locator("#thread-close")
    assert box(close)["width"] >= 44 and box(close)["height"] >= 44, box(close)
    a.fill("#thread-input", "yes, one pane at a time")
    a.locator("#thread-composer button[type=submit]").tap()
    expect(a.locator("#thread-list .msg .text")).to_have_text(["yes, one pane at a time"])
    expect(ben.message("a thread from a phone?").locator(".thread-link")).to_have_text("1 reply")
    screenshot(a, "phone-thread")
    close.tap()
    expect(panel).to_be_hidden()
    expect(a.locator("#conversation")).to_be_visible()
    expect(message.locator(".thread-link")).to_have_text("1 reply")


def test_pins_on_a_phone_from_the_tap_menu_to_the_pinned_panel(playwright_api, pair):
    """Pins (test_browser_moderation.py on a desktop) on a phone: Ann pins Ben's message from its tap menu; the
    pinned panel fits the screen, lists it, and closes with a 44 px target."""
    expect = playwright_api.expect
    ann, ben = pair
    a = ann.page
    if not ben.entry(ann.username).count():
        ben.start_chat(expect, ann, "hello from ben")
    ben.entry(ann.username).click()
    ben.send("pin this on your phone")
    if a.locator(".sidebar").is_visible():
        ann.entry(ben.username).tap()
    message = ann.message("pin this on your phone")
    expect(message).to_be_visible()
    message.locator(".text").tap()
    pin = message.get_by_role("button", name="Pin", exact=True)
    expect(pin).to_be_visible()
    assert box(pin)["height"] >= 44 and box(pin)["width"] >= 44
    pin.tap()
    expect(message.locator(".pinned-mark")).to_be_visible()
    expect(ben.message("pin this on your phone").locator(".pinned-mark")).to_be_visible()
    show = a.locator("#show-pins")
    assert box(show)["height"] >= 44
    show.tap()
    panel = a.locator("#pins-panel")
    expect(panel.locator("#pins-list li")).to_contain_text(["pin this on your phone"])
    place = box(panel)
    assert place["x"] >= 0 and place["x"] + place["width"] <= 390 and place["width"] >= 300, place
    close = a.locator("#pins-close")
    assert box(close)["width"] >= 44 and box(close)["height"] >= 44, box(close)
    screenshot(a, "phone-pins")
    close.tap()
    expect(panel).to_be_hidden()


def test_each_message_is_one_tab_stop_and_enter_opens_its_menu(playwright_api, pair):
    expect = playwright_api.expect
    ann, ben = pair
    b = ben.page
    ben.entry("Notes to self").click()
    expect(b.locator("#conv-title")).to_have_text("Notes to self")
    for text in ("first of three", "second of three"):
        ben.send(text)
        expect(ben.message(text)).not_to_have_attribute("data-seq", "")  # stored
    first, second = ben.message("first of three"), ben.message("second of three")
    first.focus()
    b.keyboard.press("Tab")  # past the first message's buttons, straight to the next message
    expect(second).to_be_focused()
    b.keyboard.press("ArrowUp")
    expect(first).to_be_focused()
    b.keyboard.press("Enter")  # its menu: focus on its first button, and Tab walks its buttons
    expect(first.get_by_role("button", name="Reply", exact=True)).to_be_focused()
    b.keyboard.press("Tab")
    expect(first.get_by_role("button", name="React", exact=True)).to_be_focused()
    b.keyboard.press("Escape")
    expect(first).to_be_focused()
    b.keyboard.press("Tab")
    expect(second).to_be_focused()


def test_the_app_can_be_installed(make_app, tmp_path):
    client = make_app(WEB_CLIENT_DIR=str(web.web_copy(tmp_path, built=True))).test_client()
    page = web.get(client, "/")
    assert b'<link rel="manifest" href="static/manifest.webmanifest">' in page.data
    answer = web.get(client, "/static/manifest.webmanifest")
    assert answer.status_code == 200 and answer.mimetype == "application/manifest+json"
    manifest = json.loads(answer.data)
    assert manifest["display"] == "standalone" and manifest["name"] and manifest["theme_color"]
    sizes = set()
    for icon in manifest["icons"]:
        image = web.get(client, "/static/" + icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png", icon
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
