"""The docs cannot drift from the code.

- docs/asyncapi.yaml: the client→server events (`publish`) of every registered namespace equal the
  handlers' `.events()`, every registered namespace has a channel, and every event the code pushes
  is documented as a server→client event (`subscribe`).
- docs/api.md: every HTTP route appears as "METHOD /path", every documented endpoint heading exists,
  and every error code used in chat/ appears with its status.
"""
import re
from pathlib import Path

import pytest
import yaml

from chat import create_app
from chat.kernel import errors
from chat.kernel.kinds import message_events
from conftest import close_app, database_uri, unique

ROOT = Path(__file__).resolve().parent.parent
ASYNCAPI = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))
API_MD = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
CHAT_SOURCES = {path: path.read_text(encoding="utf-8") for path in sorted((ROOT / "chat").rglob("*.py"))}

# The codes SPEC.md names, plus the ones the implementation adds: the greps below must find at least these,
# so that a refactor that hides codes from them fails here instead of silently checking less.
KNOWN_CODES = {"validation_error", "invalid_credentials", "unauthorized", "token_expired", "token_revoked",
               "email_not_verified", "forbidden", "not_found", "username_taken", "email_taken",
               "invalid_token", "rate_limited", "payload_too_large", "unavailable", "method_not_allowed",
               "internal_error", "unknown_event"}


@pytest.fixture(scope="module")
def docs_app():
    """An app on the session's database server, whatever the environment says about Redis."""
    app = create_app({"TESTING": True, "ASYNC_MODE": "threading", "MONGO_URI": database_uri(), "REDIS_URL": "",
                      "MONGO_DB": unique("docs_")})
    yield app
    close_app(app)


# AsyncAPI helpers

def resolve(node):
    """Follow local `$ref`s ("#/components/...") to the node they point at."""
    while isinstance(node, dict) and "$ref" in node:
        target = ASYNCAPI
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def event_names(namespace, operation):
    """The message names of a channel's operation (`publish`: client→server, `subscribe`: server→client)."""
    op = ASYNCAPI["channels"][namespace].get(operation)
    if op is None:
        return []
    message = resolve(op["message"])
    messages = message["oneOf"] if "oneOf" in message else [message]
    return sorted(resolve(m)["name"] for m in messages)


def test_asyncapi_marks_every_operation_with_its_direction():
    assert ASYNCAPI["asyncapi"].startswith("2.6")
    for namespace, channel in ASYNCAPI["channels"].items():
        assert channel["publish"]["x-direction"] == "client-to-server", namespace
        assert channel["subscribe"]["x-direction"] == "server-to-client", namespace
        for name in event_names(namespace, "publish"):
            assert re.fullmatch(r"[a-z]+(-[a-z]+)*", name), name
        client_messages = [resolve(m) for m in resolve(channel["publish"]["message"])["oneOf"]]
        without_ack = [m["name"] for m in client_messages if "x-ack" not in m]
        assert not without_ack, f"{namespace}: client events without an x-ack schema: {without_ack}"


@pytest.mark.parametrize("namespace", sorted(ASYNCAPI["channels"]))
def test_asyncapi_client_events_equal_the_handlers(docs_app, namespace):
    registered = docs_app.extensions["chat.namespaces"]
    assert namespace in registered, f"{namespace} is documented in docs/asyncapi.yaml but not registered"
    assert event_names(namespace, "publish") == registered[namespace].events()


def test_every_registered_namespace_is_in_the_asyncapi(docs_app):
    missing = set(docs_app.extensions["chat.namespaces"]) - set(ASYNCAPI["channels"])
    assert not missing, f"namespaces without a channel in docs/asyncapi.yaml: {sorted(missing)}"


# The first argument of emit(...), emit_to_users(...), _to_group(...), _relay_typing(...), answer(...) (what a
# new socket is told) and the like, when it is a literal, and a handler's echo="..."; in an f-string
# (f"group-message-{verb}") each {…} stands for any word.
PUSH_CALL = re.compile(r"(?:\b\w*(?:emit|relay|announce|to_group|answer)\w*\(\s*|\becho=)f?\"([a-z][a-z{}_-]*)\"")


def test_every_pushed_event_is_documented():
    documented = {name for namespace in ASYNCAPI["channels"] for name in event_names(namespace, "subscribe")}
    pushed = {name for source in CHAT_SOURCES.values() for name in PUSH_CALL.findall(source)}
    pushed |= set(message_events())  # named by the table of kinds (chat/kernel/kinds.py), not by a literal
    assert {"user-id", "presence", "session-ended", "receive-personal-message", "member-added"} <= pushed, \
        "the grep broke"
    undocumented = sorted(name for name in pushed
                          if not any(re.fullmatch(re.sub(r"\\\{\w*\\\}", "[a-z]+", re.escape(name)), event)
                                     for event in documented))
    assert not undocumented, f"pushed but not in docs/asyncapi.yaml: {undocumented}"


