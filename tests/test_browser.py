"""The web client: served by the app (unit tests), and used by people in a real browser (live tests).

The browser tests drive headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser)
with Playwright against the real server process: two people sign up, confirm their address from the
real mail, sign in, chat both ways with read ticks and typing, page back through history, run a
group, and end their sessions. They skip, saying why, when Chromium, Playwright or the vendored
socket.io-client file is missing, except with REQUIRE_BROWSER=1 (CI), where that is a failure.
SAVE_SCREENSHOTS=1 writes the README's screenshots to docs/screenshots/.
"""
import functools
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from conftest import PASSWORD, ROOT, start_live_server, stop_live_server, unique

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
WEB = ROOT / "web"
VENDOR = WEB / "static" / "vendor" / "socket.io.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
ACCESS_TTL = 8  # seconds: short, so that the client's refresh before expiry happens during the walk


# ---------- served by the app (no browser needed) ----------

def web_copy(tmp_path, built):
    """A copy of web/ (without node_modules), with or without the vendored file."""
    folder = tmp_path / "web"
    shutil.copytree(WEB, folder, ignore=shutil.ignore_patterns("node_modules", "vendor"))
    if built:
        (folder / "static" / "vendor").mkdir()
        (folder / "static" / "vendor" / "socket.io.min.js").write_text("/* socket.io-client */")
    return folder


