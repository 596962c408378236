"""Every query the application sends is served by an index declared in chat/db.py: the server says so.

A CommandListener on the app's own MongoClient (tests/command_log.py) records every command the app
sends while the whole API is exercised (accounts, search, every chat operation over REST and sockets,
group administration, connects). Then, for each distinct query shape (collection, command, filter
shape, sort), the database server is asked to `explain` that very query (verbosity queryPlanner), and
its winning plan must read through an index (IXSCAN, IDHACK, EXPRESS_*, COUNT_SCAN, DISTINCT_SCAN;
EOF when the server proves there is nothing to read), never COLLSCAN.

find, findAndModify, count, distinct and aggregate are explained as sent. An update or delete
statement is explained as the `find` of its `q` (with its limit): the server selects a write's
documents with the same planner, and that form is the one both MongoDB and SecantusDB explain
(SecantusDB's explain reads no `updates[].q` / `deletes[].q`).

A filter that pins `_id` to one value reads at most one document through the `_id` index, whatever else
it says (the other conditions are checked on that document, which is what makes a conditional write
atomic). MongoDB's explain says so (IDHACK, EXPRESS_*); SecantusDB's explain reports COLLSCAN for such a
filter once it has other conditions, though its executor reads the document by `_id`. So for those the
server is asked to explain the `_id` lookup itself.
"""
import io
import json
from datetime import timedelta

import pytest
from bson import json_util
from pymongo import MongoClient

from chat.kernel.clock import utcnow
from conftest import bearer, database_uri, expired_access

# Winning-plan stages that read through an index (EXPRESS_IXSCAN, EXPRESS_UPDATE, ... start with EXPRESS).
INDEX_STAGES = {"IXSCAN", "IDHACK", "COUNT_SCAN", "DISTINCT_SCAN", "EOF"}
SCAN_STAGES = {"COLLSCAN"}


# The checker: pure functions over the recorded commands and the server's explain answers.

def nodes(tree, skip):
    """Every object of a JSON tree, depth first, without descending into the keys in skip."""
    if isinstance(tree, dict):
        yield tree
        for key, value in tree.items():
            if key not in skip:
                yield from nodes(value, skip)
    elif isinstance(tree, list):
        for item in tree:
            yield from nodes(item, skip)


def winning_plans(explained):
    """Every winning plan in an explain answer (find/count, aggregate's `$cursor` stages, shards), never a
    rejected one."""
    return [node["winningPlan"] for node in nodes(explained, {"winningPlan", "rejectedPlans"})
            if "winningPlan" in node]


def plan_stages(plan):
    """The stage names of a plan tree (the classic tree, or SBE's `queryPlan`; not its `slotBasedPlan` text)."""
    return [node["stage"] for node in nodes(plan, {"slotBasedPlan"}) if isinstance(node.get("stage"), str)]


def uses_an_index(explained):
    """(True when every winning plan reads through an index and none scans the collection, the stages seen)."""
    stages = [stage for plan in winning_plans(explained) for stage in plan_stages(plan)]
    indexed = any(stage in INDEX_STAGES or stage.startswith("EXPRESS") for stage in stages)
    return indexed and not SCAN_STAGES & set(stages), stages


