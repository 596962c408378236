"""Strings the rules refuse at the edge, and read state across Seq gaps.

- A string that cannot be stored (a lone UTF-16 surrogate, JSON "\\ud800") is a `validation_error` in every
  input schema, on sockets and REST alike, before anything is allocated or created: no Seq taken, no chat
  created, no 500 and no traceback.
- Content that shows nothing (only whitespace, control, zero-width or other invisible characters) is empty.
- Usernames are letters, digits and "_.-" only: no bidi override, zero-width or control character, not even a
  final newline.
- `GET /verify?token=` (an empty token) is `400 invalid_token`, as an unknown token is.
- A read of the newest stored message, with or without UpTo, clears a gap at the top of the Seqs.
"""
import json

import pytest
import requests
from marshmallow import Schema, ValidationError, fields
from pymongo import MongoClient

from chat.kernel.errors import ApiError
from chat.kernel.fields import Storable, Text, storable
from chat.kernel.kinds import ChatRef
from chat.sockets import NAMESPACE_CLASSES
from conftest import PASSWORD, bearer, database_uri, error_code, snapshot, unchanged, unique

LONE = "\ud800"  # json.dumps (Flask's test client, requests, python-socketio) sends it as the escape "\ud800"
UNSTORABLE = [LONE, "\udfff", f"ok {LONE} ok", "\udc00\ud800"]  # high, low, inside text, reversed pair
SHOWS_NOTHING = ["\u200b", "\u200b\u200c\u200d\u2060\ufeff", "\x00", "\x07\x1b\x7f", " \u200b \n\t ", "\u202e",
                 "\u2066\u2069", "\u200e\u200f", "\ufe0f", "\u3164", "\u00ad", "\x85"]
SHOWS_SOMETHING = ["a\u200bb", "\U0001f600", "\u2764\ufe0f", "line one\nline two", "\u05e9\u05dc\u05d5\u05dd"]
BAD_USERNAMES = ["ali\u202ece", "\u202ealice", "\u2066bob\u2069", "bo\u200bb", "alice\n", "al\x00ice", "\ufeffalice",
                 "al\u202aice", "al\u2067ice", "caf\u00e9", LONE * 3]


# One rule for every string field

def walk(field):
    """field and every field inside it (list items, dict keys and values, nested schemas, tuples)."""
    yield field
    inner = [getattr(field, "inner", None), getattr(field, "key_field", None), getattr(field, "value_field", None),
             *getattr(field, "tuple_fields", ())]
    if isinstance(field, fields.Nested):
        inner += list(field.schema.fields.values())
    for child in inner:
        if child is not None:
            yield from walk(child)


def input_schemas(app):
    """{name: schema class} of every schema an endpoint or a socket handler loads input with."""
    found = {}
    for endpoint, view in app.view_functions.items():
        operation = getattr(view, "operation", None)
        for schema in (operation.query, operation.body) if operation else ():
            if schema is not None:
                found[f"{endpoint} {schema.__name__}"] = schema
    namespaces = app.extensions["chat.namespaces"]
    for namespace, handler in namespaces.items():
        for event in handler.events():
            schema = getattr(handler, "on_" + event.replace("-", "_")).schema
            found[f"{namespace} {event} {schema.__name__}"] = schema
    return found


def test_every_string_field_of_every_input_schema_refuses_what_cannot_be_stored(app):
    schemas = input_schemas(app)
    names = {schema.__name__ for schema in schemas.values()}
    # The walk really reaches REST bodies, query strings and socket payloads of every namespace.
    assert {"SignupSchema", "LoginSchema", "VerifyQuerySchema", "SearchQuerySchema", "HistoryQuerySchema",
            "SendBodySchema", "EditBodySchema", "SendPersonalSchema", "SendGroupSchema", "SendSchema",
            "CreateGroupSchema", "OnlineInfoSchema"} <= names
    assert {namespace for namespace, *_ in (key.split() for key in schemas)} >= {"/", "/self", "/personal",
                                                                                 "/group"}
    assert len(NAMESPACE_CLASSES) == len(app.extensions["chat.namespaces"])
    strings, unsafe = 0, []
    for where, schema in schemas.items():
        assert issubclass(schema, Schema), where
        for name, field in schema().fields.items():
            for part in walk(field):
                if isinstance(part, fields.String):
                    strings += 1
                    if not isinstance(part, Storable):
                        unsafe.append(f"{where}.{name}: {type(part).__name__}")
    assert strings > 40 and unsafe == []