def get(client, path):
    """GET path and close the response (files are streamed: an open response keeps the file open)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def test_the_page_and_its_files_are_served_with_a_strict_policy(make_app, tmp_path):
    client = make_app(WEB_CLIENT_DIR=str(web_copy(tmp_path, built=True))).test_client()
    page = get(client, "/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b'src="static/vendor/socket.io.min.js"' in page.data
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    script = get(client, "/static/js/app.js")
    assert script.status_code == 200 and script.mimetype in ("text/javascript", "application/javascript")
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-cache" in script.headers["Cache-Control"]
    assert get(client, "/static/vendor/socket.io.min.js").status_code == 200
    for outside in ("/static/../package.json", "/static/%2e%2e/index.html", "/package.json",
                    "/static/nope.js"):
        response = get(client, outside)
        assert response.status_code == 404, outside
        assert response.get_json()["error"]["code"] == "not_found"


def test_before_make_web_the_page_says_how_to_build_the_client(make_app, tmp_path):
    client = make_app(WEB_CLIENT_DIR=str(web_copy(tmp_path, built=False))).test_client()
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b"make web" in page.data and b"socket.io.min.js" in page.data
    assert client.get("/health").status_code == 200  # the API works regardless


def test_client_config_names_the_dev_outbox_only_without_smtp(make_app):
    outbox = make_app(SMTP_HOST="", MAIL_OUTBOX="var/outbox-test").test_client().get("/client-config")
    assert outbox.status_code == 200
    assert outbox.get_json() == {"devOutbox": os.path.abspath("var/outbox-test")}
    smtp = make_app().test_client().get("/client-config")  # the tests' app sends through SMTP
    assert smtp.get_json() == {"devOutbox": None}


def test_web_routes_leave_the_api_alone(app):
    rules = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert rules["/"] == "web.index" and rules["/client-config"] == "web.client_config"
    assert rules["/static/<path:filename>"] == "static"
    client = app.test_client()
    assert client.get("/me").get_json()["error"]["code"] == "unauthorized"
    assert "Content-Security-Policy" not in client.get("/health").headers


ALLOWED = "http://client.test:8080"


def preflight(client, origin, path="/login"):
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                         "Access-Control-Request-Headers": "authorization, content-type"})


def test_cors_answers_the_allowed_origin_only(make_app):
    client = make_app(CORS_ORIGINS=[ALLOWED]).test_client()
    allowed = client.get("/health", headers={"Origin": ALLOWED})
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    other = client.get("/health", headers={"Origin": "http://evil.test"})
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers

    ok = preflight(client, ALLOWED)
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    assert {"authorization", "content-type"} <= {h.strip().lower() for h in
                                                ok.headers["Access-Control-Allow-Headers"].split(",")}
    assert "Access-Control-Allow-Origin" not in preflight(client, "http://evil.test").headers
    # An error envelope reaches the allowed origin too (a browser can read why it failed).
    refused = client.post("/login", json={"login": "nobody", "password": "wrong password"},
                          headers={"Origin": ALLOWED})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == ALLOWED


@pytest.mark.parametrize("origins", [[], ["*"]], ids=["same-origin-only", "wildcard-ignored"])
def test_without_listed_origins_no_cors_headers_are_sent(make_app, origins):
    client = make_app(CORS_ORIGINS=origins).test_client()
    evil = "http://evil.test"
    for response in (client.get("/health", headers={"Origin": evil}), preflight(client, evil)):
        assert "Access-Control-Allow-Origin" not in response.headers


# ---------- in a real browser ----------

def unavailable(reason):
    """Skip, or fail when the browser tests are required (CI sets REQUIRE_BROWSER=1)."""
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright_api():
    if not Path(CHROMIUM).exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    if not VENDOR.exists() and shutil.which("npm"):
        subprocess.run(["make", "-s", "web"], cwd=ROOT, capture_output=True, timeout=300, check=False)
    if not VENDOR.exists():
        unavailable(f"the web client is not built: {VENDOR.relative_to(ROOT)} is missing "
                    "(run `make web`; it needs npm)")
    sync_api.expect.set_options(timeout=10_000)
    return sync_api


@pytest.fixture(scope="module")
def browser(playwright_api):
    """Headless Debian Chromium; Playwright never downloads a browser here."""
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def web_server(smtp, tmp_path_factory, browser):
    """The real server process, mailing through the test SMTP sink, with short-lived access tokens."""
    server = start_live_server(smtp, tmp_path_factory.mktemp("browser"), ACCESS_TOKEN_TTL=ACCESS_TTL)
    yield server
    stop_live_server(server)


def screenshot(page, name):
    """docs/screenshots/<name>.png when SAVE_SCREENSHOTS=1."""
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


class Person:
    """One browser context (its own sessionStorage) with one page, and what the page asked the server."""

    def __init__(self, browser, server, name, site=None):
        self.server, self.username, self.email = server, name, f"{name}@example.test"
        self.site = site or server.url  # where the page comes from
        self.context = browser.new_context(viewport={"width": 960, "height": 600}, locale="en-GB",
                                           timezone_id="UTC")
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors, self.refreshes = [], []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("requestfinished", lambda request: self.refreshes.append(request.url)
                     if request.url.endswith("/refresh") else None)

    def sign_up(self, expect, smtp):
        page = self.page
        mails_before = smtp.count(self.email)  # the session's SMTP sink is shared: take the new mail
        page.goto(self.server.url + "/")
        page.click("#tab-signup")
        page.fill("#signup-form [name=username]", self.username)
        page.fill("#signup-form [name=email]", self.email)
        page.fill("#signup-form [name=password]", PASSWORD)
        page.click("#signup-form button[type=submit]")
        expect(page.locator("#check-email h2")).to_have_text("Check your email")
        expect(page.locator("#check-email-address")).to_have_text(self.email)
        expect(page.locator("#dev-outbox")).to_be_hidden()  # a real SMTP server is configured
        page.goto(smtp.link(self.email, count=mails_before + 1))  # the link in the real mail
        expect(page.locator("h1")).to_have_text("Your email address is confirmed")

    def sign_in(self, expect):
        page = self.page
        page.goto(self.site + "/")
        page.fill("#login-form [name=login]", self.username)
        page.fill("#login-form [name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#me-name")).to_have_text(self.username)
        expect(page.locator("#conn-dot")).to_have_class("dot online")

    def entry(self, name):
        """The chat-list entry whose name is `name`."""
        return self.page.locator("#chat-list li", has=self.page.locator(".name", has_text=name))

    def send(self, text):
        self.page.fill("#composer-input", text)
        self.page.press("#composer-input", "Enter")

    def message(self, text):
        return self.page.locator("#message-list .msg", has=self.page.locator(".text", has_text=text))

    def start_chat(self, expect, partner, text):
        """Find partner by name, open a chat and send text; partner opens it from the list and sees it."""
        page = self.page
        page.fill("#user-search", partner.username)
        page.locator("#search-results li", has_text=partner.username).get_by_role("button", name="Chat").click()
        expect(page.locator("#conv-title")).to_have_text(partner.username)
        self.send(text)
        partner.entry(self.username).click()
        expect(partner.message(text)).to_be_visible()


def confirmed_user(server, smtp, name):
    """Sign `name` up over HTTP and follow the link in their (newest) mail; returns the username."""
    accounts = server.accounts(smtp)
    accounts.verify(accounts.signup(name))
    return name


def signed_in(playwright_api, browser, server, smtp, names=("alice", "bob"), prepare=None):
    """Yields once: a Person per name, each signed up, confirmed from the mail and signed in, in their own browser
    context (prepare(person) runs first); then closes them, and fails on any JavaScript error in their pages.
    Plain names (each module's server has a new database): they read well in the screenshots."""
    expect = playwright_api.expect
    people = [Person(browser, server, name) for name in names]
    for person in people:
        if prepare:
            prepare(person)
        person.sign_up(expect, smtp)
        person.sign_in(expect)
    yield tuple(people)
    for person in people:
        person.context.close()
    assert not [error for person in people for error in person.errors], "JavaScript errors in the page"


@pytest.fixture(scope="module")
def people(playwright_api, browser, web_server, smtp):
    """Alice and Bob, each signed up, confirmed from the mail and signed in, in their own browser context."""
    yield from signed_in(playwright_api, browser, web_server, smtp)


@pytest.mark.live
def test_sign_in_problems_are_shown_in_words(playwright_api, browser, web_server, smtp):
    expect = playwright_api.expect
    stranger = Person(browser, web_server, unique("carl"))
    page = stranger.page
    try:
        page.goto(web_server.url + "/")
        screenshot(page, "login")
        page.fill("#login-form [name=login]", stranger.username)
        page.fill("#login-form [name=password]", "not the password")
        page.click("#login-form button[type=submit]")
        expect(page.locator("#login-form .form-error")).to_have_text("Wrong login or password.")

        requests.post(f"{web_server.url}/signup", timeout=10,
                      json={"username": stranger.username, "email": stranger.email, "password": PASSWORD})
        page.fill("#login-form [name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")  # not confirmed yet: back to "check your email"
        expect(page.locator("#auth-info")).to_contain_text("Verify your email address")
        expect(page.locator("#check-email")).to_be_visible()
        page.fill("#resend-form [name=email]", stranger.email)
        page.click("#resend-form button[type=submit]")
        expect(page.locator("#auth-info")).to_contain_text("a new link is on its way")
        smtp.wait_for(stranger.email, count=2)

        page.click("#to-login")
        page.click("#tab-signup")
        page.fill("#signup-form [name=username]", stranger.username)
        page.fill("#signup-form [name=email]", unique("other") + "@example.test")
        page.fill("#signup-form [name=password]", PASSWORD)
        page.click("#signup-form button[type=submit]")
        expect(page.locator("#signup-form .form-error")).to_contain_text("taken")

        page.evaluate("sessionStorage.setItem('chat.refresh_token', 'not-a-token')")
        page.reload()  # a stale session in this tab: refused by /refresh, back to sign-in, said in words
        expect(page.locator("#auth-info")).to_have_text("Your session has ended; please sign in again.")
        assert page.evaluate("sessionStorage.getItem('chat.refresh_token')") is None
        assert not stranger.errors
    finally:
        stranger.context.close()


@pytest.mark.live
def test_personal_chat_both_ways_with_read_ticks_and_typing(playwright_api, people):
    expect = playwright_api.expect
    alice, bob = people
    a, b = alice.page, bob.page

    a.fill("#user-search", bob.username[:5])
    a.locator("#search-results li", has_text=bob.username).get_by_role("button", name="Chat").click()
    expect(a.locator("#conv-title")).to_have_text(bob.username)
    expect(a.locator("#conv-status")).to_have_text("online")
    alice.send("Hello Bob!")
    expect(alice.message("Hello Bob!").locator(".tick")).to_have_attribute("title", "Sent")

    # Bob's list: the new chat on top, with an unread badge and Alice's presence dot.
    expect(bob.entry(alice.username).locator(".badge")).to_have_text("1")
    expect(bob.entry(alice.username).locator(".avatar .dot")).to_have_class("dot online")
    expect(bob.entry(alice.username).locator(".preview")).to_have_text("Hello Bob!")
    bob.entry(alice.username).click()
    expect(bob.message("Hello Bob!")).to_be_visible()
    expect(bob.entry(alice.username).locator(".badge")).to_have_count(0)
    expect(alice.message("Hello Bob!").locator(".tick")).to_have_attribute("title", "Read")  # read receipt

    # Typing, both ways.
    b.type("#composer-input", "Hi Alice, good to see you here")
    expect(a.locator("#conv-status")).to_have_text("typing…")
    expect(alice.entry(bob.username).locator(".preview")).to_have_text(f"{bob.username} is typing…")
    b.press("#composer-input", "Enter")
    expect(alice.message("Hi Alice")).to_be_visible()
    expect(a.locator("#conv-status")).to_have_text("online")
    expect(bob.message("Hi Alice").locator(".tick")).to_have_attribute("title", "Read")
    a.type("#composer-input", "typing back")
    expect(b.locator("#conv-status")).to_have_text("typing…")
    screenshot(b, "personal-chat")
    a.fill("#composer-input", "")
    expect(b.locator("#conv-status")).to_have_text("online")  # done-typing when the draft is emptied

    # Edit and delete one's own message; the partner sees both.
    first = alice.message("Hello Bob!")
    first.hover()
    first.get_by_role("button", name="Edit").click()
    expect(a.locator("#editing")).to_be_visible()
    a.fill("#composer-input", "Hello Bob, edited")
    a.press("#composer-input", "Enter")
    expect(bob.message("Hello Bob, edited").locator(".edited")).to_have_text("edited")
    alice.send("to be deleted")
    expect(bob.message("to be deleted")).to_be_visible()
    doomed = alice.message("to be deleted")
    doomed.hover()
    doomed.get_by_role("button", name="Delete").click()
    doomed.get_by_role("button", name="Delete for everyone?").click()
    expect(b.locator("#message-list .msg.deleted .text")).to_have_text("Message deleted")
    expect(a.locator("#message-list .msg.deleted")).to_have_count(1)
    assert b.locator("#message-list .msg.mine .actions").count() == 1  # only Bob's own message has actions

    # Bob writes to a chat Alice is not looking at: an unread badge. A reload keeps Bob signed in.
    a.locator("#chat-list li").first.click()  # notes to self
    expect(a.locator("#conv-title")).to_have_text("Notes to self")
    bob.send("one more")
    expect(alice.entry(bob.username).locator(".badge")).to_have_text("1")
    b.reload()
    expect(b.locator("#me-name")).to_have_text(bob.username)
    expect(bob.entry(alice.username).locator(".preview")).to_have_text("You: one more")


@pytest.mark.live
def test_notes_to_self_page_back_through_history(playwright_api, people, web_server):
    expect = playwright_api.expect
    alice, _bob = people
    a = alice.page
    login = requests.post(f"{web_server.url}/login", json={"login": alice.username, "password": PASSWORD},
                          timeout=10).json()
    for n in range(1, 46):  # another session of Alice's writes 45 notes over REST
        response = requests.post(f"{web_server.url}/chats/self/messages", json={"Content": f"note {n}"},
                                 headers={"Authorization": f"Bearer {login['access_token']}"}, timeout=10)
        assert response.status_code == 201
    a.locator("#chat-list li").nth(1).click()
    a.locator("#chat-list li").first.click()  # opened afresh: the newest page
    expect(a.locator("#conv-title")).to_have_text("Notes to self")
    expect(a.locator("#message-list .msg")).to_have_count(30)
    expect(a.locator("#message-list .msg .text").first).to_have_text("note 16")
    expect(a.locator("#load-older")).to_be_visible()
    a.locator("#messages").evaluate("box => { box.scrollTop = 0; }")  # scrolling up loads the older page
    expect(a.locator("#message-list .msg")).to_have_count(45)
    expect(a.locator("#message-list .msg .text").first).to_have_text("note 1")
    expect(a.locator("#load-older")).to_be_hidden()
    alice.send("a note from the browser")
    expect(alice.message("a note from the browser").locator(".tick")).to_have_count(0)  # no ticks in notes
    note = alice.message("a note from the browser")
    note.hover()
    note.get_by_role("button", name="Edit").click()  # notes are edited over REST (PATCH /messages/<id>)
    a.fill("#composer-input", "a note, edited")
    a.press("#composer-input", "Enter")
    expect(alice.message("a note, edited").locator(".edited")).to_be_visible()


@pytest.mark.live
def test_group_create_add_kick_and_hand_over(playwright_api, people, web_server, smtp):
    expect = playwright_api.expect
    alice, bob = people
    a, b = alice.page, bob.page
    carol = confirmed_user(web_server, smtp, "carol")

    a.click("#new-group")
    a.fill("#group-form [name=name]", "   ")
    a.click("#group-form button[type=submit]")
    expect(a.locator("#group-form .form-error")).to_contain_text("Name: Between 1 and 100 characters.")
    a.fill("#group-form [name=name]", "Team")
    a.fill("#group-form [name=description]", "Where the team talks")
    a.fill("#group-member-search", bob.username[:5])
    a.locator("#group-member-results li", has_text=bob.username).get_by_role("button", name="Add").click()
    expect(a.locator("#group-chosen li")).to_have_count(1)
    a.click("#group-form button[type=submit]")
    expect(a.locator("#conv-title")).to_have_text("Team")
    expect(a.locator("#conv-status")).to_have_text("2 members · you are the admin")

    expect(bob.entry("Team")).to_be_visible()  # group-created reached Bob
    alice.send("Welcome to the team")
    expect(bob.entry("Team").locator(".badge")).to_have_text("1")
    expect(bob.entry("Team").locator(".preview")).to_have_text(f"{alice.username}: Welcome to the team")
    expect(b.locator("#chat-list li").nth(1)).to_contain_text("Team")  # most recent activity first
    screenshot(b, "chat-list")
    bob.entry("Team").click()
    expect(bob.message("Welcome to the team").locator(".author")).to_have_text(alice.username)
    b.type("#composer-input", "thanks")
    expect(a.locator("#conv-status")).to_have_text(f"{bob.username} is typing…")
    b.press("#composer-input", "Enter")
    expect(alice.message("thanks")).to_be_visible()

    # The admin's panel: add Carol, remove Bob, then hand the admin role to Carol.
    a.click("#group-info")
    panel = a.locator("#group-panel")
    expect(panel.locator("#panel-members li")).to_have_count(2)
    panel.locator("#add-search").fill(carol[:4])
    panel.locator("#add-results li", has_text=carol).get_by_role("button", name="Add").click()
    expect(panel.locator("#panel-members li")).to_have_count(3)
    expect(b.locator("#message-list .system")).to_contain_text([f"{alice.username} added {carol}"])
    screenshot(a, "group-admin")
    member = panel.locator(f"#panel-members li[data-user='{bob.username}']")
    member.get_by_role("button", name="Remove").click()
    expect(panel.locator("#panel-members li")).to_have_count(2)

    # Bob's view: told in words, the group gone from his list, nothing more to write there.
    expect(b.locator("#conv-closed")).to_have_text("You were removed from this group by its admin.")
    expect(b.locator("#composer")).to_be_hidden()
    expect(bob.entry("Team")).to_have_count(0)
    expect(b.locator("#notice")).to_contain_text("You were removed from “Team”.")
    alice.send("after Bob left")
    expect(alice.message("after Bob left")).to_be_visible()
    assert bob.message("after Bob left").count() == 0

    panel.locator(f"#panel-members li[data-user='{carol}']").get_by_role(
        "button", name="Make admin").click()
    expect(panel.locator(f"#panel-members li[data-user='{carol}'] .role")).to_have_text("admin")
    expect(panel.get_by_role("button", name="Remove")).to_have_count(0)  # Alice is no longer the admin
    expect(a.locator("#conv-status")).to_have_text("2 members")
    panel.get_by_role("button", name="Leave group").click()
    expect(alice.entry("Team")).to_have_count(0)
    expect(a.locator("#empty-state")).to_be_visible()


@pytest.mark.live
def test_tokens_are_refreshed_then_sessions_end(playwright_api, people, web_server):
    expect = playwright_api.expect
    alice, bob = people
    a, b = alice.page, bob.page
    # Access tokens live ACCESS_TTL seconds; each page refreshed them before expiry and kept working.
    expect(a.locator("#conn-dot")).to_have_class("dot online")
    if not alice.refreshes:
        a.wait_for_event("requestfinished", lambda request: request.url.endswith("/refresh"),
                         timeout=ACCESS_TTL * 1000)
    a.fill("#user-search", bob.username[:5])  # a REST call with the current access token
    expect(a.locator("#search-results li", has_text=bob.username)).to_be_visible()
    a.press("#user-search", "Escape")

    # Someone replays Bob's refresh token: the server ends that session, and Bob's page says so.
    stolen = b.evaluate("sessionStorage.getItem('chat.refresh_token')")
    for _ in range(2):
        requests.post(f"{web_server.url}/refresh", headers={"Authorization": f"Bearer {stolen}"}, timeout=10)
    expect(b.locator("#login-form")).to_be_visible()
    expect(b.locator("#notice")).to_contain_text("session")
    expect(alice.entry(bob.username).locator(".avatar .dot")).to_have_class("dot")  # Bob went offline

    a.click("#logout")
    expect(a.locator("#auth-info")).to_have_text("You have signed out.")
    assert a.evaluate("sessionStorage.getItem('chat.refresh_token')") is None
    a.reload()
    expect(a.locator("#login-form")).to_be_visible()
    assert alice.refreshes and bob.refreshes


class StaticSite:
    """A copy of web/ served as plain files from another origin (its own port)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def __init__(self, folder):
        shutil.copytree(WEB, folder, ignore=shutil.ignore_patterns("node_modules"))
        self.index = folder / "index.html"
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     functools.partial(self.Quiet, directory=str(folder)))
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def point_at(self, server_url):
        """Fill in the page's <meta name="chat-server">, as someone hosting the client elsewhere does."""
        marker = '<meta name="chat-server" content="">'
        html = self.index.read_text()
        assert marker in html
        self.index.write_text(html.replace(marker, f'<meta name="chat-server" content="{server_url}">'))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.mark.live
def test_the_client_works_from_an_allowed_other_origin_only(playwright_api, browser, smtp, tmp_path):
    expect = playwright_api.expect
    sites, person, server = [], None, None
    try:
        allowed, other = StaticSite(tmp_path / "allowed"), StaticSite(tmp_path / "other")
        sites += [allowed, other]
        server = start_live_server(smtp, tmp_path, CORS_ORIGINS=allowed.origin)
        for site in sites:
            site.point_at(server.url)
        confirmed_user(server, smtp, "dave")
        confirmed_user(server, smtp, "dora")

        person = Person(browser, server, "dora", site=allowed.origin)
        person.sign_in(expect)  # REST login and the four sockets, across origins
        page = person.page
        page.fill("#user-search", "dav")  # an authorized REST call: preflighted
        page.locator("#search-results li", has_text="dave").get_by_role("button", name="Chat").click()
        expect(page.locator("#conv-title")).to_have_text("dave")
        person.send("hello from another origin")
        sent = person.message("hello from another origin").locator(".tick")
        expect(sent).to_have_attribute("title", "Sent")

        page.goto(other.origin + "/")  # an origin the server does not list: the browser blocks the API
        page.fill("#login-form [name=login]", "dora")
        page.fill("#login-form [name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#login-form .form-error")).to_have_text(
            f"Cannot reach the server at {server.url}. Check the connection and try again.")
        assert not person.errors
    finally:
        if person:
            person.context.close()
        for site in sites:
            site.close()
        if server:
            stop_live_server(server)