def shape(value):
    """The structure of a filter or sort with its values replaced by their types (one explain per shape)."""
    if isinstance(value, dict):
        return tuple((key, shape(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ("[]", tuple(sorted({repr(shape(item)) for item in value})))
    return type(value).__name__


def queries_of(command):
    """[(what, explain command)] for each query in a recorded command (none for inserts and the like)."""
    name, body, coll = command.name, command.body, command.collection

    def pick(*keys):
        return {key: body[key] for key in keys if key in body}

    if name == "find":
        return [(("find", coll, shape(body.get("filter", {})), shape(body.get("sort"))),
                 {"find": coll, **pick("filter", "sort", "projection", "skip", "limit", "hint")})]
    if name == "findAndModify":
        return [(("findAndModify", coll, shape(body.get("query", {})), shape(body.get("sort"))),
                 {"findAndModify": coll, **pick("query", "sort", "update", "remove", "upsert", "new", "fields")})]
    if name == "count":
        return [(("count", coll, shape(body.get("query", {})), None), {"count": coll, **pick("query", "hint")})]
    if name == "distinct":
        return [(("distinct", coll, shape(body.get("query", {})), None),
                 {"distinct": coll, **pick("key", "query")})]
    if name == "aggregate":
        return [(("aggregate", coll, shape(body.get("pipeline", [])), None),
                 {"aggregate": coll, "pipeline": body.get("pipeline", []), "cursor": {}})]
    if name == "update":
        return [(("update", coll, shape(statement["q"]), shape(statement.get("multi", False))),
                 {"find": coll, "filter": statement["q"], **({} if statement.get("multi") else {"limit": 1})})
                for statement in body.get("updates", [])]
    if name == "delete":
        return [(("delete", coll, shape(statement["q"]), shape(statement.get("limit"))),
                 {"find": coll, "filter": statement["q"], **({"limit": 1} if statement.get("limit") else {})})
                for statement in body.get("deletes", [])]
    return []


def pinned_id(query):
    """The one value a filter pins `_id` to (plain or `$eq`), or None."""
    value = query.get("_id") if isinstance(query, dict) else None
    if isinstance(value, dict):
        value = value.get("$eq") if set(value) == {"$eq"} else None
    return value


def by_id_lookup(explain):
    """For a command whose filter pins `_id`: the explain command of that `_id` lookup alone; else the command."""
    name = next(iter(explain))
    query = explain.get("filter" if name == "find" else "query")
    value = pinned_id(query)
    return explain if value is None else {"find": explain[name], "filter": {"_id": value}, "limit": 1}


def distinct_queries(commands):
    """{shape: (what, the first explain command of that shape)} in the order they were first sent."""
    found = {}
    for command in commands:
        for key, explain in queries_of(command):
            found.setdefault(key, (command.name, explain))
    return found


def describe(explain):
    body = {key: value for key, value in explain.items() if key not in ("update", "cursor")}
    return json_util.dumps(body, sort_keys=False)


# Recording the application

@pytest.fixture
def app(make_app, commands):
    """The app, built with the command listener on its client (every conftest fixture uses this one)."""
    return make_app()


@pytest.fixture
def explainer(app):
    """A client of our own (not listened to) on the app's database, to ask the server."""
    client = MongoClient(database_uri(), tz_aware=True, serverSelectionTimeoutMS=5000)
    yield client[app.extensions["chat.store"].db.name]
    client.close()


def explain(db, command):
    return db.command("explain", command, verbosity="queryPlanner")


def exercise_everything(app, accounts, client, connect_socket):
    """Signup, verify, login, refresh, logout, search, every chat operation over REST and sockets."""
    alice, bob, carol = accounts.user("alice_x"), accounts.user("bob_x"), accounts.user("carol_x")
    pending = accounts.signup("dora_x")
    assert client.post("/signup", json={"username": "DORA_X", "email": "d2@example.test",
                                        "password": pending["password"]}).status_code == 409
    assert client.post("/resend", json={"email": pending["email"]}).status_code in (200, 202, 204)
    assert client.post("/login", json={"login": alice["email"], "password": alice["password"]}).status_code == 200
    assert client.post("/login", json={"login": "DORA_X", "password": pending["password"]}).status_code == 403
    refreshed = client.post("/refresh", headers=bearer(bob["refresh"]))
    assert refreshed.status_code == 200, refreshed.get_json()
    bob.update(access=refreshed.get_json()["access_token"], refresh=refreshed.get_json()["refresh_token"])
    assert client.get("/users/search?q=b", headers=bearer(alice["access"])).get_json()["users"]
    assert client.get(f"/users/{bob['id']}", headers=bearer(alice["access"])).status_code == 200
    assert client.get("/me", headers=bearer(alice["access"])).status_code == 200

    socks = {}
    for user in (alice, bob, carol):
        for ns in ("/self", "/personal", "/group"):
            socks[user["username"], ns] = connect_socket(app, user, ns)

    def call(user, ns, event, data):
        ack = socks[user["username"], ns].emit(event, data, namespace=ns, callback=True)
        assert ack and ack.get("ok") is True, (event, ack)
        return ack

    chat = call(alice, "/personal", "fetch-personal-chat", {"Partner": bob["id"]})
    sent = [call(alice, "/personal", "send-personal-message", {"ChatId": chat["ChatId"], "Content": f"m{i}",
                                                                "ClientId": f"c{i}"})["Message"] for i in range(3)]
    call(alice, "/personal", "send-personal-message", {"ChatId": chat["ChatId"], "Content": "again", "ClientId": "c0"})
    call(alice, "/personal", "send-personal-message", {"ChatId": chat["ChatId"], "Content": "no client id"})
    call(bob, "/personal", "fetch-personal-chat", {"Partner": alice["id"], "Before": sent[2]["MessageId"], "Limit": 1})
    call(bob, "/personal", "fetch-personal-chat", {"Partner": alice["id"], "ChatId": chat["ChatId"],
                                                   "After": sent[0]["MessageId"]})
    call(bob, "/personal", "read-personal-message", {"ChatId": chat["ChatId"], "UpTo": sent[1]["MessageId"]})
    call(bob, "/personal", "read-personal-message", {"ChatId": chat["ChatId"]})
    call(bob, "/personal", "typing", {"ChatId": chat["ChatId"]})
    call(bob, "/personal", "done-typing", {"ChatId": chat["ChatId"]})
    call(alice, "/personal", "edit-personal-message", {"ChatId": chat["ChatId"], "MessageId": sent[0]["MessageId"],
                                                       "Content": "edited"})
    call(alice, "/personal", "delete-personal-message", {"ChatId": chat["ChatId"], "MessageId": sent[1]["MessageId"]})
    refused = socks["bob_x", "/personal"].emit("edit-personal-message", {
        "ChatId": chat["ChatId"], "MessageId": sent[2]["MessageId"], "Content": "not mine"},
        namespace="/personal", callback=True)
    assert refused["error"]["code"] == "forbidden", refused
    call(alice, "/self", "send-self-message", {"Content": "note", "ClientId": "s1"})
    call(alice, "/self", "send-self-message", {"Content": "note", "ClientId": "s1"})
    notes = call(alice, "/self", "fetch-self-chat", {})
    call(alice, "/self", "fetch-self-chat", {"Before": notes["Messages"][-1]["MessageId"]})
    call(bob, "/self", "fetch-self-chat", {})
    group = call(alice, "/group", "create-group-chat", {"Name": "g", "Participants": [bob["id"]]})["Group"]
    call(alice, "/group", "add-member", {"GroupId": group["GroupId"], "Member": carol["id"]})
    # Public groups: listing, the directory (browse, a short and a long search), joining by socket and REST.
    call(alice, "/group", "update-group", {"GroupId": group["GroupId"], "Public": True, "Name": "g public"})
    opened = call(bob, "/group", "create-group-chat", {"Name": "open", "Participants": [], "Public": True})["Group"]
    for query in ("", "?q=G", "?q=PUBLIC&per_page=1&page=1"):
        assert client.get(f"/groups/public{query}", headers=bearer(carol["access"])).get_json()["entries"]
    call(carol, "/group", "join-group", {"GroupId": opened["GroupId"]})
    assert client.post(f"/groups/{opened['GroupId']}/join", headers=bearer(alice["access"])).status_code == 200
    call(bob, "/group", "kickout", {"GroupId": opened["GroupId"], "Member": alice["id"]})
    assert client.post(f"/groups/{opened['GroupId']}/join", headers=bearer(alice["access"])).status_code == 403
    call(bob, "/group", "send-group-message", {"GroupId": group["GroupId"], "Content": "hey", "ClientId": "g1"})
    call(bob, "/group", "send-group-message", {"GroupId": group["GroupId"], "Content": "hey", "ClientId": "g1"})
    call(bob, "/group", "typing", {"GroupId": group["GroupId"]})
    call(carol, "/group", "read-group-message", {"GroupId": group["GroupId"]})
    call(carol, "/group", "fetch-group-chat", {"GroupId": group["GroupId"]})
    # Richer messages: a reply with a mention, reactions, UnreadMentions in the lists, edit history, and a
    # delete that empties the quotes of the replies.
    hey = call(bob, "/group", "send-group-message", {"GroupId": group["GroupId"], "Content": "@carol_x look"})
    reply = call(alice, "/group", "send-group-message", {"GroupId": group["GroupId"], "Content": "re @carol_x",
                                                         "ReplyTo": hey["Message"]["MessageId"]})
    call(carol, "/group", "react-message", {"GroupId": group["GroupId"], "MessageId": reply["Message"]["MessageId"],
                                            "Emoji": "👍", "On": True})
    carol_headers = bearer(carol["access"])
    assert client.get("/chats", headers=carol_headers).get_json()["entries"][0]["UnreadMentions"] == 2
    assert client.put(f"/messages/{hey['Message']['MessageId']}/reactions/🎉", headers=carol_headers).status_code == 200
    assert client.delete(f"/messages/{hey['Message']['MessageId']}/reactions/🎉",
                         headers=carol_headers).status_code == 200
    assert client.patch(f"/messages/{hey['Message']['MessageId']}", json={"Content": "edited @carol_x"},
                        headers=bearer(bob["access"])).status_code == 200
    assert client.get(f"/messages/{hey['Message']['MessageId']}/history", headers=carol_headers).status_code == 200
    assert client.delete(f"/messages/{hey['Message']['MessageId']}", headers=bearer(bob["access"])).status_code == 200
    connect_socket(app, carol, "/")
    call(alice, "/group", "change-admin", {"GroupId": group["GroupId"], "Member": bob["id"]})
    call(bob, "/group", "kickout", {"GroupId": group["GroupId"], "Member": carol["id"]})
    call(alice, "/group", "leave-grp", {"GroupId": group["GroupId"]})

    root = connect_socket(app, alice, "/")
    assert root.emit("get-online-info", {"UserIds": [bob["id"]]}, namespace="/", callback=True)["ok"]
    assert root.emit("background-app", {}, namespace="/", callback=True)["ok"]
    assert root.emit("active-app", {}, namespace="/", callback=True)["ok"]
    assert {packet["name"] for packet in root.get_received("/")} >= {"personal-chat-list", "group-chat-list"}
    # A socket whose access token has expired connects with the session's current refresh token.
    renewed = connect_socket(app, auth={"access_token": expired_access(app, bob),
                                        "refresh_token": bob["refresh"]})
    assert renewed.is_connected("/")
    root.disconnect("/")

    headers = bearer(alice["access"])
    assert client.get("/chats?per_page=5", headers=headers).get_json()["entries"]
    assert client.get(f"/chats/personal/{bob['id']}/messages?limit=2", headers=headers).status_code == 200
    assert client.get(f"/chats/personal/{carol['id']}/messages", headers=headers).status_code == 200
    assert client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "rest", "ClientId": "r1"},
                       headers=headers).status_code == 201
    assert client.post("/chats/self/messages", json={"Content": "rest note"}, headers=headers).status_code == 201
    assert client.get("/chats/self/messages", headers=headers).status_code == 200
    # Search (chat/search/): a page with a cursor, every filter, and one chat.
    first = client.get("/search?q=rest&limit=1", headers=headers).get_json()
    assert first["Results"] and first["Next"], first
    assert client.get(f"/search?q=rest note&cursor={first['Next']}&from={alice['id']}&has=file"
                      "&after=2000-01-01T00:00:00Z&before=2999-01-01T00:00:00Z", headers=headers).status_code == 200
    assert client.get(f"/search?q=re&chat={chat['ChatId']}", headers=headers).get_json()["Results"]
    assert client.patch(f"/messages/{sent[2]['MessageId']}", json={"Content": "x"}, headers=headers).status_code == 200
    assert client.delete(f"/messages/{sent[2]['MessageId']}", headers=headers).status_code == 200
    assert client.post(f"/chats/{chat['ChatId']}/read", json={}, headers=bearer(bob["access"])).status_code == 200
    bob_headers = bearer(bob["access"])
    assert client.get(f"/groups/{group['GroupId']}", headers=bob_headers).status_code == 200
    assert client.get(f"/groups/{group['GroupId']}/messages", headers=bob_headers).status_code == 200
    assert client.post(f"/groups/{group['GroupId']}/messages", json={"Content": "rest"},
                       headers=bob_headers).status_code == 201
    call(bob, "/group", "delete-grp", {"GroupId": group["GroupId"]})
    # Reusing a rotated refresh token ends the session.
    assert client.post("/refresh", headers=bearer(alice["refresh"])).status_code == 200
    assert client.post("/refresh", headers=bearer(alice["refresh"])).status_code == 401
    assert client.post("/logout", headers=bearer(carol["access"])).status_code in (200, 204)
    exercise_account_management(app, accounts, client)
    exercise_block_and_mute(app, accounts, client, connect_socket)
    exercise_files(app, accounts, client, connect_socket)
    exercise_notifications(app, accounts, client)
    exercise_two_factor(accounts, client)
    exercise_governance(app, accounts, client, connect_socket)


def exercise_two_factor(accounts, client):
    """Two-factor sign-in: setup, enable, /me, the otp_required login and its second step (a wrong code, a right
    one, a recovery code), disable, and a deleted account's enrolment and challenges."""
    import time

    import pyotp
    gil = accounts.user("gil_x")
    headers = bearer(gil["access"])
    secret = client.post("/me/2fa/setup", json={"password": gil["password"]}, headers=headers).get_json()["Secret"]
    codes = client.post("/me/2fa/enable", json={"Code": pyotp.TOTP(secret).now()}, headers=headers).get_json()
    assert client.get("/me", headers=headers).get_json()["user"]["TwoFactor"] is True

    def second_step(code):
        token = client.post("/login", json={"login": "gil_x", "password": gil["password"]}).get_json()["mfa_token"]
        return client.post("/login/2fa", json={"mfa_token": token, "Code": code}).status_code

    assert second_step("00000-00000") == 401
    assert second_step(pyotp.TOTP(secret).at(time.time() + 30)) == 200
    assert second_step(codes["RecoveryCodes"][0]) == 200
    assert client.post("/me/2fa/disable", json={"password": gil["password"], "Code": codes["RecoveryCodes"][1]},
                       headers=headers).status_code == 200
    assert client.delete("/me", json={"password": gil["password"]}, headers=headers).status_code == 200


def exercise_notifications(app, accounts, client):
    """Notifications: the VAPID key, settings, subscribe and unsubscribe, pushes (their claims, a 410 deleting a
    subscription), a digest (due users, the claim, its chats and mentions) and the one-click unsubscribe."""
    from datetime import timedelta

    from push_service import BrowserKeys, PushService
    services, worker = app.extensions["chat.services"], app.extensions["chat.notify"]
    services.notify.allow_local, services.digest.delay = True, timedelta(0)  # a local push service, due now
    worker.drain()  # the messages of the exercise so far
    ok, gone = PushService("ok"), PushService("gone")
    try:
        lou, max_, ned = accounts.user("lou_x"), accounts.user("max_x"), accounts.user("ned_x")
        lou_h, max_h = bearer(lou["access"]), bearer(max_["access"])
        assert client.get("/push/public-key").status_code == 200
        for user, service in ((max_, ok), (ned, gone)):
            keys = BrowserKeys().subscription(service.endpoint(user["id"]))
            assert client.post("/me/push-subscriptions", json=keys, headers=bearer(user["access"])).status_code == 201
        spare = BrowserKeys().subscription(ok.endpoint("spare"))
        assert client.post("/me/push-subscriptions", json=spare, headers=lou_h).status_code == 201
        assert client.delete("/me/push-subscriptions", json=spare, headers=lou_h).status_code == 204
        assert client.patch("/me/settings", json={"EmailNotifications": "mentions"}, headers=max_h).status_code == 200
        assert client.get("/me/settings", headers=max_h).status_code == 200
        group = services.groups.create(lou["id"], "Notify", "", [max_["id"], ned["id"]])
        assert client.post(f"/groups/{group.id}/messages", json={"Content": "@max_x hi"},
                           headers=lou_h).status_code == 201
        assert client.post(f"/chats/personal/{ned['id']}/messages", json={"Content": "hi"},
                           headers=lou_h).status_code == 201
        assert [outcome["pushed"] + outcome["gone"] for outcome in worker.drain()] == [2, 0]  # 410: gone
        assert worker.digest_pass() >= 2  # max and ned (and users of the exercise so far)
        token = services.digest.unsubscribe_url(max_["id"]).split("token=", 1)[1]
        assert client.post("/unsubscribe", query_string={"token": token}).status_code == 200
        services.notify.forget_user(ned["id"])
    finally:
        ok.close()
        gone.close()


def exercise_files(app, accounts, client, connect_socket):
    """Attachments: uploads (quota), sends with attachments over a socket and REST (claims, a refused one given
    back), downloads with Bearer and signed URLs, a thumbnail, a delete that removes the files, the sweep of
    uploads never attached, and the removal of a user's files."""
    from PIL import Image
    jay, kim = accounts.user("jay_x"), accounts.user("kim_x")
    jay_h, kim_h = bearer(jay["access"]), bearer(kim["access"])
    image = io.BytesIO()
    Image.new("RGB", (400, 300), (1, 2, 3)).save(image, "PNG")

    def upload(data, name):
        response = client.post("/files", data={"file": (io.BytesIO(data), name)}, headers=jay_h,
                               content_type="multipart/form-data")
        assert response.status_code == 201, response.get_json()
        return response.get_json()["File"]

    picture, text, _spare = upload(image.getvalue(), "p.png"), upload(b"words", "t.txt"), upload(b"more", "s.txt")
    sock = connect_socket(app, jay, "/personal")
    chat = sock.emit("fetch-personal-chat", {"Partner": kim["id"]}, namespace="/personal", callback=True)
    ack = sock.emit("send-personal-message", {"ChatId": chat["ChatId"], "Content": "", "ClientId": "f1",
                                              "Attachments": [picture["FileId"]]}, namespace="/personal", callback=True)
    assert ack["ok"], ack
    sock.emit("send-personal-message", {"ChatId": chat["ChatId"], "Content": "", "ClientId": "f1",
                                        "Attachments": [picture["FileId"]]}, namespace="/personal", callback=True)
    refused = client.post("/groups/0123456789abcdef01234567/messages", headers=jay_h,
                          json={"Content": "", "Attachments": [text["FileId"]]})
    assert refused.status_code == 404
    assert client.post(f"/chats/personal/{kim['id']}/messages", headers=jay_h,
                       json={"Content": "doc", "Attachments": [text["FileId"]]}).status_code == 201
    file = ack["Message"]["Attachments"][0]
    assert client.get(f"/files/{file['FileId']}", headers=kim_h).status_code == 200
    assert client.get(f"/files/{file['FileId']}", headers={**kim_h, "Range": "bytes=5-10"}).status_code == 206
    assert client.get(file["Url"]).status_code == 200
    assert client.get(file["ThumbnailUrl"]).status_code == 200
    assert client.get(f"/files/{text['FileId']}", headers=bearer(accounts.user("lee_x")["access"])).status_code == 404
    assert client.delete(f"/messages/{ack['Message']['MessageId']}", headers=jay_h).status_code == 200
    files = app.extensions["chat.services"].files
    assert files.sweep_unattached(now=utcnow() + timedelta(days=2)) == 1  # `spare`, never attached
    files.remove_owned_by(jay["id"])


def exercise_block_and_mute(app, accounts, client, connect_socket):
    """Block, the refusals and hiding it causes (sends, a first use, typing, receipts, presence, search), the
    block list, unblock; mute with and without Until, unmute, and the lists that show it."""
    gina, hal, ivy = accounts.user("gina_x"), accounts.user("hal_x"), accounts.user("ivy_x")
    gina_h, hal_h = bearer(gina["access"]), bearer(hal["access"])
    hal_p, gina_root = connect_socket(app, hal, "/personal"), connect_socket(app, gina, "/")
    chat_id = hal_p.emit("fetch-personal-chat", {"Partner": gina["id"]}, namespace="/personal",
                         callback=True)["ChatId"]
    assert client.put(f"/users/{hal['id']}/block", headers=gina_h).status_code == 200
    assert client.put(f"/users/{hal['id']}/block", headers=bearer(ivy["access"])).status_code == 200
    assert client.get("/me/blocks", headers=gina_h).get_json()["users"]
    for event, data in (("send-personal-message", {"ChatId": chat_id, "Content": "hi"}),
                        ("fetch-personal-chat", {"Partner": ivy["id"]}), ("typing", {"ChatId": chat_id}),
                        ("read-personal-message", {"ChatId": chat_id})):
        hal_p.emit(event, data, namespace="/personal", callback=True)
    assert client.post(f"/chats/personal/{ivy['id']}/messages", json={"Content": "hi"},
                       headers=hal_h).status_code == 403
    hal_root = connect_socket(app, hal, "/")
    assert hal_root.emit("get-online-info", {"UserIds": [gina["id"]]}, namespace="/", callback=True)["ok"]
    assert hal_root.emit("background-app", {}, namespace="/", callback=True)["ok"]
    assert client.get("/users/search?q=gina", headers=hal_h).status_code == 200
    hal_root.disconnect("/")
    assert client.delete(f"/users/{hal['id']}/block", headers=gina_h).status_code == 200
    assert client.put(f"/chats/{chat_id}/mute", json={"Until": "2099-01-01T00:00:00Z"},
                      headers=gina_h).status_code == 200
    assert client.put(f"/chats/{chat_id}/mute", headers=hal_h).status_code == 200
    assert client.delete(f"/chats/{chat_id}/mute", headers=gina_h).status_code == 200
    assert client.get("/chats", headers=hal_h).get_json()["entries"][0]["Muted"] is True
    gina_root.disconnect("/")


def exercise_governance(app, accounts, client, connect_socket):
    """The audit and security logs, an export (built, mailed, downloaded) and a retention sweep (chat/governance/)."""
    ona, pia = accounts.user("ona_x"), accounts.user("pia_x")
    ona_h = bearer(ona["access"])
    sock = connect_socket(app, ona, "/group")
    group = sock.emit("create-group-chat", {"Name": "Kept", "Participants": [pia["id"]]}, namespace="/group",
                      callback=True)["Group"]
    assert sock.emit("update-group", {"GroupId": group["GroupId"], "RetentionDays": 3}, namespace="/group",
                     callback=True)["ok"] is True
    sent = client.post(f"/groups/{group['GroupId']}/messages", json={"Content": "old"}, headers=ona_h)
    assert sent.status_code == 201
    assert client.get(f"/groups/{group['GroupId']}/audit", headers=ona_h).get_json()["entries"]
    assert client.get("/me/security-log?per_page=5", headers=ona_h).get_json()["entries"]
    assert client.post("/me/export", headers=ona_h).status_code == 202
    services = app.extensions["chat.services"]
    assert services.exports.build_due() == 1
    services.mail_worker.deliver_due()  # the mail the builder queued (no worker loop in a test app)
    link = accounts.smtp.link(ona["email"], count=2, path="exports/download")
    assert client.get("/exports/download?token=" + link.split("token=")[1]).status_code == 200
    store = app.extensions["chat.store"].db
    store["messages"].update_many({"chat_id": group["GroupId"]}, {"$set": {"created_at": utcnow() - timedelta(days=9)}})
    services.retention.server_days = 30  # a server-wide limit too: every chat is looked at
    assert services.retention.sweep() == 1
    services.retention.server_days = 0
    assert services.exports.remove_old(utcnow() + timedelta(days=30)) == 1


def exercise_account_management(app, accounts, client):
    """Reset, password change, sessions, email change, deletion, and the sweep of expired and stalled accounts."""
    erin, fay = accounts.user("erin_x"), accounts.user("fay_x")
    assert client.post("/password/forgot", json={"email": erin["email"]}).status_code == 202
    token = accounts.smtp.link(erin["email"], count=2, path="reset-password").split("token=")[1]
    assert client.post("/password/reset", json={"token": token, "password": "another-pass-1"}).status_code == 200
    erin["password"] = "another-pass-1"
    headers = bearer(accounts.login(erin)["access"])
    accounts.login(dict(erin))
    assert client.post("/me/password", json={"current_password": erin["password"], "new_password": "third-pass-1"},
                       headers=headers).status_code == 200
    erin["password"] = "third-pass-1"
    other = accounts.login(dict(erin))
    sessions = client.get("/me/sessions", headers=headers).get_json()["sessions"]
    ended = next(s["SessionId"] for s in sessions if not s["Current"])
    assert client.delete(f"/me/sessions/{ended}", headers=headers).status_code == 200
    assert client.delete("/me/sessions", headers=headers).status_code == 200 and other
    assert client.post("/me/email", json={"email": "erin-new@example.test", "password": erin["password"]},
                       headers=headers).status_code == 202
    accounts.client.get("/verify?" + accounts.smtp.link("erin-new@example.test").split("/verify?")[1])
    assert client.delete("/me", json={"password": fay["password"]}, headers=bearer(fay["access"])).status_code == 200
    deletion = app.extensions["chat.services"].deletion
    deletion.expire_unverified()
    deletion.finish_stalled()


def test_every_query_is_served_by_a_declared_index(app, accounts, client, connect_socket, commands, explainer):
    exercise_everything(app, accounts, client, connect_socket)
    recorded = commands.commands
    queries = distinct_queries(recorded)
    assert len(recorded) > 150, "the exercise should send many commands"
    kinds = {(name, coll) for name, coll, *_ in queries}
    for expected in [("find", "users"), ("find", "sessions"), ("find", "one_time_tokens"), ("find", "chats"),
                     ("find", "messages"), ("findAndModify", "chats"), ("findAndModify", "messages"),
                     ("findAndModify", "sessions"), ("findAndModify", "users"), ("aggregate", "chats"),
                     ("update", "chats"), ("update", "sessions"), ("update", "one_time_tokens")]:
        assert expected in kinds, f"the exercise sent no {expected}: {sorted(kinds)}"

    # The server does report a collection scan, and the checker sees it: a filter on an unindexed field.
    served, stages = uses_an_index(explain(explainer, {"find": "chats", "filter": {"seq": 3}}))
    assert not served and "COLLSCAN" in stages, stages

    unserved = []
    for (_what, coll, *_), (sent_as, command) in queries.items():
        served, stages = uses_an_index(explain(explainer, by_id_lookup(command)))
        if not served:
            unserved.append(f"{sent_as} {coll}: {describe(command)}  -> {' > '.join(stages) or 'no plan'}")
    print(f"\n[indexes] {len(recorded)} commands, {len(queries)} distinct queries explained, "
          f"{len(unserved)} without an index")
    assert not unserved, f"{len(unserved)} of {len(queries)} queries without an index:\n" + "\n".join(unserved)


# The checker itself, on explain answers as MongoDB and SecantusDB give them.

def plan(winning, rejected=()):
    return {"queryPlanner": {"winningPlan": winning, "rejectedPlans": list(rejected)}, "ok": 1.0}


@pytest.mark.parametrize("explained, expected", [
    (plan({"stage": "EXPRESS_IXSCAN", "indexName": "_id_"}), True),
    (plan({"stage": "IDHACK"}), True),
    (plan({"stage": "FETCH", "inputStage": {"stage": "IXSCAN", "indexName": "chats_by_member"}},
          rejected=[{"stage": "COLLSCAN"}]), True),
    (plan({"stage": "SORT", "inputStage": {"stage": "FETCH", "inputStage": {"stage": "IXSCAN"}}}), True),
    (plan({"stage": "SORT", "inputStage": {"stage": "COLLSCAN", "filter": {"seq": {"$eq": 3}}}}), False),
    (plan({"stage": "COLLSCAN", "filter": {"_id": {"$eq": "c"}, "kind": {"$eq": "self"}}}), False),
    (plan({"stage": "COUNT", "inputStage": {"stage": "COLLSCAN"}}), False),
    (plan({"stage": "COUNT", "inputStage": {"stage": "COUNT_SCAN"}}), True),
    (plan({"stage": "EOF"}), True),
    # SBE (MongoDB 7+): the tree is under queryPlan, the slot-based plan is text.
    (plan({"queryPlan": {"stage": "GROUP", "inputStage": {"stage": "IXSCAN"}},
           "slotBasedPlan": {"stages": "[2] project [] COLLSCAN-like text"}}), True),
    (plan({"queryPlan": {"stage": "GROUP", "inputStage": {"stage": "COLLSCAN"}}, "slotBasedPlan": {}}), False),
    # aggregate, classic engine: the plan sits in the first stage's $cursor.
    ({"stages": [{"$cursor": plan({"stage": "PROJECTION_COVERED", "inputStage": {"stage": "IXSCAN"}})},
                 {"$group": {"_id": 1}}], "ok": 1.0}, True),
    ({"stages": [{"$cursor": plan({"stage": "COLLSCAN"})}, {"$group": {"_id": 1}}], "ok": 1.0}, False),
    ({"ok": 1.0}, False),
])
def test_the_index_check_itself(explained, expected):
    assert uses_an_index(explained)[0] is expected


def test_queries_are_told_apart_by_shape_not_by_value():
    from command_log import Command
    one = Command("find", "db", {"find": "chats", "filter": {"_id": "a:b"}})
    other = Command("find", "db", {"find": "chats", "filter": {"_id": "c:d"}})
    ranged = Command("find", "db", {"find": "chats", "filter": {"_id": {"$in": ["a"]}}})
    write = Command("update", "db", {"update": "chats", "updates": [{"q": {"_id": "a", "kind": "group"}, "u": {}}]})
    found = distinct_queries([one, other, ranged, write])
    assert len(found) == 3
    assert found[("update", "chats", shape({"_id": "a", "kind": "group"}), shape(False))] == (
        "update", {"find": "chats", "filter": {"_id": "a", "kind": "group"}, "limit": 1})
    assert json.loads(describe({"find": "chats", "filter": {"_id": "a"}})) == {"find": "chats", "filter": {"_id": "a"}}