@pytest.mark.parametrize("value", UNSTORABLE)
def test_text_refuses_a_lone_surrogate(value):
    class One(Schema):
        Content = Text()
    assert not storable(value)
    with pytest.raises(ValidationError) as refused:
        One().load({"Content": value})
    assert "Content" in refused.value.messages
    # JSON's escaped pair "\ud83d\ude00" decodes to one character, which is fine.
    emoji = json.loads('"\\ud83d\\ude00 ok"')
    assert emoji == "\U0001f600 ok" and One().load({"Content": emoji}) == {"Content": emoji}


# Unstorable strings, in-process (Flask's and Flask-SocketIO's test clients)

class World:
    """Alice and Bob with a personal chat and a group (a message in each); Carol, whom nobody has written to yet.
    Alice has no self chat yet."""

    def __init__(self, app, accounts, connect_socket):
        self.app, self.client, self.db = app, app.test_client(), app.extensions["chat.store"].db
        self.alice, self.bob, self.carol = accounts.user(), accounts.user(), accounts.user()
        self.sockets = {ns: connect_socket(app, self.alice, ns) for ns in ("/", "/self", "/personal", "/group")}
        self.chat_id = self.call("/personal", "fetch-personal-chat", Partner=self.bob["id"])["ChatId"]
        self.personal = self.call("/personal", "send-personal-message", ChatId=self.chat_id, Content="hi")["Message"]
        group = self.call("/group", "create-group-chat", Name="Team", Participants=[self.bob["id"]])["Group"]
        self.group_id = group["GroupId"]
        self.call("/group", "send-group-message", GroupId=self.group_id, Content="hello team")

    def call(self, namespace, event, **payload):
        return self.sockets[namespace].emit(event, payload, namespace=namespace, callback=True)

    def rest(self, method, path, body, user=None):
        user = user or self.alice
        return getattr(self.client, method)(path, json=body, headers=bearer(user["access"]))

    def fields_of(self, answer):
        if isinstance(answer, dict):
            return answer["error"].get("fields", {})
        return answer.get_json()["error"].get("fields", {})


@pytest.fixture
def world(app, accounts, connect_socket):
    return World(app, accounts, connect_socket)


def content_requests(w, content, client_id=None):
    """(name, thunk) of every way to send or edit content; client_id, when given, goes in place of a good one."""
    extra = {"ClientId": client_id} if client_id is not None else {}
    body = {"Content": content, **extra}
    personal, group = f"/chats/personal/{w.bob['id']}/messages", f"/groups/{w.group_id}/messages"
    cases = [
        ("socket send-self-message (first: would create the self chat)",
         lambda: w.call("/self", "send-self-message", **body)),
        ("socket send-personal-message", lambda: w.call("/personal", "send-personal-message", ChatId=w.chat_id,
                                                         **body)),
        ("socket send-group-message", lambda: w.call("/group", "send-group-message", GroupId=w.group_id, **body)),
        ("REST send, personal", lambda: w.rest("post", personal, body)),
        ("REST send, first message to Carol (would create the chat)",
         lambda: w.rest("post", f"/chats/personal/{w.carol['id']}/messages", body)),
        ("REST send, self (first: would create the self chat)", lambda: w.rest("post", "/chats/self/messages", body)),
        ("REST send, group", lambda: w.rest("post", group, body)),
    ]
    if client_id is None:
        cases += [
            ("socket edit-personal-message", lambda: w.call("/personal", "edit-personal-message", ChatId=w.chat_id,
                                                             MessageId=w.personal["MessageId"], Content=content)),
            ("REST edit", lambda: w.rest("patch", f"/messages/{w.personal['MessageId']}", {"Content": content})),
        ]
    return cases


def assert_refused(w, answer, field, name=""):
    if not isinstance(answer, dict):
        assert answer.status_code == 422, (name, answer.status_code, answer.get_json())
    assert error_code(answer) == "validation_error", (name, answer)
    assert field in w.fields_of(answer), (name, answer)


@pytest.mark.parametrize("value", UNSTORABLE)
def test_unstorable_content_or_client_id_is_refused_before_anything_is_written(world, value):
    for field, cases in (("Content", content_requests(world, value)),
                         ("ClientId", content_requests(world, "fine", client_id=value))):
        for name, request in cases:
            with unchanged(world.db):  # no Seq taken, no chat created, no message stored or edited
                assert_refused(world, request(), field, name)
    assert world.db.chats.find_one({"_id": world.alice["id"]}) is None  # no self chat


