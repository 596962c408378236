"""Public groups in the web client, between two people in real Chromium (see tests/test_browser.py for the
set-up): one creates a public group (the badge in the list), the other finds it in "Browse groups", joins it,
and they chat; then the admin makes it private with the panel's switch, and it leaves the directory."""
import pytest
import test_browser as web

pytestmark = pytest.mark.live
# The same fixtures as tests/test_browser.py (module-scoped: this module gets its own browser and server).
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server
screenshot = web.screenshot


@pytest.fixture(scope="module")
def pair(playwright_api, browser, web_server, smtp):
    """Alice and Bob, signed up, confirmed and signed in, each in their own browser context."""
    yield from web.signed_in(playwright_api, browser, web_server, smtp)


def test_find_join_and_chat_in_a_public_group_then_make_it_private(playwright_api, pair):
    expect = playwright_api.expect
    alice, bob = pair
    a, b = alice.page, bob.page

    # Alice creates a public group of her own.
    a.click("#new-group")
    a.fill("#group-form [name=name]", "Book Club")
    a.fill("#group-form [name=description]", "One book a month")
    a.check("#group-form [name=public]")
    a.click("#group-form button[type=submit]")
    expect(a.locator("#conv-title")).to_have_text("Book Club")
    expect(alice.entry("Book Club").locator(".tag")).to_have_text("public")
    expect(bob.entry("Book Club")).to_have_count(0)

    # Bob finds it by a piece of its name, in any case, and joins.
    b.click("#browse-groups")
    dialog = b.locator("#browse-dialog")
    expect(dialog).to_be_visible()
    b.fill("#browse-search", "BOOK c")
    found = dialog.locator("#browse-list li", has_text="Book Club")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("1 member · One book a month")
    expect(dialog.locator("#browse-status")).to_have_text("1 public group matching “BOOK c”")
    b.fill("#browse-search", "no such club")
    expect(dialog.locator("#browse-status")).to_have_text("No public group called “no such club…”")
    b.fill("#browse-search", "club")
    screenshot(b, "browse-groups")
    found.get_by_role("button", name="Join").click()
    expect(dialog).to_be_hidden()
    expect(b.locator("#conv-title")).to_have_text("Book Club")
    expect(b.locator("#conv-status")).to_have_text("2 members")
    expect(bob.entry("Book Club").locator(".tag")).to_have_text("public")
    expect(a.locator("#message-list .system")).to_contain_text([f"{bob.username} joined"])
    expect(a.locator("#conv-status")).to_have_text("2 members · you are the admin")

    # They chat.
    bob.send("Hello, readers")
    expect(alice.message("Hello, readers")).to_be_visible()
    alice.send("Welcome, Bob")
    expect(bob.message("Welcome, Bob")).to_be_visible()

    # In the directory Bob's group now says "Open", with two members.
    b.click("#browse-groups")
    mine = b.locator("#browse-list li", has_text="Book Club")
    expect(mine).to_contain_text("2 members")
    expect(mine.get_by_role("button", name="Open")).to_be_visible()
    b.click("#browse-close")

    # Only the admin sees the switch; turned off, the group is private for everyone at once.
    b.click("#group-info")
    expect(b.locator("#panel-public-switch")).to_be_hidden()
    expect(b.locator("#panel-visibility")).to_have_text("Public group: anyone can find and join it.")
    a.click("#group-info")
    switch = a.locator("#panel-public")
    expect(switch).to_be_checked()
    screenshot(a, "group-public-switch")
    switch.uncheck()
    expect(a.locator("#panel-visibility")).to_have_text("Private group: only its admin adds members.")
    expect(b.locator("#panel-visibility")).to_have_text("Private group: only its admin adds members.")
    expect(bob.entry("Book Club").locator(".tag")).to_have_count(0)
    expect(alice.entry("Book Club").locator(".tag")).to_have_count(0)
    b.click("#browse-groups")
    expect(b.locator("#browse-status")).to_have_text("No public groups yet.")
    b.click("#browse-close")
