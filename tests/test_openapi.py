"""`GET /openapi.json`: a valid OpenAPI 3 document that cannot drift from the routes, and a fuzz run.

- The table in chat/openapi.py names every endpoint of app.url_map, and nothing else.
- What each route really loads (a spy on marshmallow's Schema.load) is what the table documents, as a
  query or as a JSON body; the token each route really accepts is its security scheme.
- schemathesis sends generated requests, valid and invalid, to a live server for every operation: no
  answer is a 5xx, every error is the JSON envelope, and the answers conform to the document.
"""
import io
import re

import marshmallow
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chat import create_app
from chat.openapi import build_spec, openapi_path
from conftest import SocketRecorder, bearer, error_code, socket_auth, start_live_server, stop_live_server

# The document only reads routes and schemas: an app built at import, before the session's database server
# is up, is pointed at a closed port and never reaches it.
UNREACHED = {"TESTING": True, "ASYNC_MODE": "threading", "MONGO_URI": "mongodb://127.0.0.1:9/?directConnection=true",
             "MONGO_TIMEOUT_MS": 50, "REDIS_URL": ""}


def routes(app):
    """[(rule, method)] for every served route but `static`."""
    return [(rule, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


@pytest.fixture
def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3(document):
    assert document["openapi"].startswith("3.")
    validate(document)


def test_schemathesis_loads_every_operation(document):
    operations = [result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()]
    assert len(operations) == sum(len(item) for item in document["paths"].values())


def test_served_without_auth_to_any_client(client):
    response = client.get("/openapi.json", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.is_json


def declared(app, rule):
    """The route's own declaration (chat.http.endpoint), which validates it and documents it."""
    return app.view_functions[rule.endpoint].operation


def test_every_endpoint_declares_what_it_loads_and_answers(app):
    undeclared = {rule.endpoint for rule, _ in routes(app) if not hasattr(app.view_functions[rule.endpoint],
                                                                          "operation")}
    assert undeclared == set(), "give these views an @endpoint(...) declaration (chat/http.py)"


def test_every_route_is_in_the_document_with_its_path_parameters(app, document):
    for rule, method in routes(app):
        operation = document["paths"][openapi_path(rule)][method.lower()]
        assert operation["operationId"] == rule.endpoint
        assert operation["summary"], f"{rule.endpoint}: give the view a docstring"
        path_parameters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert path_parameters == set(rule.arguments), rule.rule
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    assert documented == {(openapi_path(rule), method) for rule, method in routes(app)}


def test_errors_are_the_envelope_where_the_route_can_fail(app, document):
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert document["components"]["schemas"]["ErrorEnvelope"]["required"] == ["error"]
    assert document["components"]["schemas"]["Error"]["required"] == ["code", "message"]
    for rule, method in routes(app):
        operation = document["paths"][openapi_path(rule)][method.lower()]
        op, responses = declared(app, rule), operation["responses"]
        expected = ({"401"} if op.auth else set()) | ({"413", "422"} if op.body else set()) \
            | ({"422"} if op.query else set()) | ({"503"} if op.db else set())
        assert expected <= set(responses), rule.endpoint
        if rule.endpoint == "health.health":  # its 503 is a health report that carries the error
            continue
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == envelope, (rule.endpoint, status)
            if status in ("429", "503"):
                assert "Retry-After" in response["headers"], (rule.endpoint, status)
        assert ("requestBody" in operation) == bool(op.body or op.form or op.multipart), rule.endpoint
        query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        assert bool(query) == bool(op.query), rule.endpoint


def test_security_schemes_are_bearer_jwts_and_personal_tokens(document):
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {"accessToken", "refreshToken", "personalToken"}
    for name in ("accessToken", "refreshToken"):
        assert {key: schemes[name][key] for key in ("type", "scheme", "bearerFormat")} == \
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert {key: schemes["personalToken"][key] for key in ("type", "scheme")} == {"type": "http", "scheme": "bearer"}


# What the routes really do: every route is called in a world where each path parameter names
# something real, with an unknown query parameter and (unless GET) an unknown body key.

QUERY_PROBE, BODY_PROBE = "zz_query_probe", "zz_body_probe"
# Routes that drop unknown query parameters on purpose: an OpenID provider's redirect back carries parameters of its
# own (`iss`, `session_state`, Google's `authuser`, ...), which must not break a sign-in.
DROPS_UNKNOWN_QUERY = {"oidc.callback"}


@pytest.fixture
def world(app, client, accounts):
    """A user with a partner, a group, a message, and the values of the path parameters."""
    user, partner = accounts.user(), accounts.user()
    group = app.extensions["chat.services"].groups.create(user["id"], "Probe group", "", [partner["id"]])
    sent = client.post("/chats/self/messages", json={"Content": "hi"}, headers=bearer(user["access"]))
    assert sent.status_code == 201, sent.get_json()
    uploaded = client.post("/files", data={"file": (io.BytesIO(b"notes"), "n.txt")}, headers=bearer(user["access"]),
                           content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.get_json()
    values = {"file_id": uploaded.get_json()["File"]["FileId"],
              "user_id": partner["id"], "partner_id": partner["id"], "group_id": group.id,
              "message_id": sent.get_json()["Message"]["MessageId"], "chat_id": user["id"], "session_id": "s" * 32,
              "emoji": "👍", "name": "probe", "code": "probe-code", "report_id": "r" * 24, "token_id": "t" * 32,
              "bot_id": partner["id"], "webhook_id": "w" * 24, "secret": "s" * 43}
    return {"user": user, "values": values}


def probe(client, rule, method, values, token=None, form=False):
    """Call the route with the probes (a refused request changes nothing); form: post the body as a form."""
    path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)
    kwargs = {"query_string": {QUERY_PROBE: "1"}, "headers": bearer(token) if token else {}}
    if method != "GET":
        kwargs["data" if form else "json"] = {BODY_PROBE: 1}
    response = client.open(path, method=method, **kwargs)
    response.get_data()
    response.close()  # the page of `/` is a file
    return response


def test_routes_load_the_schemas_the_table_documents(app, client, accounts, world, monkeypatch):
    loaded = []
    real_load = marshmallow.Schema.load

    def spy(schema, data, *args, **kwargs):
        where = "query" if QUERY_PROBE in data else "body" if BODY_PROBE in data else "other"
        loaded.append((type(schema), where))
        return real_load(schema, data, *args, **kwargs)

    monkeypatch.setattr(marshmallow.Schema, "load", spy)
    for rule, method in routes(app):
        op = declared(app, rule)
        token = accounts.login(dict(world["user"]))[op.auth] if op.auth else None  # a session of its own
        loaded.clear()
        response = probe(client, rule, method, world["values"], token, form=bool(op.form))
        expected = {(op.query, "query")} if op.query else set()
        expected |= {(op.body or op.form, "body")} if op.body or op.form else set()
        assert set(loaded) == expected, (rule.endpoint, response.status_code, response.get_json(silent=True))
        if expected and rule.endpoint not in DROPS_UNKNOWN_QUERY:
            assert response.status_code == 422, rule.endpoint
            fields = response.get_json()["error"]["fields"]
            assert (QUERY_PROBE in fields) == bool(op.query) and (BODY_PROBE in fields) == bool(op.body or op.form)


def test_routes_accept_the_token_the_document_says(app, client, accounts, world):
    for rule, method in routes(app):
        op = declared(app, rule)
        tokens = accounts.login(dict(world["user"]))  # some routes use a session up
        for kind in (None, "access", "refresh"):
            response = probe(client, rule, method, world["values"], tokens[kind] if kind else None)
            refused = response.status_code == 401
            wanted = op.auth is not None and kind != op.auth
            assert refused == wanted, (rule.endpoint, kind, response.status_code)
            if refused:
                assert error_code(response) == "unauthorized"


# Found by fuzzing: a refused request must not create the personal or self chat it would have used.

UNKNOWN_ID = "0123456789abcdef01234567"
PERSONAL = "/chats/personal/{partner}/messages"


@pytest.mark.parametrize("method, path, kwargs", [
    ("GET", PERSONAL, {"query_string": {"limit": "0"}}),
    ("GET", PERSONAL, {"query_string": {"before": UNKNOWN_ID, "after": UNKNOWN_ID}}),
    ("POST", PERSONAL, {"json": {"Content": "   "}}),
    ("POST", PERSONAL, {"json": {"Content": 5}}),
    ("GET", "/chats/self/messages", {"query_string": {"limit": "abc"}}),
    ("POST", "/chats/self/messages", {"json": {"Content": "x" * 4001}}),
    ("GET", PERSONAL, {"query_string": {"before": UNKNOWN_ID}}),
    ("GET", "/chats/self/messages", {"query_string": {"after": UNKNOWN_ID}}),
])
def test_a_refused_first_use_creates_no_chat(client, db, accounts, method, path, kwargs):
    user, partner = accounts.user(), accounts.user()
    before = list(db["chats"].find())
    response = client.open(path.format(partner=partner["id"]), method=method, headers=bearer(user["access"]),
                           **kwargs)
    assert response.status_code == 422, response.get_json()
    assert list(db["chats"].find()) == before


# Fuzzing a live server with schemathesis. The document is that of an app built
# at import so that each operation is a test of its own (schemathesis.pytest.from_fixture breaks on
# pytest >= 9.2, which renamed Node._nodeid). A body too large for MAX_BODY_BYTES (a Content of
# 100 000 characters, invalid anyway) is rightly refused with 413.

REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
_spec_app = create_app(UNREACHED)
_spec = build_spec(_spec_app)
_spec_app.extensions["chat.store"].close()
rest_schema = schemathesis.openapi.from_dict(
    _spec, config=schemathesis.config.SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}}))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]