def test_the_message_service_checks_every_string_before_it_takes_a_seq(world):
    """The schemas refuse these first; the service, called directly, still takes no Seq and creates no chat."""
    messages = world.app.extensions["chat.services"].messages
    alice = {"id": world.alice["id"], "username": world.alice["username"]}
    refs = [ChatRef.self_chat(), ChatRef.personal(partner_id=world.carol["id"]), ChatRef.personal(world.chat_id),
            ChatRef.group(world.group_id)]
    for ref in refs:
        for content, client_id, field in ((LONE, None, "Content"), ("\u200b", None, "Content"),
                                          ("fine", LONE, "ClientId")):
            with unchanged(world.db), pytest.raises(ApiError) as refused:
                messages.send(alice, ref, content, client_id)
            assert refused.value.code == "validation_error" and field in refused.value.fields, (ref, field)
    with unchanged(world.db), pytest.raises(ApiError):
        messages.edit(world.alice["id"], world.personal["MessageId"], LONE)


@pytest.mark.parametrize("field", ["Name", "Description"])
def test_unstorable_group_name_or_description_is_refused(world, field):
    payload = {"Name": "Fine", "Description": "fine", "Participants": [world.bob["id"]], field: f"x{LONE}"}
    with unchanged(world.db, *world.db.list_collection_names()):
        assert_refused(world, world.call("/group", "create-group-chat", **payload), field)


def test_unstorable_ids_and_queries_are_refused(world):
    with unchanged(world.db, *world.db.list_collection_names()):
        assert_refused(world, world.call("/personal", "read-personal-message", ChatId=world.chat_id, UpTo=LONE),
                       "UpTo")
        assert_refused(world, world.call("/personal", "fetch-personal-chat", Partner=LONE), "Partner")
        assert_refused(world, world.call("/", "get-online-info", UserIds=[LONE]), "UserIds.0")
        assert_refused(world, world.rest("post", f"/chats/{world.chat_id}/read", {"UpTo": LONE}), "UpTo")


def test_unstorable_passwords_and_logins_are_422_not_500(client, db, accounts):
    user = accounts.user()
    name = unique()
    with unchanged(db, "users", "sessions", "tokens"):
        signup = client.post("/signup", json={"username": name, "email": f"{name}@example.test",
                                              "password": LONE * 8})
        assert signup.status_code == 422 and "password" in signup.get_json()["error"]["fields"]
        for body, field in (({"login": user["username"], "password": LONE}, "password"),
                            ({"login": LONE, "password": PASSWORD}, "login"),
                            ({"login": f"{LONE}@example.test", "password": PASSWORD}, "login")):
            login = client.post("/login", json=body)
            assert login.status_code == 422 and field in login.get_json()["error"]["fields"], login.get_json()
        resend = client.post("/resend", json={"email": f"a{LONE}@example.test"})
        assert resend.status_code == 422 and "email" in resend.get_json()["error"]["fields"]
    assert db.users.find_one({"username_lower": name}) is None


# Content that shows nothing

@pytest.mark.parametrize("content", SHOWS_NOTHING, ids=ascii)
def test_content_that_shows_nothing_is_empty(world, content):
    for name, request in content_requests(world, content):
        with unchanged(world.db):
            assert_refused(world, request(), "Content", name)


@pytest.mark.parametrize("content", SHOWS_SOMETHING, ids=ascii)
def test_content_with_something_to_show_is_stored(world, content):
    ack = world.call("/personal", "send-personal-message", ChatId=world.chat_id, Content=content)
    assert ack["ok"] is True and ack["Message"]["Content"] == content.strip(), ack
    sent = world.rest("post", f"/groups/{world.group_id}/messages", {"Content": content})
    assert sent.status_code == 201 and sent.get_json()["Message"]["Content"] == content.strip()


# Usernames

@pytest.mark.parametrize("username", BAD_USERNAMES, ids=ascii)
def test_usernames_refuse_bidi_zero_width_and_control_characters(make_app, username):
    app = make_app(RATELIMIT_ENABLED=False)
    client, db = app.test_client(), app.extensions["chat.store"].db
    with unchanged(db, "users", "tokens"):
        answer = client.post("/signup", json={"username": username, "email": f"{unique()}@example.test",
                                              "password": PASSWORD})
        assert answer.status_code == 422, answer.get_json()
        assert list(answer.get_json()["error"]["fields"]) == ["username"]


# The empty verification token

def test_an_empty_verification_token_is_invalid_token(client, db):
    with unchanged(db, "users", "tokens"):
        answer = client.get("/verify?token=")
        assert answer.status_code == 400 and error_code(answer) == "invalid_token", answer.get_json()
        page = client.get("/verify?token=", headers={"Accept": "text/html"})
        assert page.status_code == 400 and page.mimetype == "text/html" and b"does not work" in page.data
        # A missing or repeated token is a malformed request, as documented.
        assert client.get("/verify").status_code == 422
        assert client.get("/verify?token=a&token=b").status_code == 422


