"""Moderation in the web client, between three people in real Chromium (see tests/test_browser.py for the set-up):
the admin makes Bob a moderator; Bob pins Carol's message and everyone sees it pinned and in the pinned panel;
Alice reports Carol's other message, and Bob deletes it from the reports view; Bob makes an invite link, and Dave
opens it, signs in and is in the (private) group."""
import pytest
import test_browser as web

pytestmark = pytest.mark.live
playwright_api, browser, web_server = web.playwright_api, web.browser, web.web_server
screenshot = web.screenshot


@pytest.fixture(scope="module")
def trio(playwright_api, browser, web_server, smtp):
    yield from web.signed_in(playwright_api, browser, web_server, smtp, names=("alice", "bob", "carol"))


def menu(person, text, button):
    """Open the menu of the message `text` and press `button` in it."""
    message = person.message(text)
    message.click()
    message.get_by_role("button", name=button).click()


def test_moderators_pin_delete_reported_messages_and_invite(playwright_api, browser, web_server, smtp, trio):
    expect = playwright_api.expect
    alice, bob, carol = trio
    a, b, c = alice.page, bob.page, carol.page

    a.click("#new-group")
    a.fill("#group-form [name=name]", "Moderated")
    for person in (bob, carol):
        a.fill("#group-member-search", person.username)
        a.locator("#group-member-results li", has_text=person.username).get_by_role("button", name="Add").click()
    a.click("#group-form button[type=submit]")
    expect(a.locator("#conv-title")).to_have_text("Moderated")

    # Alice makes Bob a moderator: the badge, and the moderation section in Bob's panel.
    a.click("#group-info")
    a.locator("#panel-members li[data-user='bob']").get_by_role("button", name="Make moderator").click()
    expect(a.locator("#panel-members li[data-user='bob'] .role.moderator")).to_have_text("moderator")
    bob.entry("Moderated").click()
    b.click("#group-info")
    expect(b.locator("#panel-moderation")).to_be_visible()
    expect(b.locator("#panel-members li[data-user='carol']").get_by_role("button", name="Remove")).to_be_visible()
    expect(b.locator("#panel-members li[data-user='alice']").get_by_role("button", name="Remove")).to_have_count(0)
    carol.entry("Moderated").click()
    c.click("#group-info")
    expect(c.locator("#panel-moderation")).to_be_hidden()
    c.click("#panel-close")

    # Pin: Bob pins Carol's message; everyone sees the mark, and the pinned panel lists it.
    carol.send("Read the rules first")
    expect(bob.message("Read the rules first")).to_be_visible()
    carol.message("Read the rules first").click()
    expect(carol.message("Read the rules first").get_by_role("button", name="Pin")).to_have_count(0)  # plain member
    menu(bob, "Read the rules first", "Pin")
    for person in (alice, bob, carol):
        expect(person.message("Read the rules first").locator(".pinned-mark")).to_be_visible()
    c.click("#show-pins")
    expect(c.locator("#pins-list li")).to_have_text(["carol Read the rules first"])
    screenshot(c, "pinned-panel")

    # Report → delete: Alice reports Carol's spam; Bob deletes it from his reports view.
    carol.send("Cheap watches here")
    menu(alice, "Cheap watches here", "Report")
    a.select_option("#report-form [name=reason]", "spam")
    a.click("#report-form button[type=submit]")
    expect(a.locator("#notice")).to_contain_text("the moderators will look at it")
    b.click("#reports-refresh")
    report = b.locator("#report-list li.report-item")
    expect(report).to_contain_text("Cheap watches here")
    expect(report).to_contain_text("1 report: spam ×1")
    expect(report).not_to_contain_text("alice")  # nobody is told who reported
    screenshot(b, "reports-view")
    report.get_by_role("button", name="Delete message").click()
    expect(b.locator("#report-list")).to_contain_text("No open reports.")
    expect(a.locator("#message-list .msg.deleted .deleted-by")).to_have_text("deleted by bob")
    expect(carol.message("Cheap watches here")).to_have_count(0)

    # Slow mode, set by Bob: Carol's second message waits (she is told), then goes out; the admin is exempt.
    b.select_option("#slow-mode", "10")
    expect(c.locator("#conv-status")).to_be_visible()
    expect(a.locator("#slow-mode")).to_have_value("10")  # group-updated reached the admin's open panel
    carol.send("first in slow mode")
    expect(alice.message("first in slow mode")).to_be_visible()
    carol.send("second in slow mode")
    expect(c.locator("#notice")).to_contain_text("Slow mode: one message every 10 s")
    expect(carol.message("second in slow mode").locator(".tick.sending")).to_be_visible()
    alice.send("the admin is exempt")
    alice.send("still exempt")
    expect(carol.message("still exempt")).to_be_visible()
    expect(alice.message("second in slow mode")).to_be_visible(timeout=20_000)
    b.select_option("#slow-mode", "0")

    # Invite: Bob makes a link; Dave opens it, signs in, and is in the private group.
    b.click("#invite-new")
    link = b.locator("#invite-list .invite-url")
    expect(link).to_have_count(1)
    url = link.input_value()
    assert url.startswith(web_server.url + "/?invite=")
    dave = web.Person(browser, web_server, web.confirmed_user(web_server, smtp, "dave"))
    try:
        d = dave.page
        d.goto(url)
        d.fill("#login-form [name=login]", "dave")
        d.fill("#login-form [name=password]", web.PASSWORD)
        d.click("#login-form button[type=submit]")
        expect(d.locator("#conv-title")).to_have_text("Moderated")
        expect(d.locator("#notice")).to_contain_text("You joined “Moderated”.")
        expect(a.locator("#message-list .system")).to_contain_text(["dave joined"])
        dave.send("Hello from the link")
        expect(alice.message("Hello from the link")).to_be_visible()
        assert not dave.errors, dave.errors
    finally:
        dave.context.close()
