"""Single sign-on with OpenID Connect, through the real server process against real providers.

`test` is the certified Node `oidc-provider` (tests/oidc/), whose development pages are walked over plain HTTP
here (tests/test_browser_oidc.py walks them in Chromium); `fake` is a provider-like server in Python whose ID
tokens a test spoils (tests/oidc_support.py). They skip without node and npm, except with REQUIRE_OIDC=1 (CI).
Each refusal is checked to create nothing: no account, link, hand-off or session.
"""
import contextlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oidc_support import FakeProvider, NodeProvider, drive_login, providers_setting
from pymongo import MongoClient

from chat.auth.oidc_providers import parse_providers
from conftest import PASSWORD, database_uri, free_port, start_live_server, stop_live_server, unique

JSON = {"Accept": "application/json"}
COLLECTIONS = ("users", "oidc_links", "oidc_handoffs", "sessions")
UNVERIFIED = "una"  # the Node provider's account whose address it has not verified
TAKEN = "taken_name"  # a local username, which the Node provider's account "dupe" prefers too
ACCOUNTS = {UNVERIFIED: {"email": "una@example.test", "email_verified": False},
            "dupe": {"email": "dupe@elsewhere.test", "preferred_username": TAKEN}}


@pytest.fixture(scope="module")
def sso(smtp, tmp_path_factory):
    """(server, node provider, fake provider): the real server process configured with both."""
    folder = tmp_path_factory.mktemp("oidc")
    fake, node_port = FakeProvider(), free_port()
    entries = json.loads(providers_setting(("test", f"http://127.0.0.1:{node_port}", "Test provider"),
                                           ("fake", fake.issuer, "Fake"), ("trusting", fake.issuer, "Trusting")))
    entries[2]["trust_email"] = True  # the operator vouches for the addresses of this one
    setting = json.dumps(entries)
    server = start_live_server(smtp, folder, OIDC_PROVIDERS=setting)
    node = None
    try:
        node = NodeProvider(node_port, [f"{server.url}/auth/oidc/test/callback"], log_path=folder / "node.log",
                            accounts=ACCOUNTS)
        yield server, node, fake
    finally:
        if node:
            node.stop()
        fake.stop()
        stop_live_server(server)


@pytest.fixture
def db(sso):
    client = MongoClient(database_uri(), tz_aware=True)
    yield client[sso[0].env["MONGO_DB"]]
    client.close()


def counts(db):
    return {name: db[name].count_documents({}) for name in COLLECTIONS}


@contextlib.contextmanager
def nothing_created(db):
    before = counts(db)
    yield
    assert counts(db) == before, "a refused sign-in created something"


def callback_url(server, browser, name, login=None, node=None):
    """Start a sign-in in browser (a requests.Session) and follow it to the provider's redirect back."""
    start = browser.get(f"{server.url}/auth/oidc/{name}/start", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    until = f"{server.url}/auth/oidc/{name}/callback"
    if node:
        return drive_login(browser, start.headers["Location"], login, until)
    approved = browser.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert approved.headers["Location"].startswith(until)
    return approved.headers["Location"]


def finish(browser, url):
    """The callback: a one-time code (from the redirect's fragment), or the JSON refusal."""
    answer = browser.get(url, allow_redirects=False, headers=JSON, timeout=10)
    if answer.status_code != 303:
        return None, answer
    fragment = parse_qs(urlsplit(answer.headers["Location"]).fragment)
    return fragment["oidc"][0], answer


def exchange(server, code, **extra):
    return requests.post(f"{server.url}/auth/oidc/exchange", json={"code": code, **extra}, timeout=10)


def sign_in(server, name, login=None, node=None):
    """The whole flow, in a new browser; returns the exchange's answer."""
    browser = requests.Session()
    code, answer = finish(browser, callback_url(server, browser, name, login, node))
    assert code, answer.text
    return exchange(server, code)


def error(answer):
    return answer.status_code, answer.json()["error"]["code"]


def test_the_providers_are_listed_and_a_bad_setting_refuses_to_start(make_app):
    setting = providers_setting(("corp", "https://id.example.com/realms/corp", "Corp"))
    listed = make_app(OIDC_PROVIDERS=setting).test_client().get("/auth/providers")
    assert listed.get_json() == {"providers": [{"name": "corp", "label": "Corp"}]}
    assert make_app().test_client().get("/auth/providers").get_json() == {"providers": []}
    for bad in ("not json", '{"name": "x"}', '[{"name": "x"}]',
                providers_setting(("plain", "http://id.example.com", "Plain http")),
                providers_setting(("Bad Name", "https://id.example.com", "x"))):
        with pytest.raises(ValueError):  # raised by create_app: the server refuses to start
            parse_providers(bad)


@pytest.mark.live
def test_a_new_person_signs_in_and_comes_back_to_the_same_account(sso, db):
    server, node, _ = sso
    login = unique("ann")
    first = sign_in(server, "test", login, node)
    assert first.status_code == 200, first.text
    user = first.json()["user"]
    assert user["username"] == login and user["email"] == f"{login}@example.test" and user["verified"]
    me = requests.get(f"{server.url}/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"},
                      timeout=10)
    assert me.status_code == 200 and me.json()["user"]["id"] == user["id"]
    again = sign_in(server, "test", login, node)
    assert again.json()["user"]["id"] == user["id"]
    assert db.oidc_links.count_documents({"user_id": user["id"]}) == 1
    no_password = requests.post(f"{server.url}/login", json={"login": login, "password": PASSWORD}, timeout=10)
    assert error(no_password) == (401, "invalid_credentials")


