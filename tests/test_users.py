"""`/users/search`, `/users/<id>` and `/health`, including a database that is down."""
import pytest
import requests

from conftest import PASSWORD, bearer, free_port


def test_search_finds_verified_users_by_prefix_case_insensitively(client, accounts):
    me = accounts.user("searcher")
    accounts.user("Zed_Alpha")
    accounts.user("zed_beta")
    accounts.signup("zed_unverified")
    accounts.user("other")
    response = client.get("/users/search?q=ZED", headers=bearer(me["access"]))
    assert response.status_code == 200
    assert [u["username"] for u in response.get_json()["users"]] == ["Zed_Alpha", "zed_beta"]
    assert set(response.get_json()["users"][0]) == {"id", "username", "Bot"}
    assert client.get("/users/search?q=search", headers=bearer(me["access"])).get_json()["users"] == []


def test_search_returns_at_most_20_and_treats_the_prefix_literally(client, accounts, db):
    me = accounts.user()
    db.users.insert_many([{"username": f"bulk{i:02d}", "username_lower": f"bulk{i:02d}", "email": f"b{i}@x.test",
                           "verified": True} for i in range(25)])
    found = client.get("/users/search?q=bulk", headers=bearer(me["access"])).get_json()["users"]
    assert len(found) == 20 and found[0]["username"] == "bulk00"
    for pattern in (".*", "^b", "bulk[0-9]", "(a+)+$"):
        response = client.get("/users/search", query_string={"q": pattern}, headers=bearer(me["access"]))
        assert response.status_code == 200 and response.get_json()["users"] == []


@pytest.mark.parametrize("query", ["", "?q=", "?q=" + "x" * 33, "?q=a&q=b", "?q=a&x=1"])
def test_search_rejects_bad_queries(client, accounts, query):
    me = accounts.user()
    response = client.get(f"/users/search{query}", headers=bearer(me["access"]))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_error"


def test_search_and_profiles_need_a_token(client):
    for path in ("/users/search?q=a", "/users/0123456789abcdef01234567", "/me"):
        response = client.get(path)
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_get_user_shows_verified_users_only(client, accounts):
    me = accounts.user()
    other = accounts.user()
    hidden = accounts.signup()
    response = client.get(f"/users/{other['id']}", headers=bearer(me["access"]))
    assert response.status_code == 200
    assert response.get_json() == {"id": other["id"], "username": other["username"], "Bot": False}
    for user_id in (hidden["id"], "0123456789abcdef01234567", "not-an-id"):
        response = client.get(f"/users/{user_id}", headers=bearer(me["access"]))
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_health_reports_the_database(client):
    assert client.get("/health").get_json() == {"status": "ok", "db": "ok"}


@pytest.fixture
def unreachable_db_app(make_app):
    """An app pointed at a MongoDB port where nothing listens (a real pymongo client failing)."""
    return make_app(MONGO_URI=f"mongodb://127.0.0.1:{free_port()}/", MONGO_TIMEOUT_MS=300)


def test_every_endpoint_answers_503_when_the_database_is_down(unreachable_db_app):
    import time
    client = unreachable_db_app.test_client()
    health = client.get("/health")
    assert health.status_code == 503 and health.get_json()["db"] == "unreachable"
    assert health.headers["Retry-After"] == "5"
    calls = [
        client.post("/signup", json={"username": "down_user", "email": "d@example.test", "password": PASSWORD}),
        client.post("/login", json={"login": "down_user", "password": PASSWORD}),
        client.post("/resend", json={"email": "d@example.test"}),
        client.get("/verify?token=whatever"),
    ]
    started = time.monotonic()
    for response in calls:
        assert response.status_code == 503, response.get_json()
        assert response.get_json()["error"]["code"] == "unavailable"
    assert time.monotonic() - started < 5


def test_requests_never_reach_an_unknown_server():
    """Guard: the unreachable-database port really is closed, so the 503 test means something."""
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{free_port()}/", timeout=1)
