"""Formatting, dates, dark mode and the alerts of the web client, in real Chromium (see tests/test_browser.py
for the set-up): links (http, https and mailto only, opened safely), *bold*, _italic_, `code` and code blocks
built as DOM nodes (HTML in a message stays text and runs nothing), day separators and full dates, the
dark theme from the system or the toggle (remembered), the screen-reader announcement and the optional
sound of an incoming message."""
import pytest
import test_browser as web

pytestmark = pytest.mark.live
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server
screenshot = web.screenshot
DARK_BACKGROUND = "rgb(13, 17, 23)"
LIGHT_BACKGROUND = "rgb(244, 245, 247)"
BOMB = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    """Alice and Bob, signed up, confirmed and signed in, each in their own browser context."""
    yield from web.signed_in(playwright_api, browser, web_server, smtp)


def background(page):
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_links_and_formatting_are_built_safely(playwright_api, pair):
    expect = playwright_api.expect
    alice, bob = pair
    b = bob.page
    text = ("Read https://example.com/a_b_c?x=1&y=2. or mailto:team@example.test, *really* _soon_ `a<b>` "
            "but not javascript:alert(1) nor *half")
    alice.start_chat(expect, bob, "Some formatting for you")
    alice.send(text)
    message = bob.message("Read ")
    links = message.locator(".text a")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_text("https://example.com/a_b_c?x=1&y=2")
    expect(links.nth(0)).to_have_attribute("href", "https://example.com/a_b_c?x=1&y=2")
    expect(links.nth(1)).to_have_attribute("href", "mailto:team@example.test")
    for link in (links.nth(0), links.nth(1)):
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(link).to_have_attribute("target", "_blank")
    expect(message.locator(".text strong")).to_have_text("really")
    expect(message.locator(".text em")).to_have_text("soon")
    expect(message.locator(".text code")).to_have_text("a<b>")
    expect(message.locator(".text")).to_have_text(text.replace("*really*", "really").replace("_soon_", "soon")
                                                  .replace("`a<b>`", "a<b>"))

    alice.send("Try this:\n```\nif a < b:\n    print('<b>hi</b>')\n```")
    expect(bob.message("Try this").locator("pre.code")).to_have_text("if a < b:\n    print('<b>hi</b>')\n")

    alice.send(BOMB)
    bomb = bob.message("<img src=x")
    expect(bomb.locator(".text")).to_have_text(BOMB)
    expect(bomb.locator("img, script")).to_have_count(0)
    assert b.evaluate("window.pwned") is None and alice.page.evaluate("window.pwned") is None

    # Your own mention ("mention me") stays inline: no clash with the sidebar header's class.
    display = b.evaluate("""() => { const span = document.createElement('span'); span.className = 'mention me';
      document.querySelector('#message-list .msg .text').append(span);
      const value = getComputedStyle(span).display; span.remove(); return value; }""")
    assert display == "inline"


def test_day_separators_and_full_dates(playwright_api, pair):
    expect = playwright_api.expect
    alice, bob = pair
    a = alice.page
    alice.entry(bob.username).click()
    alice.send("what day is it?")
    expect(a.locator("#message-list li.day")).to_have_text(["Today"])
    created = alice.message("what day is it?").locator("time")
    title = created.get_attribute("title")
    iso = created.get_attribute("datetime")
    assert iso[:4] in title and a.evaluate(
        "iso => new Date(iso).toLocaleDateString([], {month: 'long'})", iso) in title
    labels = a.evaluate("""async () => {
      const { dayLabel } = await import('./static/js/dates.js');
      const now = new Date(2025, 2, 12, 9, 30);  // Wednesday 12 March 2025, local time
      return [new Date(2025, 2, 12, 0, 5), new Date(2025, 2, 11, 23, 55), new Date(2025, 2, 3, 12),
              new Date(2024, 11, 31, 12)].map((d) => dayLabel(d.toISOString(), now)); }""")
    assert labels == ["Today", "Yesterday", "Monday 3 March", "Tuesday, 31 December 2024"]


def test_the_attach_button_is_an_icon_that_needs_no_emoji_font(playwright_api, pair):
    """It was a 📎 character: a blank box where no emoji font is installed (headless Chromium, many Linux
    desktops). Now an inline SVG drawn in the button's own colour, named by its aria-label."""
    expect = playwright_api.expect
    alice, bob = pair
    a = alice.page
    alice.entry(bob.username).click()
    button = a.get_by_role("button", name="Attach files")
    expect(button).to_be_visible()
    assert button.evaluate("b => b.textContent.trim()") == ""  # no character that a font has to draw
    icon = button.locator("svg")
    expect(icon).to_have_attribute("aria-hidden", "true")
    box = icon.bounding_box()
    assert box["width"] >= 16 and box["height"] >= 16, box
    drawn = icon.locator("path").evaluate("""p => { const box = p.getBBox();
      return { width: box.width, height: box.height, stroke: getComputedStyle(p).stroke,
               colour: getComputedStyle(p.closest('button')).color }; }""")
    assert drawn["width"] > 5 and drawn["height"] > 5 and drawn["stroke"] == drawn["colour"], drawn


def test_dark_mode_follows_the_system_and_the_toggle(playwright_api, pair, browser, web_server):
    expect = playwright_api.expect
    alice, bob = pair
    a = alice.page
    assert background(a) == LIGHT_BACKGROUND
    a.click("#theme-toggle")
    expect(a.locator("#theme-toggle")).to_have_attribute("aria-pressed", "true")
    assert background(a) == DARK_BACKGROUND
    assert a.evaluate("localStorage.getItem('chat.theme')") == "dark"
    alice.entry(bob.username).click()
    expect(a.locator("#message-list .msg").first).to_be_visible()
    a.mouse.move(900, 10)
    screenshot(a, "dark-mode")
    a.reload()  # remembered by this browser
    expect(a.locator("#conn-dot")).to_have_class("dot online")
    assert background(a) == DARK_BACKGROUND
    a.click("#theme-toggle")  # back to the system's (light) theme: the choice is forgotten
    assert background(a) == LIGHT_BACKGROUND
    assert a.evaluate("localStorage.getItem('chat.theme')") is None

    context = browser.new_context(color_scheme="dark", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(web_server.url + "/")
        expect(page.locator("#login-form")).to_be_visible()
        assert background(page) == DARK_BACKGROUND
        expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("document.querySelector('meta[name=theme-color]').content") == "#161b22"
    finally:
        context.close()


def test_incoming_messages_are_announced_and_the_sound_is_optional(playwright_api, pair):
    expect = playwright_api.expect
    alice, bob = pair
    a, b = alice.page, bob.page
    b.click("#open-account")
    switch = b.locator("#sound-switch")
    expect(switch).not_to_be_checked()  # off by default
    switch.check()
    assert b.evaluate("localStorage.getItem('chat.sound')") == "on"
    b.click("#account-back")
    chimes = int(b.locator("#announcer").get_attribute("data-chimes") or 0)
    alice.entry(bob.username).click()
    alice.send("ding?")
    expect(b.locator("#announcer")).to_have_text(f"{alice.username}: ding?")
    expect(b.locator("#announcer")).to_have_attribute("data-chimes", str(chimes + 1))
    expect(b.locator("#announcer")).to_have_attribute("aria-live", "polite")
    assert a.locator("#announcer").text_content() == ""  # your own messages are not announced to you
