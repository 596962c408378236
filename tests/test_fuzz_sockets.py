"""Random payloads at every client event of every namespace (hypothesis, Flask-SocketIO's test client).

Whatever arrives, the ack is `{"ok": true, ...}` or `{"ok": false, "error": {"code", "message"}}`, never
`internal_error`; the connection stays up; and a refused payload changes nothing in the database.
Payloads are random JSON (huge integers, long and unicode strings, Mongo operators, nesting) and, more
often, objects with the event's own keys holding real ids of the world below or values of the right
type, so that many get past the schema into the rules. A few valid ones succeed and change data: fine.
"""
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import fields

from chat.sockets import NAMESPACE_CLASSES
from conftest import bearer, error_code, snapshot

NAMESPACES = ("/", "/self", "/personal", "/group")
# Collected without an app, from the namespaces' own lists (test_every_event_is_fuzzed compares an app's).
EVENTS = [(handler.namespace, event) for handler in (cls() for cls in NAMESPACE_CLASSES)
          for event in handler.events()]
OPERATORS = [{"$ne": None}, {"$gt": ""}, {"$where": "1"}, {"$regex": ".*"}, {"$in": []}]
TEXT_KEYS = {"Content", "Name", "Description", "ClientId"}
# Strings that are valid JSON but that the database cannot store (lone surrogates), or that show nothing.
UNSTORABLE = ["\ud800", "a\udfffb", "\udbff\ud800", "\u200b\u200d\ufeff", "\x01\x02"]
ID_KINDS = {"ChatId": "chats", "GroupId": "groups", "MessageId": "messages", "Before": "messages",
            "After": "messages", "UpTo": "messages", "ReplyTo": "messages", "ThreadOf": "messages", "Partner": "users",
            "Member": "users", "UserIds": "users", "Participants": "users", "Attachments": "files"}
# react-message: real emoji (one, several, with modifiers and joiners), and what is not one.
EMOJI = ["👍", "❤️", "👍🏽", "👨‍👩‍👧", "1️⃣", "🇫🇷", "👍👍", "a", "1", "👍 ", "\u200d", "$gt", "a.b", "😀" * 33]


def event_schema(app, namespace, event):
    """The marshmallow schema (an instance) that an event's handler loads; None for events without fields."""
    handler = getattr(app.extensions["chat.namespaces"][namespace], "on_" + event.replace("-", "_"))
    schema = handler.schema()  # set by chat.sockets.base.event()
    return schema if schema.fields else None


@pytest.fixture
def world(app, client, accounts):
    """A user with a partner (a personal chat, messages both ways), a group of both, a public group of the
    partner's, a stranger and an unverified account; and their ids, by kind."""
    user, partner, stranger = accounts.user(), accounts.user(), accounts.user()
    unverified = accounts.signup()
    group = app.extensions["chat.services"].groups.create(user["id"], "Fuzz group", "", [partner["id"]])
    chat = client.get(f"/chats/personal/{partner['id']}/messages", headers=bearer(user["access"])).get_json()
    # A public group of the partner's, which the user may join (join-group, update-group).
    public = app.extensions["chat.services"].groups.create(partner["id"], "Open fuzz", "", [], True)
    ids = {"users": [user["id"], partner["id"], stranger["id"], unverified["id"]],
           "groups": [group.id, public.id],
           "chats": [chat["ChatId"], user["id"]], "messages": []}
    for sender, path in ((user, f"/chats/personal/{partner['id']}/messages"),
                         (partner, f"/chats/personal/{user['id']}/messages"),
                         (user, f"/groups/{group.id}/messages"),
                         (partner, f"/groups/{group.id}/messages"), (user, "/chats/self/messages")):
        sent = client.post(path, json={"Content": "hello"}, headers=bearer(sender["access"]))
        assert sent.status_code == 201, sent.get_json()
        ids["messages"].append(sent.get_json()["Message"]["MessageId"])
    # A thread: a reply in the personal chat's first message (fetch-thread, follow-thread, read-thread, cursors).
    reply = client.post(f"/chats/personal/{user['id']}/messages", json={"Content": "in a thread", "ThreadOf":
                        ids["messages"][0]}, headers=bearer(partner["access"]))
    assert reply.status_code == 201, reply.get_json()
    ids["messages"].append(reply.get_json()["Message"]["MessageId"])
    # Uploads: the user's (free to attach, until a send takes them), and one of the partner's.
    ids["files"] = []
    for owner, data in ((user, b"one"), (user, b"two"), (user, b"three"), (partner, b"theirs")):
        uploaded = client.post("/files", data={"file": (io.BytesIO(data), "f.txt")}, headers=bearer(owner["access"]),
                               content_type="multipart/form-data")
        assert uploaded.status_code == 201, uploaded.get_json()
        ids["files"].append(uploaded.get_json()["File"]["FileId"])
    return {"user": user, "partner": partner, "ids": ids}


