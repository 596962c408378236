"""Random payloads at every client event of every namespace (hypothesis, through Flask-SocketIO's test client).

Whatever arrives, the ack is `{"ok": true, ...}` or `{"ok": false, "error": {"code", "message"}}`, never
`internal_error`; the connection stays up; and a refused payload changes nothing in the database. Payloads
are random JSON (huge integers, long and unicode strings, Mongo operators, nesting) and, more often, objects
with the event's own keys holding real ids of the world below or random values, so that many of them get
past the schema into the rules. A few valid ones succeed and change data: that is fine.
"""
import inspect

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import fields

from chat.sockets import NAMESPACE_CLASSES
from conftest import bearer

NAMESPACES = ("/", "/self", "/personal", "/group")
OPERATORS = [{"$ne": None}, {"$gt": ""}, {"$where": "1"}, {"$regex": ".*"}, {"$in": []}]


def event_schema(app, namespace, event):
    """The marshmallow schema instance an event's handler loads (None for events without fields)."""
    handler = getattr(app.extensions["chat.namespaces"][namespace], "on_" + event.replace("-", "_"))
    loader = inspect.getclosurevars(handler).nonlocals["loader"]  # set by chat.sockets.base.event()
    return loader if hasattr(loader, "fields") else None


def all_events(app):
    return [(namespace, event) for namespace in NAMESPACES
            for event in app.extensions["chat.namespaces"][namespace].events()]


@pytest.fixture
def world(app, client, accounts):
    """A user with a partner (personal chat, messages both ways), a group with both, a stranger, an
    unverified account; and the ids of all of it."""
    user, partner, stranger = accounts.user(), accounts.user(), accounts.user()
    unverified = accounts.signup()
    services = app.extensions["chat.services"]
    group = services.groups.create(user["id"], "Fuzz group", "about fuzzing", [partner["id"]])
    history = client.get(f"/chats/personal/{partner['id']}/messages", headers=bearer(user["access"])).get_json()
    ids = {"users": [user["id"], partner["id"], stranger["id"], unverified["id"]], "groups": [group["_id"]],
           "chats": [history["ChatId"], user["id"]], "messages": []}
    for sender, path in ((user, f"/chats/personal/{partner['id']}/messages"),
                         (partner, f"/chats/personal/{user['id']}/messages"),
                         (user, f"/groups/{group['_id']}/messages"), (partner, f"/groups/{group['_id']}/messages"),
                         (user, "/chats/self/messages")):
        sent = client.post(path, json={"Content": "hello", "ClientId": "c1"}, headers=bearer(sender["access"]))
        assert sent.status_code == 201, sent.get_json()
        ids["messages"].append(sent.get_json()["Message"]["MessageId"])
    return {"user": user, "partner": partner, "ids": ids}


def json_values(ids):
    """Any JSON value, weighted towards what breaks parsers and queries."""
    leaves = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2 ** 63)
              | st.integers(max_value=-(2 ** 63)) | st.floats(allow_nan=False, allow_infinity=False)
              | st.text(max_size=40) | st.sampled_from(["", " ", "\x00", "\u202e", "😀" * 3, "x" * 100_001])
              | st.sampled_from([i for kind in ids.values() for i in kind]) | st.sampled_from(OPERATORS))
    return st.recursive(leaves, lambda children: st.lists(children, max_size=4)
                        | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)


TEXT_KEYS = {"Content", "Name", "Description", "ClientId"}
ID_KINDS = {"ChatId": "chats", "GroupId": "groups", "MessageId": "messages", "Before": "messages",
            "After": "messages", "UpTo": "messages", "Partner": "users", "Member": "users", "UserIds": "users",
            "Participants": "users"}


def plausible(key, field, ids):
    """Values of the right type for a schema field: real ids (of the right kind, or any) for id keys, odd
    text for the others. (Hypothesis skips payloads it has sent before, so the few real ids run out soon.)"""
    if isinstance(field, fields.List):
        return st.lists(plausible(key, field.inner, ids), max_size=6)
    if isinstance(field, fields.Integer):
        return st.integers(min_value=-3, max_value=120) | st.integers()
    if key in TEXT_KEYS:
        return (st.text(max_size=30) | st.text(min_size=1, max_size=5).map(lambda s: s * 1000)
                | st.sampled_from(["hi", "  padded  ", " \t\n ", "x" * 4001, "x" * 100_001]))
    every_id = [i for kind in ids.values() for i in kind]
    return st.sampled_from(ids[ID_KINDS.get(key, "users")]) | st.sampled_from(every_id) | st.text(max_size=30)


def payloads(schema, ids):
    """Payloads for an event: mostly objects with the event's keys (required ones present, with values
    of the right type or not, sometimes with extra keys), and now and then any JSON at all."""
    anything = json_values(ids)
    if schema is None:
        return st.one_of(st.just({}), st.just({}), st.dictionaries(st.text(max_size=8), anything, max_size=2),
                         anything)
    keys = {field.data_key or name: field for name, field in schema.fields.items()}

    def objects(value):
        return st.fixed_dictionaries({key: value(key, field) for key, field in keys.items() if field.required},
                                     optional={key: value(key, field) for key, field in keys.items()
                                               if not field.required})

    typed = objects(lambda key, field: plausible(key, field, ids))
    mixed = objects(lambda key, field: plausible(key, field, ids) | anything)
    extra = st.dictionaries(st.text(max_size=8), anything, min_size=1, max_size=2)
    return st.one_of(typed, typed, typed, mixed, st.tuples(mixed, extra).map(lambda pair: {**pair[1], **pair[0]}),
                     st.fixed_dictionaries({}, optional={key: anything for key in keys}), anything)


def snapshot(db):
    """Every document of every collection."""
    return {name: sorted(db[name].find(), key=lambda doc: str(doc["_id"])) for name in sorted(db.list_collection_names())}


def test_every_event_is_fuzzed(app):
    assert sorted(EVENTS) == sorted(all_events(app))
    assert set(app.extensions["chat.namespaces"]) == set(NAMESPACES), "a new namespace: add it to NAMESPACES"


# Collected without an app: the namespaces' own lists (test_every_event_is_fuzzed checks them against an app's).
EVENTS = [(handler.namespace, event) for handler in map(lambda cls: cls(), NAMESPACE_CLASSES) for event in handler.events()]


@pytest.mark.parametrize("namespace, event", [pytest.param(ns, event, id=f"{ns} {event}") for ns, event in EVENTS])
def test_random_payloads_are_answered_and_refusals_change_nothing(app, db, world, connect_socket, namespace, event):
    schema = event_schema(app, namespace, event)
    socket = connect_socket(app, world["user"], namespace)
    partner_socket = connect_socket(app, world["partner"], namespace)  # so that pushes have someone to reach

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(payload=payloads(schema, world["ids"]))
    def answered(payload):
        before = snapshot(db)
        ack = socket.emit(event, payload, namespace=namespace, callback=True)
        assert isinstance(ack, dict) and ack.get("ok") in (True, False), ack
        assert socket.is_connected(namespace), "the connection was dropped"
        if not ack["ok"]:
            error = ack["error"]
            assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), ack
            assert error["code"] != "internal_error", ack
            assert snapshot(db) == before, f"refused ({error['code']}) but the database changed"
        socket.get_received(namespace)
        partner_socket.get_received(namespace)

    answered()
