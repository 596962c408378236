"""Data governance in a real browser (issue #38): the account page's security log and "Download my data" (its mail
and the zip it links to), and the retention choice and the audit log in an admin's group panel.

Same set-up as tests/test_browser.py (headless Debian Chromium, Playwright, the real server process and SMTP
sink); skipped, saying why, without a browser unless REQUIRE_BROWSER=1.
"""
import io
import zipfile

import pytest
import requests
import test_browser as web

from conftest import DEADLINE, start_live_server, stop_live_server

playwright_api = web.playwright_api
browser = web.browser


@pytest.fixture(scope="module")
def server(smtp, tmp_path_factory, browser):
    """The real server process, building exports within a second."""
    live = start_live_server(smtp, tmp_path_factory.mktemp("browser-governance"), EXPORT_POLL_INTERVAL=0.3)
    yield live
    stop_live_server(live)


@pytest.fixture
def person(browser):
    made = []

    def make(server, name):
        made.append(web.Person(browser, server, name))
        return made[-1]

    yield make
    errors = [error for one in made for error in one.errors]
    for one in made:
        one.context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.mark.live
def test_the_account_page_shows_the_security_log_and_asks_for_an_export(playwright_api, server, smtp, person):
    expect = playwright_api.expect
    name = web.confirmed_user(server, smtp, "hana")
    refused = requests.post(f"{server.url}/login", json={"login": name, "password": "not her password"},
                            headers={"User-Agent": "Probe/1.0"}, timeout=DEADLINE)
    assert refused.status_code == 401
    hana = person(server, name)
    hana.sign_in(expect)
    page = hana.page
    page.click("#open-account")
    entries = page.locator("#security-entries li")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("Signed in")
    expect(entries.nth(0)).to_contain_text("127.0.0.1")
    expect(entries.nth(0)).to_contain_text("Chrome on Linux")
    expect(entries.nth(1)).to_contain_text("Failed sign-in")
    expect(entries.nth(1)).to_contain_text("Probe/1.0")
    expect(page.locator("#security-more")).to_be_hidden()

    mails = smtp.count(hana.email)
    page.click("#export-data")
    expect(page.locator("#export .form-done")).to_contain_text("A mail with a download link will follow")
    expect(entries.nth(0)).to_contain_text("Data export asked for")
    web.screenshot(page, "account-governance")
    link = smtp.link(hana.email, count=mails + 1, path="exports/download")
    archive = zipfile.ZipFile(io.BytesIO(requests.get(link, timeout=DEADLINE).content))
    assert "account.json" in archive.namelist()


@pytest.mark.live
def test_the_admin_reads_the_audit_log_in_the_group_panel(playwright_api, server, smtp, person, live_socket):
    expect = playwright_api.expect
    ines, jon = web.confirmed_user(server, smtp, "ines"), server.verified_user()
    admin = server.accounts().login({"username": ines, "password": web.PASSWORD})
    sock = live_socket(server, admin, ("/group",))
    gid = sock.call("create-group-chat", {"Name": "Audited", "Participants": [jon["id"]]},
                    namespace="/group")["Group"]["GroupId"]
    assert sock.call("update-group", {"GroupId": gid, "Description": "now described"}, namespace="/group")["ok"]
    assert sock.call("kickout", {"GroupId": gid, "Member": jon["id"]}, namespace="/group")["ok"]
    sock.close()

    ines_ = person(server, ines)
    ines_.sign_in(expect)
    page = ines_.page
    ines_.entry("Audited").click()
    page.click("#group-info")
    expect(page.locator("#panel-audit")).to_be_visible()
    # The admin shortens the group's retention: the panel says so, and the log keeps it.
    page.select_option("#panel-retention", "7")
    expect(page.locator("#panel-retention-text")).to_have_text("Messages older than 7 days are removed.")
    page.click("#audit-load")
    lines = page.locator("#audit-entries li")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("ines changed the group (RetentionDays: 0 → 7)")
    expect(lines.nth(1)).to_contain_text(f"ines removed {jon['username']}")
    expect(lines.nth(2)).to_contain_text("changed the group (Description:  → now described)")
    web.screenshot(page, "group-audit")
