"""Every query the application makes is served by an index declared in chat/db.py.

mongomock scans whatever the query; MongoDB would not. So this test records the filter and
sort of every query issued while the whole API is exercised (REST and sockets), and checks each
against INDEXES: equality fields first, then the sort, as MongoDB plans them.
"""
import mongomock
import pytest
from mongomock.collection import Cursor

from chat.db import INDEXES
from conftest import bearer

RANGE_OPS = {"$gt", "$gte", "$lt", "$lte"}
EQUALITY_OPS = {"$eq", "$in", "$all"}


def equality_and_range_fields(query):
    equality, ranged = set(), set()
    for field, condition in query.items():
        if field.startswith("$"):
            continue
        if isinstance(condition, dict) and any(k.startswith("$") for k in condition):
            if set(condition) & EQUALITY_OPS:
                equality.add(field)
            elif set(condition) & RANGE_OPS:
                ranged.add(field)
        else:
            equality.add(field)
    return equality, ranged


def served(query, sort, keys):
    """True when an index with these keys serves query (and sort) without a collection scan or in-memory sort."""
    equality, ranged = equality_and_range_fields(query)
    fields = [field for field, _ in keys]
    if fields[0] not in equality | ranged and not (sort and fields[0] == sort[0][0]):
        return False
    if not sort:
        return True
    position = 0
    while position < len(fields) and fields[position] in equality and fields[position] != sort[0][0]:
        position += 1
    wanted = [field for field, _ in sort]
    if fields[position:position + len(wanted)] != wanted:
        return False
    directions = [d for _, d in keys[position:position + len(wanted)]]
    asked = [d for _, d in sort]
    return asked == directions or asked == [-d for d in directions]


def declared_keys(collection):
    return [list(model.document["key"].items()) for model in INDEXES.get(collection, [])]


def is_served(collection, query, sort):
    if not query and not sort:
        return False
    if set(query) == {"_id"} or (set(query) - {"_id"} and "_id" in query and not sort
                                 and not isinstance(query["_id"], dict)):
        return True
    return any(served(query, sort, keys) for keys in declared_keys(collection))


@pytest.fixture
def recorded(monkeypatch):
    """Record (collection, filter, sort) for every read and conditional write."""
    queries = []

    def wrap(name):
        original = getattr(mongomock.Collection, name)

        def recording(self, filter=None, *args, **kwargs):
            if name == "find":
                cursor = original(self, filter, *args, **kwargs)
                cursor._recorded_query = (self.name, dict(filter or {}))
                queries.append((self.name, dict(filter or {}), kwargs.get("sort")))
                return cursor
            queries.append((self.name, dict(filter or {}), kwargs.get("sort")))
            return original(self, filter, *args, **kwargs)
        monkeypatch.setattr(mongomock.Collection, name, recording)

    for name in ("find", "find_one", "find_one_and_update", "update_one", "update_many", "count_documents",
                 "delete_one", "delete_many"):
        wrap(name)
    original_sort = Cursor.sort

    def recording_sort(self, key_or_list, direction=None):
        sort = [(key_or_list, direction or 1)] if isinstance(key_or_list, str) else list(key_or_list)
        collection, query = getattr(self, "_recorded_query", (self.collection.name, self._spec or {}))
        queries.append((collection, query, sort))
        return original_sort(self, key_or_list, direction)
    monkeypatch.setattr(Cursor, "sort", recording_sort)
    return queries