HTML_PATHS = {"/", "/verify", "/reset-password"}
REAL_PATH_VALUES = {}  # path parameter → an id of the fuzzing user's world (filled by `fuzz_user`)


@pytest.fixture(scope="module")
def fuzz_server(smtp, tmp_path_factory):
    """A live server of its own: fuzzing writes lots of junk, and must not meet rate limits."""
    server = start_live_server(smtp, tmp_path_factory.mktemp("fuzz"), RATELIMIT_ENABLED="false",
                               LOG_LEVEL="WARNING")
    yield server
    stop_live_server(server)


@pytest.fixture(scope="module")
def fuzz_user(fuzz_server, smtp):
    """The fuzzing user, with a partner, a personal chat, a group and a message of their own."""
    user, partner = fuzz_server.signup_verify_login(smtp), fuzz_server.signup_verify_login(smtp)
    url, headers = fuzz_server.url, bearer(user["access"])
    chat = requests.get(f"{url}/chats/personal/{partner['id']}/messages", headers=headers, timeout=10)
    sent = requests.post(f"{url}/chats/self/messages", json={"Content": "hi"}, headers=headers, timeout=10)
    uploaded = requests.post(f"{url}/files", files={"file": ("n.txt", b"notes")}, headers=headers, timeout=10)
    sockets = SocketRecorder(url, socket_auth(user), ["/group"]).connect()
    try:
        group = sockets.call("create-group-chat", {"Name": "Fuzz", "Participants": [partner["id"]]}, "/group")
    finally:
        sockets.close()
    assert chat.status_code == 200 and sent.status_code == 201 and group["ok"], (chat.text, sent.text, group)
    assert uploaded.status_code == 201, uploaded.text
    REAL_PATH_VALUES.update(user_id=partner["id"], partner_id=partner["id"], chat_id=chat.json()["ChatId"],
                            group_id=group["Group"]["GroupId"],
                            message_id=sent.json()["Message"]["MessageId"],
                            file_id=uploaded.json()["File"]["FileId"])
    yield user
    REAL_PATH_VALUES.clear()


