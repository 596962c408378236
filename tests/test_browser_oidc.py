"""Single sign-on in a real browser: "Sign in with Test provider" on the sign-in screen, the certified Node
`oidc-provider`'s own pages (tests/oidc/), and back to the chat, signed in.

Same set-up as tests/test_browser.py (headless Debian Chromium driven by Playwright against the real server
process). Skips without Chromium (unless REQUIRE_BROWSER=1) or without node and npm (unless REQUIRE_OIDC=1).
"""
import pytest
import test_browser as web
from oidc_support import NodeProvider, providers_setting

from conftest import free_port, start_live_server, stop_live_server, unique

playwright_api = web.playwright_api  # the same fixtures as test_browser.py (one browser for this module)
browser = web.browser
ACCOUNTS = {"una": {"email": "una@example.test", "email_verified": False},
            "dupe": {"email": "dupe@elsewhere.test", "preferred_username": "taken_name"}}


@pytest.fixture(scope="module")
def sso_server(smtp, tmp_path_factory, browser):
    """The real server process, with the Node provider as `test`."""
    folder = tmp_path_factory.mktemp("browser-oidc")
    port = free_port()
    server = start_live_server(smtp, folder, OIDC_PROVIDERS=providers_setting(
        ("test", f"http://127.0.0.1:{port}", "Test provider")))
    node = None
    try:
        node = NodeProvider(port, [f"{server.url}/auth/oidc/test/callback"], accounts=ACCOUNTS,
                            log_path=folder / "node.log")
        yield server
    finally:
        if node:
            node.stop()
        stop_live_server(server)


@pytest.fixture
def person(browser, sso_server):
    made = web.Person(browser, sso_server, unique("sso"))
    yield made
    made.context.close()
    assert not made.errors, f"JavaScript errors in the page: {made.errors}"


def through_the_provider(expect, page, login):
    """Click "Sign in with Test provider", then sign in and consent on the provider's pages."""
    page.get_by_role("link", name="Sign in with Test provider").click()
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


@pytest.mark.live
def test_sign_in_with_the_provider_opens_the_chat(playwright_api, sso_server, person):
    expect, page = playwright_api.expect, person.page
    page.goto(sso_server.url + "/")
    through_the_provider(expect, page, person.username)
    expect(page.locator("#me-name")).to_have_text(person.username)
    expect(page.locator("#conn-dot")).to_have_class("dot online")
    assert "oidc" not in page.url  # the one-time code left the address bar (and never reached a server's log)
    web.screenshot(page, "sso")


@pytest.mark.live
def test_a_taken_username_is_chosen_on_the_way_in(playwright_api, sso_server, person):
    expect, page = playwright_api.expect, person.page
    sso_server.accounts().verified_user("taken_name")
    page.goto(sso_server.url + "/")
    through_the_provider(expect, page, "dupe")
    expect(page.locator("#sso-name-form .form-error")).to_contain_text("taken")
    page.fill("#sso-name-form [name=username]", person.username)
    page.click("#sso-name-form button[type=submit]")
    expect(page.locator("#me-name")).to_have_text(person.username)


@pytest.mark.live
def test_an_unverified_address_is_refused_in_words(playwright_api, sso_server, person):
    expect, page = playwright_api.expect, person.page
    page.goto(sso_server.url + "/")
    through_the_provider(expect, page, "una")
    expect(page.locator("#auth-info")).to_contain_text("has not verified your email address")
    expect(page.locator("#login-form")).to_be_visible()
