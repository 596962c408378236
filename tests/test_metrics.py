"""`GET /metrics`: Prometheus' format, behind METRICS_TOKEN, with the counters moving as the app works.

Each scrape is parsed with prometheus_client's own parser, so these tests also prove the output is valid
exposition text. The live test scrapes the real server process over HTTP while a real Socket.IO client is
connected.
"""
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import (
    DEADLINE,
    Accounts,
    SocketRecorder,
    bearer,
    error_code,
    free_port,
    socket_auth,
    start_live_server,
    stop_live_server,
)

TOKEN = "metrics-token-for-tests-0123456789"


def samples(text):
    """{(sample name, ((label, value), ...)): value} of an exposition text."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(scraped, name, **labels):
    """A sample's value, 0 when it is not there (a labelled series appears on its first use)."""
    return scraped.get((name, tuple(sorted(labels.items()))), 0)


def scrape(client):
    response = client.get("/metrics", headers=bearer(TOKEN))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


@pytest.fixture
def app(make_app):
    return make_app(METRICS_TOKEN=TOKEN)


def test_off_without_a_token_setting(make_app):
    client = make_app().test_client()  # METRICS_TOKEN empty, the default
    for headers in ({}, bearer(""), bearer("anything")):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 404 and error_code(response) == "not_found"


def test_a_missing_or_wrong_token_is_refused(client):
    missing = client.get("/metrics")
    assert missing.status_code == 401 and error_code(missing) == "unauthorized"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    for headers in (bearer(TOKEN + "x"), bearer(TOKEN[:-1]), {"Authorization": f"Basic {TOKEN}"}, bearer("é")):
        response = client.get("/metrics", headers=headers)
        assert response.status_code in (401, 403), headers
        assert error_code(response) in ("unauthorized", "forbidden")
    assert client.get("/metrics", headers=bearer(TOKEN + "x")).status_code == 403
    assert "chat_http_requests_total" not in client.get("/metrics", headers=bearer("nope")).get_data(as_text=True)


def test_the_token_opens_prometheus_text_and_openmetrics_on_request(client):
    response = client.get("/metrics", headers=bearer(TOKEN))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert response.headers["Cache-Control"] == "no-store"
    names = {family.name for family in text_string_to_metric_families(response.get_data(as_text=True))}
    assert {"chat_socket_connections", "chat_socket_events", "chat_socket_ack_seconds", "chat_http_requests",
            "chat_http_request_seconds", "chat_db_command_seconds", "chat_db_command_errors", "chat_mails",
            "chat_pushes", "chat_rate_limited", "process_open_fds"} <= names
    openmetrics = client.get("/metrics", headers={**bearer(TOKEN), "Accept": "application/openmetrics-text"})
    assert openmetrics.headers["Content-Type"].startswith("application/openmetrics-text")
    assert openmetrics.get_data(as_text=True).endswith("# EOF\n")


def test_signup_and_login_move_the_http_and_mail_counters(client, accounts):
    before = scrape(client)
    accounts.user()  # signup, verify from the mail, login
    after = scrape(client)
    for endpoint, method, status in (("auth.signup", "POST", "201"), ("auth.verify", "GET", "200"),
                                     ("auth.login", "POST", "200")):
        labels = {"endpoint": endpoint, "method": method, "status": status}
        assert value(after, "chat_http_requests_total", **labels) \
            == value(before, "chat_http_requests_total", **labels) + 1, endpoint
        assert value(after, "chat_http_request_seconds_count", endpoint=endpoint) \
            == value(before, "chat_http_request_seconds_count", endpoint=endpoint) + 1
    assert value(after, "chat_mails_total", outcome="sent") == value(before, "chat_mails_total", outcome="sent") + 1
    # The scrape before this one is counted too, by its route's name; an unknown path by "unmatched".
    assert value(after, "chat_http_requests_total", endpoint="metrics.scrape", method="GET", status="200") >= 1
    client.get("/no/such/path/123")
    assert value(scrape(client), "chat_http_requests_total", endpoint="unmatched", method="GET", status="404") == 1


def test_a_mail_the_transport_refuses_is_counted_as_failed(make_app, smtp):
    app = make_app(METRICS_TOKEN=TOKEN, SMTP_PORT=free_port())  # nothing listens there
    client = app.test_client()
    response = client.post("/signup", json={"username": "mailfail1", "email": "mailfail1@example.test",
                                            "password": "correct horse battery"})
    assert response.status_code == 201  # the mail is sent after the answer (chat/auth/outbox.py)
    scraped = scrape(client)
    assert value(scraped, "chat_mails_total", outcome="failed") == 1
    assert value(scraped, "chat_mails_total", outcome="sent") == 0