def exercise_everything(app, accounts, client):
    """Signup, verify, login, refresh, logout, search, every chat operation over REST and sockets."""
    socketio = app.extensions["socketio"]
    alice, bob, carol = accounts.user("alice_x"), accounts.user("bob_x"), accounts.user("carol_x")
    pending = accounts.signup("dora_x")
    client.post("/resend", json={"email": pending["email"]})
    client.post("/login", json={"login": alice["email"], "password": alice["password"]})
    client.post("/refresh", headers=bearer(bob["refresh"]))
    client.get("/users/search?q=b", headers=bearer(alice["access"]))
    client.get(f"/users/{bob['id']}", headers=bearer(alice["access"]))
    client.get("/me", headers=bearer(alice["access"]))
    socks = {}
    for user in (alice, bob, carol):
        for ns in ("/", "/self", "/personal", "/group"):
            socks[user["username"], ns] = socketio.test_client(app, namespace=ns, auth={"access_token": user["access"]})

    def call(user, ns, event, data):
        return socks[user["username"], ns].emit(event, data, namespace=ns, callback=True)

    chat = call(alice, "/personal", "fetch-personal-chat", {"Partner": bob["id"]})
    sent = [call(alice, "/personal", "send-personal-message", {"ChatId": chat["ChatId"], "Content": f"m{i}",
                                                                "ClientId": f"c{i}"})["Message"] for i in range(3)]
    call(alice, "/personal", "send-personal-message", {"ChatId": chat["ChatId"], "Content": "again", "ClientId": "c0"})
    call(bob, "/personal", "fetch-personal-chat", {"Partner": alice["id"], "Before": sent[2]["MessageId"], "Limit": 1})
    call(bob, "/personal", "fetch-personal-chat", {"Partner": alice["id"], "After": sent[0]["MessageId"]})
    call(bob, "/personal", "read-personal-message", {"ChatId": chat["ChatId"], "UpTo": sent[1]["MessageId"]})
    call(bob, "/personal", "read-personal-message", {"ChatId": chat["ChatId"]})
    call(bob, "/personal", "typing", {"ChatId": chat["ChatId"]})
    call(alice, "/personal", "edit-personal-message", {"ChatId": chat["ChatId"], "MessageId": sent[0]["MessageId"],
                                                       "Content": "edited"})
    call(alice, "/personal", "delete-personal-message", {"ChatId": chat["ChatId"], "MessageId": sent[1]["MessageId"]})
    call(alice, "/self", "send-self-message", {"Content": "note"})
    call(alice, "/self", "fetch-self-chat", {})
    group = call(alice, "/group", "create-group-chat", {"Name": "g", "Participants": [bob["id"]]})["Group"]
    call(alice, "/group", "add-member", {"GroupId": group["GroupId"], "Member": carol["id"]})
    call(bob, "/group", "send-group-message", {"GroupId": group["GroupId"], "Content": "hey"})
    call(carol, "/group", "read-group-message", {"GroupId": group["GroupId"]})
    call(carol, "/group", "fetch-group-chat", {"GroupId": group["GroupId"]})
    call(alice, "/group", "change-admin", {"GroupId": group["GroupId"], "Member": bob["id"]})
    call(bob, "/group", "kickout", {"GroupId": group["GroupId"], "Member": carol["id"]})
    call(alice, "/group", "leave-grp", {"GroupId": group["GroupId"]})
    call(alice, "/", "get-online-info", {"UserIds": [bob["id"]]})
    call(alice, "/", "background-app", {})
    socketio.test_client(app, namespace="/", auth={"access_token": bob["access"]})
    headers = bearer(alice["access"])
    client.get("/chats?per_page=5", headers=headers)
    client.get(f"/chats/personal/{bob['id']}/messages?limit=2", headers=headers)
    client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "rest", "ClientId": "r1"}, headers=headers)
    client.patch(f"/messages/{sent[2]['MessageId']}", json={"Content": "x"}, headers=headers)
    client.post(f"/chats/{chat['ChatId']}/read", json={}, headers=bearer(bob["access"]))
    client.get(f"/groups/{group['GroupId']}/messages", headers=bearer(bob["access"]))
    call(bob, "/group", "delete-grp", {"GroupId": group["GroupId"]})
    client.post("/logout", headers=bearer(carol["access"]))


def test_every_query_is_served_by_a_declared_index(app, accounts, client, recorded):
    exercise_everything(app, accounts, client)
    assert len(recorded) > 100, "the exercise should issue many queries"
    unserved = {(c, tuple(sorted(q)), repr(s)) for c, q, s in recorded if not is_served(c, q, s)}
    assert not unserved, "queries without an index:\n" + "\n".join(map(str, sorted(unserved)))


@pytest.mark.parametrize("query, sort, keys, expected", [
    ({"chat_id": "c"}, [("seq", -1)], [("chat_id", 1), ("seq", 1)], True),
    ({"chat_id": "c", "seq": {"$lt": 5}}, [("seq", -1)], [("chat_id", 1), ("seq", 1)], True),
    ({"chat_id": "c"}, [("created_at", -1)], [("chat_id", 1), ("seq", 1)], False),
    ({"seq": 3}, None, [("chat_id", 1), ("seq", 1)], False),
    ({"members": "u", "kind": "group"}, [("updated_at", -1)],
     [("members", 1), ("kind", 1), ("updated_at", -1)], True),
    ({"members": "u"}, [("updated_at", -1)], [("members", 1), ("kind", 1), ("updated_at", -1)], False),
])
def test_the_index_check_itself(query, sort, keys, expected):
    assert served(query, sort, keys) is expected