# api.md helpers

def placeholders(text):
    """`/users/<user_id>` and `/users/<id>` both become `/users/<>`."""
    return re.sub(r"<[^<>\s]*>", "<>", text)


def test_every_route_is_in_api_md(docs_app):
    text = placeholders(API_MD)
    missing = []
    for rule in docs_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            entry = f"{method} {placeholders(rule.rule)}"
            if not re.search(re.escape(entry) + r"(?![\w/<>-])", text):
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"routes missing from docs/api.md: {missing}"


def test_every_endpoint_heading_in_api_md_exists(docs_app):
    routes = {(method, placeholders(rule.rule)) for rule in docs_app.url_map.iter_rules()
              for method in rule.methods}
    headings = re.findall(r"^### `([A-Z]+) (/[^`?\s]*)[^`]*`", API_MD, re.MULTILINE)
    assert headings, "no endpoint headings found"
    stale = [f"{method} {path}" for method, path in headings if (method, placeholders(path)) not in routes]
    assert not stale, f"documented in docs/api.md but not served: {stale}"


def error_codes_in_code():
    """Every error code spelled in chat/: ApiError("…"), conflict("…"), {"code": "…"}, the HTTP status map."""
    codes = set()
    for source in CHAT_SOURCES.values():
        codes.update(re.findall(r"\bApiError\(\s*\"([a-z_]+)\"", source))
        codes.update(re.findall(r"\bconflict\(\s*\"([a-z_]+)\"", source))
        codes.update(re.findall(r"\"code\":\s*\"([a-z_]+)\"", source))
    status_map = re.search(r"code = \{(.*?)\}\.get\(status, \"([a-z_]+)\"\)",
                           CHAT_SOURCES[ROOT / "chat" / "error_handlers.py"], re.DOTALL)
    assert status_map, "the HTTP status → code map in chat/error_handlers.py moved; update this test"
    codes.update(re.findall(r"\"([a-z_]+)\"", status_map.group(1)))
    codes.add(status_map.group(2))
    return codes


def test_every_error_code_is_in_api_md():
    codes = error_codes_in_code()
    assert KNOWN_CODES <= codes, f"the grep missed {sorted(KNOWN_CODES - codes)}"
    missing = sorted(code for code in codes if f"`{code}`" not in API_MD)
    assert not missing, f"error codes missing from docs/api.md: {missing}"


@pytest.mark.parametrize("error", [
    errors.validation_error({}), errors.invalid_credentials(), errors.unauthorized(), errors.token_expired(),
    errors.token_revoked(), errors.email_not_verified(), errors.forbidden(), errors.not_found(),
    errors.conflict("username_taken", ""), errors.conflict("email_taken", ""), errors.invalid_token(),
    errors.rate_limited(1), errors.payload_too_large(), errors.unavailable(),
], ids=lambda error: error.code)
def test_api_md_gives_each_error_its_status(error):
    assert f"| `{error.code}` | {error.status} |" in API_MD


# docs/operations.md helpers

OPERATIONS_MD = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def test_operations_md_lists_every_setting():
    settings = set(re.findall(r'get\("([A-Z0-9_]+)"', CHAT_SOURCES[ROOT / "chat" / "kernel" / "config.py"]))
    assert {"MONGO_URI", "REDIS_URL", "PRESENCE_TTL", "JWT_SECRET_KEY"} <= settings, "the grep broke"
    table_rows = [line for line in OPERATIONS_MD.splitlines() if line.startswith("| ")]
    missing = sorted(name for name in settings if not any(f"`{name}`" in row for row in table_rows))
    assert not missing, f"settings missing from the table in docs/operations.md: {missing}"


def test_operations_md_names_what_the_code_puts_in_redis():
    manager = CHAT_SOURCES[ROOT / "chat" / "sockets" / "manager.py"]
    presence = CHAT_SOURCES[ROOT / "chat" / "sockets" / "presence_redis.py"]
    [channel] = re.findall(r'channel="([^"]+)"', manager)
    [prefix] = re.findall(r'prefix="([^"]+)"', presence)
    assert f"`{channel}`" in OPERATIONS_MD
    assert f"`{prefix}<user id>`" in OPERATIONS_MD


def test_the_nginx_example_outlasts_the_ping_cycle():
    from chat.kernel.config import Config
    defaults = Config({})
    timeouts = [int(t) for t in re.findall(r"proxy_read_timeout (\d+)s;", OPERATIONS_MD)]
    assert timeouts, "no proxy_read_timeout in docs/operations.md"
    assert min(timeouts) > defaults.SOCKET_PING_INTERVAL + defaults.SOCKET_PING_TIMEOUT


def test_readme_points_to_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/operations.md)" in readme and "(docs/api.md)" in readme