def test_socket_connections_events_acks_and_pushes(app, client, accounts, connect_socket):
    user = accounts.user()
    root = connect_socket(app, user, "/")
    self_chat = connect_socket(app, user, "/self")
    scraped = scrape(client)
    assert value(scraped, "chat_socket_connections", namespace="/") == 1
    assert value(scraped, "chat_socket_connections", namespace="/self") == 1

    assert root.emit("ping", callback=True)["ok"] is True
    refused = self_chat.emit("send-self-message", {"Content": ""}, callback=True, namespace="/self")
    assert refused["ok"] is False
    sent = self_chat.emit("send-self-message", {"Content": "hello"}, callback=True, namespace="/self")
    assert sent["ok"] is True
    scraped = scrape(client)
    assert value(scraped, "chat_socket_events_total", namespace="/", event="ping", outcome="ok") == 1
    assert value(scraped, "chat_socket_events_total", namespace="/self", event="send-self-message",
                 outcome=refused["error"]["code"]) == 1
    assert value(scraped, "chat_socket_events_total", namespace="/self", event="send-self-message",
                 outcome="ok") == 1
    assert value(scraped, "chat_socket_ack_seconds_count", namespace="/self", event="send-self-message") == 2
    assert value(scraped, "chat_socket_ack_seconds_bucket", namespace="/", event="ping", le="+Inf") == 1
    assert value(scraped, "chat_pushes_total", event="receive-self-message", outcome="sent") == 1

    root.disconnect()
    scraped = scrape(client)
    assert value(scraped, "chat_socket_connections", namespace="/") == 0
    assert value(scraped, "chat_socket_connections", namespace="/self") == 1


def test_a_refused_connect_is_not_an_open_connection(app, client, connect_socket):
    refused = connect_socket(app, namespace="/", auth={"access_token": "not-a-token"})
    assert not refused.is_connected("/")
    assert value(scrape(client), "chat_socket_connections", namespace="/") == 0


def test_database_commands_and_their_errors(app, client, db):
    before = scrape(client)
    db.users.find_one({"_id": "nobody"})
    with pytest.raises(Exception):  # noqa: B017  (the server refuses an unknown command)
        db.command("chatNoSuchCommand")
    after = scrape(client)
    assert value(after, "chat_db_command_seconds_count", command="find") \
        == value(before, "chat_db_command_seconds_count", command="find") + 1
    assert value(after, "chat_db_command_seconds_sum", command="find") \
        > value(before, "chat_db_command_seconds_sum", command="find")
    assert value(after, "chat_db_command_errors_total", command="chatNoSuchCommand") == 1
    assert value(after, "chat_db_command_errors_total", command="find") == 0


def test_rate_limit_refusals_by_category(make_app, connect_socket, smtp):
    app = make_app(METRICS_TOKEN=TOKEN, RATELIMIT_ENABLED=True, RATE_LIMIT_LOGIN_ACCOUNT="1/minute",
                   SOCKET_LIMIT_OTHER="1/minute")
    client = app.test_client()
    user = Accounts(client, smtp).user()  # its login uses the account's one login a minute
    again = client.post("/login", json={"login": user["username"], "password": user["password"]})
    assert again.status_code == 429
    root = connect_socket(app, user, "/")
    assert root.emit("ping", callback=True)["ok"] is True
    assert root.emit("ping", callback=True)["error"]["code"] == "rate_limited"
    scraped = scrape(client)
    assert value(scraped, "chat_rate_limited_total", category="http:auth.login") == 1
    assert value(scraped, "chat_rate_limited_total", category="other") == 1
    assert value(scraped, "chat_socket_events_total", namespace="/", event="ping", outcome="rate_limited") == 1
    assert value(scraped, "chat_http_requests_total", endpoint="auth.login", method="POST", status="429") == 1


def test_apps_in_one_process_count_apart(make_app):
    first, second = make_app(METRICS_TOKEN=TOKEN), make_app(METRICS_TOKEN=TOKEN)
    first.test_client().get("/health")
    first_scraped, second_scraped = scrape(first.test_client()), scrape(second.test_client())
    assert value(first_scraped, "chat_http_requests_total", endpoint="health.health", method="GET", status="200") == 1
    assert value(second_scraped, "chat_http_requests_total", endpoint="health.health", method="GET",
                 status="200") == 0


@pytest.mark.live
def test_live_server_scrape_sees_an_open_socket(smtp, tmp_path):
    server = start_live_server(smtp, tmp_path, METRICS_TOKEN=TOKEN)
    try:
        def live_scrape():
            response = requests.get(f"{server.url}/metrics", headers=bearer(TOKEN), timeout=10)
            assert response.status_code == 200, response.text
            return samples(response.text)

        assert requests.get(f"{server.url}/metrics", headers=bearer("wrong"), timeout=10).status_code == 403
        user = server.signup_verify_login(smtp)
        sockets = SocketRecorder(server.url, socket_auth(user), ["/", "/personal"]).connect()
        try:
            sockets.sync()
            scraped = live_scrape()
            assert value(scraped, "chat_socket_connections", namespace="/") == 1
            assert value(scraped, "chat_socket_connections", namespace="/personal") == 1
            assert value(scraped, "chat_socket_events_total", namespace="/", event="ping", outcome="ok") == 1
            assert value(scraped, "chat_http_requests_total", endpoint="auth.login", method="POST", status="200") == 1
            assert value(scraped, "chat_mails_total", outcome="sent") == 1
            assert value(scraped, "chat_db_command_seconds_count", command="find") > 0
        finally:
            sockets.close()
        deadline = time.monotonic() + DEADLINE
        while value(live_scrape(), "chat_socket_connections", namespace="/") != 0:
            assert time.monotonic() < deadline, "the gauge did not drop when the socket closed"
            time.sleep(0.1)
        assert value(live_scrape(), "chat_socket_connections", namespace="/personal") == 0
    finally:
        stop_live_server(server)