@rest_schema.hook
def flatmap_path_parameters(context, path_parameters):
    """The generated path parameters, or real ids: bodies and queries get past the not_found checks too."""
    real = {name: REAL_PATH_VALUES[name] for name in path_parameters or () if name in REAL_PATH_VALUES}
    if not real:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, **real}])


def assert_error_envelope(case, response):
    """Every error is the JSON envelope (but the HTML pages of /, /verify and /reset-password)."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    if case.path in HTML_PATHS and content_type.startswith("text/html"):
        return
    assert content_type.startswith("application/json"), (content_type, response.text[:200])
    error = response.json()["error"]
    assert isinstance(error["code"], str) and re.fullmatch(r"[a-z_]+", error["code"]), error
    assert isinstance(error["message"], str) and error["message"], error
    assert set(error) <= {"code", "message", "fields"}, error
    if "fields" in error:
        assert error["code"] == "validation_error"
        for reasons in error["fields"].values():
            assert isinstance(reasons, list) and all(isinstance(reason, str) for reason in reasons), error


@pytest.mark.live
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@rest_schema.parametrize()
def test_fuzzing_finds_no_server_error(case, fuzz_server, fuzz_user):
    """No 5xx; errors are the envelope; the answers conform to the document."""
    token = fuzz_user["access"]
    if case.operation.path in ("/logout", "/refresh"):  # they end or rotate the session: use a new one
        session = fuzz_server.accounts().login(dict(fuzz_user))
        token = session["refresh" if case.operation.path == "/refresh" else "access"]
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    response = case.call(base_url=fuzz_server.url, timeout=10)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300],
                                        fuzz_server.log()[-3000:])
    assert_error_envelope(case, response)
    case.validate_response(response, checks=CHECKS)