# Read state across Seq gaps

def inbox_unread(w, user, chat_id):
    entries = w.rest("get", "/chats?per_page=100", None, user).get_json()["entries"]
    [entry] = [e for e in entries if e.get("ChatId", e.get("GroupId")) == chat_id]
    return entry["Unread"]


def gap_at_the_top(w, chat_id, taken=2):
    """Seqs taken by sends that failed after taking them: the chat's Seq is above its newest message."""
    w.db.chats.update_one({"_id": chat_id}, {"$inc": {"seq": taken}})


@pytest.mark.parametrize("how", ["socket", "REST"])
@pytest.mark.parametrize("up_to", ["newest stored message", "no UpTo"])
def test_reading_the_newest_stored_message_clears_a_gap_at_the_top(world, how, up_to):
    w = world
    sent = w.rest("post", f"/chats/personal/{w.alice['id']}/messages", {"Content": "two"}, w.bob).get_json()
    gap_at_the_top(w, w.chat_id)
    assert inbox_unread(w, w.alice, w.chat_id) == 3  # Bob's message and the two empty Seqs above it
    body = {"UpTo": sent["Message"]["MessageId"]} if up_to != "no UpTo" else {}
    if how == "socket":
        answer = w.call("/personal", "read-personal-message", ChatId=w.chat_id, **body)
        assert answer["ok"] is True and answer["Moved"] is True, answer
    else:
        answer = w.rest("post", f"/chats/{w.chat_id}/read", body)
        assert answer.status_code == 200 and answer.get_json()["Moved"] is True
    assert inbox_unread(w, w.alice, w.chat_id) == 0
    assert w.db.chats.find_one({"_id": w.chat_id})["reads"][w.alice["id"]] == w.db.chats.find_one(
        {"_id": w.chat_id})["seq"]


def test_a_gap_at_the_top_of_a_group_is_cleared_by_reading_the_newest_message(world):
    w = world
    sent = w.rest("post", f"/groups/{w.group_id}/messages", {"Content": "from bob"}, w.bob).get_json()["Message"]
    gap_at_the_top(w, w.group_id, taken=3)
    assert inbox_unread(w, w.alice, w.group_id) == 4
    ack = w.call("/group", "read-group-message", GroupId=w.group_id, UpTo=sent["MessageId"])
    assert ack["ok"] is True and ack["Moved"] is True
    assert inbox_unread(w, w.alice, w.group_id) == 0


def test_reading_an_older_message_does_not_skip_newer_ones(world):
    w = world
    older = w.rest("post", f"/chats/personal/{w.alice['id']}/messages", {"Content": "1"}, w.bob).get_json()
    w.rest("post", f"/chats/personal/{w.alice['id']}/messages", {"Content": "2"}, w.bob)
    gap_at_the_top(w, w.chat_id)
    assert inbox_unread(w, w.alice, w.chat_id) == 4
    read = w.rest("post", f"/chats/{w.chat_id}/read", {"UpTo": older["Message"]["MessageId"]})
    assert read.get_json()["Moved"] is True
    assert inbox_unread(w, w.alice, w.chat_id) == 3  # the newer message and the gap above it stay unread


# The real server: JSON "\ud800" on the wire, refused with no traceback and nothing written