def json_values(ids):
    """Any JSON value, weighted towards what breaks parsers and queries."""
    every_id = [i for kind in ids.values() for i in kind]
    leaves = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2 ** 63)
              | st.integers(max_value=-(2 ** 63)) | st.floats(allow_nan=False, allow_infinity=False)
              | st.text(max_size=40) | st.sampled_from(["", " ", "\x00", "\u202e", "😀" * 3, "x" * 100_001])
              | st.sampled_from(UNSTORABLE)
              | st.sampled_from(every_id) | st.sampled_from(OPERATORS))
    return st.recursive(leaves, lambda children: st.lists(children, max_size=4)
                        | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)


def plausible(key, field, ids):
    """Values of the right type for a field: real ids (of the right kind, or any) for id keys, odd text for
    the others. Hypothesis does not send a payload twice, so the few real ids soon give way to the rest."""
    if isinstance(field, fields.List):
        return st.lists(plausible(key, field.inner, ids), max_size=3)
    if isinstance(field, fields.Integer):
        return st.integers(min_value=-3, max_value=120) | st.integers()
    if isinstance(field, fields.Boolean):
        return st.booleans() | st.sampled_from([0, 1, "true", None])
    if key == "Emoji":
        return st.sampled_from(EMOJI) | st.text(min_size=1, max_size=4) | st.sampled_from(UNSTORABLE)
    if key in TEXT_KEYS:
        return (st.text(max_size=30) | st.text(min_size=1, max_size=5).map(lambda text: text * 1000)
                | st.sampled_from(["hi", "  padded  ", " \t\n ", "x" * 4001, "x" * 100_001, *UNSTORABLE]))
    every_id = [i for kind in ids.values() for i in kind]
    return st.sampled_from(ids[ID_KINDS.get(key, "users")]) | st.sampled_from(every_id) | st.text(max_size=30)


def payloads(schema, ids):
    """Mostly objects with the event's keys (the required ones present; values of the right type or of any;
    sometimes with unknown keys too), and now and then any JSON at all."""
    anything = json_values(ids)
    if schema is None:
        return st.just({}) | st.dictionaries(st.text(max_size=8), anything, max_size=2) | anything
    keys = {field.data_key or name: field for name, field in schema.fields.items()}

    def objects(value):
        required = {key: value(key, field) for key, field in keys.items() if field.required}
        optional = {key: value(key, field) for key, field in keys.items() if not field.required}
        return st.fixed_dictionaries(required, optional=optional)

    typed = objects(lambda key, field: plausible(key, field, ids))
    mixed = objects(lambda key, field: plausible(key, field, ids) | anything)
    extra = st.dictionaries(st.text(max_size=8), anything, min_size=1, max_size=2)
    return st.one_of(typed, mixed, st.tuples(mixed, extra).map(lambda pair: {**pair[1], **pair[0]}),
                     st.fixed_dictionaries({}, optional={key: anything for key in keys}), anything)


def test_every_event_is_fuzzed(app):
    registered = app.extensions["chat.namespaces"]
    assert set(registered) == set(NAMESPACES)
    assert sorted(EVENTS) == sorted((ns, event) for ns in NAMESPACES for event in registered[ns].events())


@pytest.mark.parametrize("namespace, event", [pytest.param(*item, id=" ".join(item)) for item in EVENTS])
def test_random_payloads_are_answered_and_refusals_change_nothing(app, db, world, connect_socket, namespace,
                                                                  event):
    socket = connect_socket(app, world["user"], namespace)
    partner_socket = connect_socket(app, world["partner"], namespace)  # so that pushes reach someone

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(payload=payloads(event_schema(app, namespace, event), world["ids"]))
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


# Found while fuzzing: a refused first use must not create the personal or self chat it would have used
# (explicit cases, since the world above has its chats already).

UNKNOWN_ID = "0123456789abcdef01234567"
FETCH_PERSONAL = ("/personal", "fetch-personal-chat")


@pytest.mark.parametrize("namespace, event, payload", [
    (*FETCH_PERSONAL, {"Partner": "{stranger}", "Before": UNKNOWN_ID}),
    (*FETCH_PERSONAL, {"Partner": "{stranger}", "After": UNKNOWN_ID}),
    (*FETCH_PERSONAL, {"Partner": "{stranger}", "Limit": 0}),
    ("/self", "fetch-self-chat", {"Before": UNKNOWN_ID}),
    ("/self", "send-self-message", {"Content": "   "}),
    ("/self", "send-self-message", {"Content": 5}),
    ("/self", "sync-chat", {"SinceRev": 1}),
    ("/self", "send-self-message", {"Content": "re", "ThreadOf": UNKNOWN_ID}),
    ("/self", "fetch-thread", {"MessageId": UNKNOWN_ID}),
    ("/self", "follow-thread", {"MessageId": UNKNOWN_ID, "On": True}),
    ("/self", "read-thread", {"MessageId": UNKNOWN_ID}),
])
def test_a_refused_first_use_creates_no_chat(app, db, accounts, connect_socket, namespace, event, payload):
    user, stranger = accounts.user(), accounts.user()
    payload = {key: value.format(stranger=stranger["id"]) if isinstance(value, str) else value
               for key, value in payload.items()}
    socket = connect_socket(app, user, namespace)
    before = snapshot(db)
    ack = socket.emit(event, payload, namespace=namespace, callback=True)
    assert error_code(ack) == "validation_error", ack
    assert snapshot(db) == before
