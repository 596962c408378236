"""Link previews and webhooks in the web client, in real Chromium against a real server (see tests/test_browser.py
for the set-up) with WEBHOOK_ALLOW_INSECURE_LOCAL on, so that the server may fetch a local test page
(tests/page_server.py): a message with a link gets the page's preview card (its image through the server's
proxy); the group admin creates an incoming webhook in the panel, sees its URL, and a post to it appears live."""
import re

import pytest
import requests
import test_browser as web
from page_server import PNG

from conftest import start_live_server, stop_live_server

pytestmark = pytest.mark.live
playwright_api, browser = web.playwright_api, web.browser
screenshot = web.screenshot

PAGE = """<html><head><title>ignored</title><meta property="og:title" content="Release notes 4.2">
<meta property="og:description" content="Faster sync and link previews.">
<meta property="og:site_name" content="Example Blog"><meta property="og:image" content="/cover.png">
</head><body></body></html>"""


@pytest.fixture(scope="module")
def web_server(smtp, tmp_path_factory, browser):
    server = start_live_server(smtp, tmp_path_factory.mktemp("browser-integrations"), ACCESS_TOKEN_TTL=web.ACCESS_TTL,
                               WEBHOOK_ALLOW_INSECURE_LOCAL=1)
    yield server
    stop_live_server(server)


@pytest.fixture(scope="module")
def people(playwright_api, browser, web_server, smtp):
    yield from web.signed_in(playwright_api, browser, web_server, smtp)


def test_a_link_gets_a_preview_card_and_an_incoming_webhook_shows_its_url(playwright_api, people, page_server):
    expect = playwright_api.expect
    alice, bob = people
    a = alice.page
    article = page_server.page("/notes", PAGE)
    page_server.page("/cover.png", PNG, "image/png")

    a.click("#new-group")
    a.fill("#group-form [name=name]", "Releases")
    a.click("#group-form button[type=submit]")
    expect(a.locator("#conv-title")).to_have_text("Releases")

    alice.send(f"Read this: {article} please")
    card = alice.message("Read this").locator(".link-card")
    expect(card.locator(".link-card-title")).to_have_text("Release notes 4.2")
    expect(card.locator(".link-card-description")).to_have_text("Faster sync and link previews.")
    expect(card.locator(".link-card-site")).to_have_text("Example Blog")
    expect(card).to_have_attribute("href", article)
    image = card.locator("img")
    assert image.get_attribute("src").startswith(f"{alice.server.url}/link-preview/image?")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 1  # the proxied PNG really loaded
    assert page_server.hits.count("/notes") == 1  # the server fetched it, once
    screenshot(a, "link-preview")

    a.click("#group-info")
    section = a.locator("#panel-webhooks")
    expect(section).to_be_visible()
    a.fill("#webhook-name", "deploys")
    a.click("#webhook-create")
    shown = a.locator("#webhook-secret-value")
    expect(shown).to_have_value(re.compile(rf"^{alice.server.url}/hooks/.+"))
    expect(section.locator("#webhook-list li")).to_contain_text(["deploys (incoming)"])
    screenshot(a, "group-webhooks")
    posted = requests.post(shown.input_value(), json={"Content": "Deployed 4.2"}, timeout=10)
    assert posted.status_code == 201, posted.text
    expect(alice.message("Deployed 4.2").locator(".author")).to_contain_text("deploys-")
    assert not bob.errors