@pytest.mark.live
def test_live_unstorable_strings_are_refused_with_no_traceback(live_server, smtp, live_socket):
    alice, bob, carol = (live_server.signup_verify_login(smtp) for _ in range(3))
    mongo = MongoClient(database_uri())
    database = mongo[live_server.env["MONGO_DB"]]
    sock = live_socket(live_server, alice, ("/", "/self", "/personal", "/group"))
    chat_id = sock.call("fetch-personal-chat", {"Partner": bob["id"]}, namespace="/personal")["ChatId"]
    message = sock.call("send-personal-message", {"ChatId": chat_id, "Content": "hi"}, namespace="/personal")
    group = sock.call("create-group-chat", {"Name": "Team", "Participants": [bob["id"]]}, namespace="/group")
    group_id, message_id = group["Group"]["GroupId"], message["Message"]["MessageId"]
    auth = {"Authorization": f"Bearer {alice['access']}"}

    def rest(method, path, body, headers=auth):
        raw = json.dumps(body)
        assert "\\ud800" in raw  # the escape itself goes on the wire
        return requests.request(method, live_server.url + path, data=raw, timeout=10,
                                headers={**headers, "Content-Type": "application/json"})

    log_start, before = len(live_server.log()), snapshot(database, "chats", "messages", "users")
    acks = [
        ("Content", sock.call("send-self-message", {"Content": LONE}, namespace="/self")),
        ("Content", sock.call("send-personal-message", {"ChatId": chat_id, "Content": LONE}, namespace="/personal")),
        ("ClientId", sock.call("send-personal-message", {"ChatId": chat_id, "Content": "x", "ClientId": LONE},
                               namespace="/personal")),
        ("Content", sock.call("send-group-message", {"GroupId": group_id, "Content": LONE}, namespace="/group")),
        ("Content", sock.call("edit-personal-message", {"ChatId": chat_id, "MessageId": message_id, "Content": LONE},
                              namespace="/personal")),
        ("Name", sock.call("create-group-chat", {"Name": LONE, "Participants": [bob["id"]]}, namespace="/group")),
        ("Description", sock.call("create-group-chat", {"Name": "x", "Description": LONE,
                                                        "Participants": [bob["id"]]}, namespace="/group")),
    ]
    for field, ack in acks:
        assert error_code(ack) == "validation_error" and field in ack["error"]["fields"], (field, ack)
    answers = [
        ("Content", rest("POST", f"/chats/personal/{carol['id']}/messages", {"Content": LONE})),
        ("Content", rest("POST", f"/chats/personal/{bob['id']}/messages", {"Content": f"a{LONE}"})),
        ("Content", rest("POST", "/chats/self/messages", {"Content": LONE})),
        ("Content", rest("POST", f"/groups/{group_id}/messages", {"Content": LONE})),
        ("Content", rest("PATCH", f"/messages/{message_id}", {"Content": LONE})),
        ("password", rest("POST", "/signup", {"username": unique(), "email": f"{unique()}@example.test",
                                              "password": LONE * 8}, headers={})),
        ("password", rest("POST", "/login", {"login": alice["username"], "password": LONE}, headers={})),
    ]
    for field, answer in answers:
        assert answer.status_code == 422, (field, answer.status_code, answer.text)
        assert error_code(answer) == "validation_error" and field in answer.json()["error"]["fields"], answer.text
    sock.sync()
    assert snapshot(database, "chats", "messages", "users") == before, "a refused request changed the database"
    assert database.chats.find_one({"_id": alice["id"]}) is None  # no self chat
    mongo.close()
    assert "Traceback" not in live_server.log()[log_start:], live_server.log()[log_start:]


def test_the_login_rate_limit_key_holds_no_unstorable_string(app):
    """The per-login limit keys on the body before the schema runs: a lone surrogate must not reach the limiter's
    storage (Redis cannot encode it)."""
    from chat.auth.routes import body_field
    with app.test_request_context("/login", method="POST", json={"login": f"a{LONE}", "password": "x"}):
        key = body_field("login")()
    assert storable(key) and key.endswith(":-")


@pytest.mark.live
def test_live_invisible_content_bad_usernames_and_an_empty_token_are_refused(live_server, smtp, live_socket):
    """Against the real server: content that shows nothing is empty on sockets and REST, a username with a bidi
    override is refused at signup, and an empty verification token is 400 invalid_token; nothing is stored."""
    alice, bob = (live_server.signup_verify_login(smtp) for _ in range(2))
    mongo = MongoClient(database_uri())
    database = mongo[live_server.env["MONGO_DB"]]
    sock = live_socket(live_server, alice, ("/personal",))
    chat_id = sock.call("fetch-personal-chat", {"Partner": bob["id"]}, namespace="/personal")["ChatId"]
    before = snapshot(database, "chats", "messages", "users")
    for content in SHOWS_NOTHING[:3]:
        ack = sock.call("send-personal-message", {"ChatId": chat_id, "Content": content}, namespace="/personal")
        assert error_code(ack) == "validation_error" and "Content" in ack["error"]["fields"], ack
        answer = requests.post(f"{live_server.url}/chats/personal/{bob['id']}/messages", json={"Content": content},
                               headers=bearer(alice["access"]), timeout=10)
        assert answer.status_code == 422 and "Content" in answer.json()["error"]["fields"], answer.text
    signup = requests.post(f"{live_server.url}/signup", json={"username": "ali\u202ece", "email": "x@example.test",
                                                              "password": PASSWORD}, timeout=10)
    assert signup.status_code == 422 and "username" in signup.json()["error"]["fields"], signup.text
    empty = requests.get(f"{live_server.url}/verify?token=", timeout=10)
    assert empty.status_code == 400 and error_code(empty) == "invalid_token", empty.text
    assert snapshot(database, "chats", "messages", "users") == before
    mongo.close()