@pytest.mark.live
def test_the_hand_off_code_works_once(sso, db):
    server, node, _ = sso
    browser = requests.Session()
    code, _ = finish(browser, callback_url(server, browser, "test", unique("bo"), node))
    assert exchange(server, code).status_code == 200
    with nothing_created(db):
        assert error(exchange(server, code)) == (400, "invalid_token")
        assert error(exchange(server, "made-up")) == (400, "invalid_token")


@pytest.mark.live
def test_a_replayed_callback_and_a_wrong_state_are_refused(sso, db):
    server, node, _ = sso
    browser = requests.Session()
    url = callback_url(server, browser, "test", unique("cy"), node)
    spoiled = url.replace("state=", "state=x")
    with nothing_created(db):
        assert error(finish(browser, spoiled)[1]) == (400, "invalid_state")
        other_browser = requests.Session()  # the right state, opened in a browser that did not start it
        assert error(finish(other_browser, url)[1]) == (400, "invalid_state")
    # The flow was used up by the attempt from the other browser: its own browser is refused now too.
    with nothing_created(db):
        assert error(finish(browser, url)[1]) == (400, "invalid_state")
    url = callback_url(server, browser, "test", unique("cy"), node)
    code, _ = finish(browser, url)
    assert exchange(server, code).status_code == 200
    with nothing_created(db):
        assert error(finish(browser, url)[1]) == (400, "invalid_state")  # the same callback again
    refused = browser.get(url, allow_redirects=False, headers={"Accept": "text/html"}, timeout=10)
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/#oidc_error=invalid_state")


@pytest.mark.live
def test_an_existing_account_is_linked_only_through_a_verified_address(sso, db):
    server, node, _ = sso
    holder = server.accounts().verified_user(unique("dee"))  # a verified local account
    local = db.users.find_one({"username": holder["username"]})
    linked = sign_in(server, "test", holder["username"], node)  # the provider's address is the same, verified
    assert linked.json()["user"]["id"] == str(local["_id"])

    db.users.insert_one({"username": "una_local", "username_lower": "una_local", "email": "una@example.test",
                         "password_hash": None, "verified": True, "created_at": local["created_at"]})
    browser = requests.Session()
    with nothing_created(db):
        answer = finish(browser, callback_url(server, browser, "test", UNVERIFIED, node))[1]
        assert error(answer) == (403, "email_not_verified")
    db.users.delete_one({"username": "una_local"})
    with nothing_created(db):  # nor is a new account made with an address nobody verified
        answer = finish(browser, callback_url(server, browser, "test", UNVERIFIED, node))[1]
        assert error(answer) == (403, "email_not_verified")


@pytest.mark.live
def test_a_taken_username_is_chosen_by_the_person(sso, db):
    server, node, _ = sso
    taken = server.accounts().verified_user(TAKEN)["username"]
    browser = requests.Session()
    # The provider's account suggests that username, with another address: a new account, named by the person.
    code, _ = finish(browser, callback_url(server, browser, "test", "dupe", node))
    with nothing_created(db):
        assert error(exchange(server, code)) == (409, "username_taken")
        assert error(exchange(server, code, username=taken)) == (409, "username_taken")
    chosen = unique("eve")
    made = exchange(server, code, username=chosen)
    assert made.status_code == 200 and made.json()["user"]["username"] == chosen
    assert error(exchange(server, code, username=unique("x"))) == (400, "invalid_token")


@pytest.mark.live
@pytest.mark.parametrize("mode", ["forged", "replay", "wrong_nonce", "wrong_aud", "wrong_iss", "expired"])
def test_a_spoiled_id_token_is_refused(sso, db, mode):
    server, _, fake = sso
    fake.mode, fake.subject = "ok", unique("fay")
    first = sign_in(server, "fake")  # the provider's first token: the one a replay sends again
    assert first.status_code == 200, first.text
    fake.issued[:] = fake.issued[-1:]
    fake.mode, fake.subject = mode, unique("fay")
    browser = requests.Session()
    try:
        with nothing_created(db):
            answer = finish(browser, callback_url(server, browser, "fake"))[1]
            assert error(answer) == (401, "invalid_id_token"), answer.text
    finally:
        fake.mode = "ok"


@pytest.mark.live
def test_without_email_verified_only_a_trusted_provider_makes_an_account(sso, db):
    server, _, fake = sso
    fake.subject, fake.claims = unique("hal"), {"email_verified": None}
    try:
        browser = requests.Session()
        with nothing_created(db):
            answer = finish(browser, callback_url(server, browser, "fake"))[1]
            assert error(answer) == (403, "email_not_verified")
        made = sign_in(server, "trusting")
        assert made.status_code == 200 and made.json()["user"]["email"] == f"{fake.subject}@example.test"
    finally:
        fake.claims = {}


@pytest.mark.live
def test_rotated_provider_keys_are_fetched_again(sso):
    server, _, fake = sso
    fake.subject = unique("gus")
    assert sign_in(server, "fake").status_code == 200
    fake.rotate()
    assert sign_in(server, "fake").status_code == 200


@pytest.mark.live
def test_unknown_providers_and_refusals_by_the_provider(sso, db):
    server, _, _ = sso
    browser = requests.Session()
    assert error(browser.get(f"{server.url}/auth/oidc/nope/start", headers=JSON, timeout=10)) == \
        (404, "not_found")
    url = callback_url(server, browser, "fake")
    state = parse_qs(urlsplit(url).query)["state"][0]
    denied = f"{url.split('?')[0]}?state={state}&error=access_denied"
    with nothing_created(db):
        assert error(finish(browser, denied)[1]) == (400, "oidc_refused")
