"""What the hot operations cost in database commands, counted on the wire.

A CommandListener on the app's own MongoClient (tests/command_log.py) counts every command an
operation starts, leaving out the driver's handshakes and monitoring. The budgets:

* a send is at most 2 commands (the chat's Seq, the message), 4 when its ClientId repeats (reading the
  message stored first, and giving the Seq it took back, so that Seq has no hole), over a socket and over
  REST, in personal, group and self chats. A REST request also pays for its JWT's session check and the
  caller's user: those are counted, reported and bounded apart from the send's own share;
* a history page is at most 2;
* a connect's chat lists cost the same number of commands whatever the number of chats;
* a browser connect (four namespaces over one Engine.IO connection) is at most 4 commands: the tokens are
  checked once for the connection (one more for the newest messages when the user has chats);
* a repeated ClientId returns the same MessageId and stores one message;
* attachments cost a send 2 more, whatever their number (one conditional update of each file in one command,
  one read of them);
* blocks cost a send nothing (2 commands with blocks in place; a refused send is 2 and stores nothing), and a
  mute is one update.
* a thread reply is at most 7 commands (the chat with two Revs, the root's ThreadSeq and summary, the insert, the
  follows); a page of a thread at most 3 (4 with a cursor); `GET /threads` the same with 3 or 60 followed threads,
  reading the chats of its page by id, never the user's chats.

Every measurement is printed (run with -s to see them).
"""
import pytest

from command_log import summary
from conftest import bearer, socket_auth

SEND, SEND_REPEATED, PAGE = 2, 4, 2
# What a repeated ClientId pays, in order: the Seq taken, the refused insert, the message stored first, the Seq
# given back (the chat's Seq is where it was before).
REPEAT_PATH = ["findAndModify chats", "insert messages", "find messages", "update chats"]
# A REST request's own overhead: the JWT's session (sessions) and the caller (users).
REST_AUTH = {("find", "sessions"), ("find", "users")}


@pytest.fixture
def app(make_app, commands):
    """The app, built with the command listener on its client (every conftest fixture uses this one)."""
    return make_app()


def report(what, measured):
    print(f"\n[commands] {what}: {len(measured)} ({summary(measured)})")


def ok(ack):
    assert ack and ack.get("ok") is True, ack
    return ack


def rest_split(measured):
    """(the request's session and caller lookups, the operation's own commands) of one REST request.

    One find of `sessions` and one of `users` are the request's; anything beyond them is the operation's.
    """
    auth, own, wanted = [], [], set(REST_AUTH)
    for command in measured:
        key = (command.name, command.collection)
        if key in wanted:
            wanted.discard(key)
            auth.append(command)
        else:
            own.append(command)
    return auth, own


@pytest.fixture
def people(accounts):
    return accounts.user(), accounts.user(), accounts.user()


@pytest.fixture
def sockets(app, people, connect_socket):
    """{(user index, namespace): a connected socket test client} for the three people."""
    return {(i, ns): connect_socket(app, user, ns) for i, user in enumerate(people)
            for ns in ("/personal", "/group", "/self")}


def emit(sockets, who, namespace, event, data):
    return sockets[who, namespace].emit(event, data, namespace=namespace, callback=True)


def stored_messages(db, chat_id):
    return db["messages"].count_documents({"chat_id": chat_id})


def test_socket_sends_cost_two_commands_and_four_when_the_client_id_repeats(app, people, sockets, commands, db):
    alice, bob, carol = people
    chat = ok(emit(sockets, 0, "/personal", "fetch-personal-chat", {"Partner": bob["id"]}))
    group = ok(emit(sockets, 0, "/group", "create-group-chat",
                    {"Name": "g", "Participants": [bob["id"], carol["id"]]}))["Group"]

    # First-ever self send: the self chat is created by it (measured and reported; the budget is for the
    # steady state).
    ack, first_self = commands.measure(lambda: emit(sockets, 0, "/self", "send-self-message", {"Content": "first"}))
    ok(ack)
    report("socket send-self-message, first ever (creates the self chat)", first_self)

    cases = [
        ("personal", "/personal", "send-personal-message", {"ChatId": chat["ChatId"]}, chat["ChatId"]),
        ("group", "/group", "send-group-message", {"GroupId": group["GroupId"]}, group["GroupId"]),
        ("self", "/self", "send-self-message", {}, alice["id"]),
    ]
    for kind, namespace, event, target, chat_id in cases:
        ack, plain = commands.measure(lambda: emit(sockets, 0, namespace, event, {**target, "Content": "hi"}))
        ok(ack)
        report(f"socket {event} (no ClientId)", plain)
        ack, keyed = commands.measure(
            lambda: emit(sockets, 0, namespace, event, {**target, "Content": "once", "ClientId": f"k-{kind}"}))
        first = ok(ack)["Message"]
        report(f"socket {event} (new ClientId)", keyed)
        before, seq = stored_messages(db, chat_id), db["chats"].find_one({"_id": chat_id})["seq"]
        ack, repeated = commands.measure(
            lambda: emit(sockets, 0, namespace, event, {**target, "Content": "once", "ClientId": f"k-{kind}"}))
        again = ok(ack)["Message"]
        report(f"socket {event} (repeated ClientId)", repeated)

        assert len(plain) <= SEND, f"{kind} send: {summary(plain)}"
        assert len(keyed) <= SEND, f"{kind} send with a ClientId: {summary(keyed)}"
        assert len(repeated) <= SEND_REPEATED, f"{kind} send with a repeated ClientId: {summary(repeated)}"
        assert list(map(repr, repeated)) == REPEAT_PATH and db["chats"].find_one({"_id": chat_id})["seq"] == seq
        assert again["MessageId"] == first["MessageId"]
        assert stored_messages(db, chat_id) == before
        assert db["messages"].count_documents({"client_key": {"$exists": True}, "chat_id": chat_id}) == 1


def test_rest_sends_cost_two_commands_of_their_own(app, client, people, sockets, commands, db):
    alice, bob, carol = people
    headers = bearer(alice["access"])
    ok(emit(sockets, 0, "/personal", "fetch-personal-chat", {"Partner": bob["id"]}))
    group = ok(emit(sockets, 0, "/group", "create-group-chat", {"Name": "g", "Participants": [bob["id"]]}))["Group"]

    def post(url, body):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code in (200, 201), response.get_json()
        return response

    # First-ever sends create their chat: measured and reported (the steady state is asserted below).
    _, first_personal = commands.measure(lambda: post(f"/chats/personal/{carol['id']}/messages", {"Content": "hi"}))
    report("REST personal send, first ever (creates the chat)", first_personal)
    _, first_self = commands.measure(lambda: post("/chats/self/messages", {"Content": "hi"}))
    report("REST self send, first ever (creates the self chat)", first_self)

    cases = [
        ("personal", f"/chats/personal/{bob['id']}/messages", ":".join(sorted((alice["id"], bob["id"])))),
        ("group", f"/groups/{group['GroupId']}/messages", group["GroupId"]),
        ("self", "/chats/self/messages", alice["id"]),
    ]
    for kind, url, chat_id in cases:
        response, plain = commands.measure(lambda: post(url, {"Content": "hi"}))
        assert response.status_code == 201
        response, keyed = commands.measure(lambda: post(url, {"Content": "once", "ClientId": f"r-{kind}"}))
        assert response.status_code == 201
        first = response.get_json()["Message"]
        before, seq = stored_messages(db, chat_id), db["chats"].find_one({"_id": chat_id})["seq"]
        response, repeated = commands.measure(lambda: post(url, {"Content": "once", "ClientId": f"r-{kind}"}))
        assert response.status_code == 200, response.get_json()
        for what, measured, budget in (("no ClientId", plain, SEND), ("new ClientId", keyed, SEND),
                                       ("repeated ClientId", repeated, SEND_REPEATED)):
            _auth, own = rest_split(measured)
            report(f"REST {kind} send ({what}), total", measured)
            report(f"REST {kind} send ({what}), its own share", own)
            assert len(own) <= budget, f"REST {kind} send ({what}): own share {summary(own)}; total {summary(measured)}"
        assert response.get_json()["Message"]["MessageId"] == first["MessageId"]
        assert stored_messages(db, chat_id) == before and db["chats"].find_one({"_id": chat_id})["seq"] == seq
        assert list(map(repr, rest_split(repeated)[1])) == REPEAT_PATH
        assert db["messages"].count_documents({"client_key": {"$exists": True}, "chat_id": chat_id}) == 1


def test_a_history_page_costs_at_most_two_commands(app, client, people, sockets, commands):
    alice, bob, _carol = people
    chat = ok(emit(sockets, 0, "/personal", "fetch-personal-chat", {"Partner": bob["id"]}))
    group = ok(emit(sockets, 0, "/group", "create-group-chat", {"Name": "g", "Participants": [bob["id"]]}))["Group"]
    ok(emit(sockets, 0, "/self", "fetch-self-chat", {}))  # the self chat exists from here on
    sent = {}
    for namespace, event, target in (("/personal", "send-personal-message", {"ChatId": chat["ChatId"]}),
                                     ("/group", "send-group-message", {"GroupId": group["GroupId"]}),
                                     ("/self", "send-self-message", {})):
        sent[namespace] = [ok(emit(sockets, 0, namespace, event, {**target, "Content": f"m{i}"}))["Message"]
                           for i in range(5)]
    newest = {namespace: messages[-1]["MessageId"] for namespace, messages in sent.items()}

    socket_pages = [
        ("fetch-personal-chat", "/personal", {"Partner": bob["id"]}),
        ("fetch-personal-chat with ChatId and Before", "/personal",
         {"Partner": bob["id"], "ChatId": chat["ChatId"], "Before": newest["/personal"], "Limit": 2}),
        ("fetch-group-chat", "/group", {"GroupId": group["GroupId"]}),
        ("fetch-group-chat with Before", "/group", {"GroupId": group["GroupId"], "Before": newest["/group"]}),
        ("fetch-self-chat", "/self", {}),
        ("fetch-self-chat with Before", "/self", {"Before": newest["/self"], "Limit": 2}),
    ]
    over = []
    for what, namespace, data in socket_pages:
        event = what.split()[0]
        ack, measured = commands.measure(lambda: emit(sockets, 0, namespace, event, data))
        assert ok(ack)["Messages"], ack
        report(f"socket {what}", measured)
        if len(measured) > PAGE:
            over.append(f"socket {what}: {len(measured)} ({summary(measured)})")

    headers = bearer(alice["access"])
    rest_pages = [
        ("personal", f"/chats/personal/{bob['id']}/messages?limit=2"),
        ("group", f"/groups/{group['GroupId']}/messages"),
        ("self", "/chats/self/messages"),
        ("self with before", f"/chats/self/messages?before={newest['/self']}"),
    ]
    for what, url in rest_pages:
        response, measured = commands.measure(lambda: client.get(url, headers=headers))
        assert response.status_code == 200 and response.get_json()["Messages"], response.get_json()
        _auth, own = rest_split(measured)
        report(f"REST {what} history, total", measured)
        report(f"REST {what} history, its own share", own)
        if len(own) > PAGE:
            over.append(f"REST {what} history: own share {len(own)} ({summary(own)}); total {summary(measured)}")
    assert not over, "history pages over budget:\n" + "\n".join(over)


def connect_cost(app, user, connect_socket, commands, namespace="/"):
    """The commands of one connect to namespace, and what it emitted ({event: data})."""
    socket, measured = commands.measure(lambda: connect_socket(app, user, namespace))
    assert socket.is_connected(namespace)
    received = {packet["name"]: packet["args"][0] for packet in socket.get_received(namespace)}
    return measured, received


def test_the_chat_lists_of_a_connect_cost_the_same_whatever_the_number_of_chats(
        app, accounts, people, connect_socket, commands):
    alice, bob, _carol = people
    few, many = accounts.user(), accounts.user()

    def open_chats(owner, partners, groups):
        owner_socket = {ns: connect_socket(app, owner, ns) for ns in ("/personal", "/group")}
        for partner in partners:
            chat = ok(owner_socket["/personal"].emit("fetch-personal-chat", {"Partner": partner["id"]},
                                                     namespace="/personal", callback=True))
            ok(owner_socket["/personal"].emit("send-personal-message", {"ChatId": chat["ChatId"], "Content": "hi"},
                                              namespace="/personal", callback=True))
        for i in range(groups):
            group = ok(owner_socket["/group"].emit("create-group-chat", {"Name": f"g{i}", "Participants": [bob["id"]]},
                                                   namespace="/group", callback=True))["Group"]
            ok(owner_socket["/group"].emit("send-group-message", {"GroupId": group["GroupId"], "Content": "hi"},
                                           namespace="/group", callback=True))

    # 1 personal chat and 1 group, against 30 of each (30 distinct partners; the partners' own
    # lists grow too, so nothing is cached by whoever connects).
    partners = [accounts.user() for _ in range(29)]
    open_chats(few, [alice], 1)
    open_chats(many, [alice, *partners], 30)

    small, small_lists = connect_cost(app, few, connect_socket, commands)
    large, large_lists = connect_cost(app, many, connect_socket, commands)
    report("connect to / with 1 personal chat and 1 group", small)
    report("connect to / with 30 personal chats and 30 groups", large)
    assert len(small_lists["personal-chat-list"]["PersonalChatList"]) == 1
    assert len(small_lists["group-chat-list"]["GroupChatList"]) == 1
    assert len(large_lists["personal-chat-list"]["PersonalChatList"]) == 30
    assert len(large_lists["group-chat-list"]["GroupChatList"]) == 30
    assert all(entry["LastMessage"] for entry in large_lists["personal-chat-list"]["PersonalChatList"])
    assert all(entry["LastMessage"] for entry in large_lists["group-chat-list"]["GroupChatList"])
    assert summary(large) == summary(small), (f"1 chat: {len(small)} ({summary(small)}); "
                                              f"30 chats: {len(large)} ({summary(large)})")

    # `/group` joins the room of every group on connect: that is constant too.
    small, _ = connect_cost(app, few, connect_socket, commands, "/group")
    large, _ = connect_cost(app, many, connect_socket, commands, "/group")
    report("connect to /group with 1 group", small)
    report("connect to /group with 30 groups", large)
    assert summary(large) == summary(small), (f"1 group: {len(small)} ({summary(small)}); "
                                              f"30 groups: {len(large)} ({summary(large)})")


# Richer messages (SPEC v2): a reply reads the replied-to message once more; mentions are resolved from the
# group document the Seq update returns (no query per mentioned user); a reaction is the chat (membership),
# its Rev (one update of the chat, SPEC v3 catch-up) and one write; UnreadMentions is one query for the whole
# group list.

REPLY, REACT = SEND + 1, 2 + 1


def test_replies_mentions_and_reactions_stay_within_the_budget(app, client, accounts, people, sockets, commands):
    alice, bob, carol = people
    more = [accounts.user() for _ in range(5)]
    chat = ok(emit(sockets, 0, "/personal", "fetch-personal-chat", {"Partner": bob["id"]}))
    group = ok(emit(sockets, 0, "/group", "create-group-chat",
                    {"Name": "g", "Participants": [bob["id"], carol["id"], *(u["id"] for u in more)]}))["Group"]
    ok(emit(sockets, 0, "/self", "fetch-self-chat", {}))
    cases = [("personal", "/personal", "send-personal-message", {"ChatId": chat["ChatId"]}),
             ("group", "/group", "send-group-message", {"GroupId": group["GroupId"]}),
             ("self", "/self", "send-self-message", {})]
    over = []
    for kind, namespace, event, target in cases:
        first = ok(emit(sockets, 0, namespace, event, {**target, "Content": "first"}))["Message"]
        ack, measured = commands.measure(lambda: emit(sockets, 0, namespace, event, {
            **target, "Content": "a reply", "ReplyTo": first["MessageId"]}))
        assert ok(ack)["Message"]["ReplyTo"]["MessageId"] == first["MessageId"]
        report(f"socket {event} with ReplyTo", measured)
        if len(measured) > REPLY:
            over.append(f"{kind} reply: {summary(measured)}")
        ack, measured = commands.measure(lambda: emit(sockets, 0, namespace, event, {
            **target, "Content": "ok", "ReplyTo": first["MessageId"], "ClientId": f"rk-{kind}"}))
        report(f"socket {event} with ReplyTo and a new ClientId", measured)
        if len(measured) > REPLY:
            over.append(f"{kind} reply with a ClientId: {summary(measured)}")
        react = {**target, "MessageId": first["MessageId"], "Emoji": "👍", "On": True}
        for on in (True, True, False):
            ack, measured = commands.measure(lambda: emit(sockets, 1 if kind != "self" else 0, namespace,
                                                          "react-message", {**react, "On": on}))
            ok(ack)
            report(f"socket react-message on {kind} (On {on})", measured)
            if len(measured) > REACT:
                over.append(f"{kind} react (On {on}): {summary(measured)}")

    everyone = " ".join(f"@{u['username']}" for u in (bob, carol, *more))
    ack, measured = commands.measure(lambda: emit(sockets, 0, "/group", "send-group-message",
                                                  {"GroupId": group["GroupId"], "Content": f"hi {everyone}"}))
    assert len(ok(ack)["Message"]["Mentions"]) == 7
    report("socket send-group-message mentioning 7 members", measured)
    if len(measured) > SEND:
        over.append(f"7 mentions: {summary(measured)}")

    headers = bearer(alice["access"])
    first = ok(emit(sockets, 0, "/group", "send-group-message", {"GroupId": group["GroupId"], "Content": "x"}))
    for what, call in (
            ("REST group send with ReplyTo and mentions", lambda: client.post(
                f"/groups/{group['GroupId']}/messages", headers=headers,
                json={"Content": f"re {everyone}", "ReplyTo": first["Message"]["MessageId"]})),
            ("REST PUT reaction", lambda: client.put(
                f"/messages/{first['Message']['MessageId']}/reactions/🎉", headers=headers)),
            ("REST DELETE reaction", lambda: client.delete(
                f"/messages/{first['Message']['MessageId']}/reactions/🎉", headers=headers))):
        response, measured = commands.measure(call)
        assert response.status_code in (200, 201), response.get_json()
        _auth, own = rest_split(measured)
        report(f"{what}, its own share", own)
        budget = REPLY if "send" in what else REACT
        if len(own) > budget:
            over.append(f"{what}: own share {summary(own)}; total {summary(measured)}")
    assert not over, "over budget:\n" + "\n".join(over)


def test_attachments_cost_a_send_two_commands_whatever_their_number(app, client, people, sockets, commands):
    import io
    alice, bob, _carol = people
    chat = ok(emit(sockets, 0, "/personal", "fetch-personal-chat", {"Partner": bob["id"]}))
    ok(emit(sockets, 0, "/personal", "send-personal-message", {"ChatId": chat["ChatId"], "Content": "first"}))

    def upload():
        response = client.post("/files", data={"file": (io.BytesIO(b"words"), "a.txt")},
                               headers=bearer(alice["access"]), content_type="multipart/form-data")
        assert response.status_code == 201, response.get_json()
        return response.get_json()["File"]["FileId"]

    for count in (1, 10):
        files = [upload() for _ in range(count)]
        ack, measured = commands.measure(lambda: emit(sockets, 0, "/personal", "send-personal-message", {
            "ChatId": chat["ChatId"], "Content": "", "Attachments": files}))
        assert len(ok(ack)["Message"]["Attachments"]) == count
        report(f"socket send-personal-message with {count} attachments", measured)
        assert len(measured) <= SEND + 2, summary(measured)


def test_unread_mentions_cost_one_query_for_the_whole_group_list(app, accounts, people, connect_socket, commands):
    alice, bob, _carol = people
    few, many = accounts.user(), accounts.user()

    def mentioned_in(owner, groups):
        owner_socket = connect_socket(app, owner, "/group")
        for i in range(groups):
            group = ok(owner_socket.emit("create-group-chat", {"Name": f"g{i}", "Participants": [bob["id"]]},
                                         namespace="/group", callback=True))["Group"]
            ok(owner_socket.emit("send-group-message", {"GroupId": group["GroupId"],
                                                        "Content": f"@{bob['username']} look"},
                                 namespace="/group", callback=True))
    # bob is mentioned (unread) in the 1 group of `few`, then in the 30 groups of `many` too
    mentioned_in(few, 1)
    small, small_lists = connect_cost(app, bob, connect_socket, commands)
    mentioned_in(many, 30)
    large, large_lists = connect_cost(app, bob, connect_socket, commands)
    report("connect to / with unread mentions in 1 group", small)
    report("connect to / with unread mentions in 31 groups", large)
    assert [e["UnreadMentions"] for e in small_lists["group-chat-list"]["GroupChatList"]] == [1]
    assert [e["UnreadMentions"] for e in large_lists["group-chat-list"]["GroupChatList"]] == [1] * 31
    assert summary(large) == summary(small), f"1 group: {summary(small)}; 31 groups: {summary(large)}"
    assert ("aggregate", "messages") in {(c.name, c.collection) for c in large}


# Block and mute (SPEC v2): the block rides on the Seq update of the personal chat, so a send with blocks in
# place is still 2 commands, and a refused one 2 as well (the update, then the chat read once to say
# `blocked`); typing and receipts decide from the chat they already read; mute is one update.

REFUSED_SEND, MUTE = 2, 1


def test_blocks_cost_no_command_on_a_send_and_mute_is_one(app, client, accounts, people, sockets, commands, db):
    alice, bob, carol = people
    chat = ok(emit(sockets, 0, "/personal", "fetch-personal-chat", {"Partner": bob["id"]}))["ChatId"]
    ok(emit(sockets, 1, "/personal", "send-personal-message", {"ChatId": chat, "Content": "before"}))
    for blocker, blocked in ((alice, bob), (carol, alice), (bob, carol)):  # blocks all around
        assert client.put(f"/users/{blocked['id']}/block", headers=bearer(blocker["access"])).status_code == 200
    over = []

    def check(what, measured, budget):
        report(what, measured)
        if len(measured) > budget:
            over.append(f"{what}: {summary(measured)}")

    for client_id in (None, "blk-1"):
        data = {"ChatId": chat, "Content": "from the blocker", **({"ClientId": client_id} if client_id else {})}
        ack, measured = commands.measure(lambda: emit(sockets, 0, "/personal", "send-personal-message", data))
        ok(ack)
        check(f"socket send-personal-message by the blocker (ClientId {client_id})", measured, SEND)
    before = stored_messages(db, chat)
    ack, measured = commands.measure(lambda: emit(sockets, 1, "/personal", "send-personal-message",
                                                  {"ChatId": chat, "Content": "refused", "ClientId": "blk-2"}))
    assert ack["error"]["code"] == "blocked", ack
    check("socket send-personal-message by the blocked user (refused)", measured, REFUSED_SEND)
    response, measured = commands.measure(lambda: client.post(f"/chats/personal/{bob['id']}/messages",
                                                              json={"Content": "by rest"},
                                                              headers=bearer(alice["access"])))
    assert response.status_code == 201
    check("REST personal send by the blocker, its own share", rest_split(measured)[1], SEND)
    assert stored_messages(db, chat) == before + 1
    ack, measured = commands.measure(lambda: emit(sockets, 1, "/personal", "typing", {"ChatId": chat}))
    check("socket typing by the blocked user", ok(ack) and measured, 1)

    group = ok(emit(sockets, 0, "/group", "create-group-chat", {"Name": "g", "Participants": [bob["id"]]}))["Group"]
    for what, call in (("PUT mute with Until", lambda: client.put(f"/chats/{chat}/mute", json={
            "Until": "2099-01-01T00:00:00Z"}, headers=bearer(alice["access"]))),
            ("PUT mute of a group", lambda: client.put(f"/chats/{group['GroupId']}/mute",
                                                       headers=bearer(bob["access"]))),
            ("DELETE mute", lambda: client.delete(f"/chats/{chat}/mute", headers=bearer(alice["access"])))):
        response, measured = commands.measure(call)
        assert response.status_code == 200, response.get_json()
        check(f"REST {what}, its own share", rest_split(measured)[1], MUTE)
    # Rare calls, bounded all the same (their own share: the JWT's session is the request's).
    for what, call, budget in (
            # a block writes the blocker's groups too (the pair, for mentions: chat/blocks/repository.py)
            ("PUT block", lambda: client.put(f"/users/{carol['id']}/block", headers=bearer(alice["access"])), 6),
            ("GET /me/blocks", lambda: client.get("/me/blocks", headers=bearer(alice["access"])), 2),
            ("DELETE block", lambda: client.delete(f"/users/{bob['id']}/block", headers=bearer(alice["access"])), 7)):
        response, measured = commands.measure(call)
        assert response.status_code == 200, response.get_json()
        check(f"REST {what}, its own share", [c for c in measured if c.collection != "sessions"], budget)
    assert not over, "over budget:\n" + "\n".join(over)


# A browser connect (`/`, `/self`, `/personal`, `/group` over one Engine.IO connection) checks its tokens once
# (chat/sockets/shared.py): the session (one findAndModify, which also writes its LastUsedAt) and the user, then
# `/`'s two lists from one query of the chats and `/group`'s rooms from one more. A user with messages pays the
# lookup of the newest ones on top (constant whatever the number of chats: above).

BROWSER = ("/", "/self", "/personal", "/group")
BROWSER_CONNECT = 4


def browser(app, user, connect_socket):
    """A test client connected to the four namespaces over one Engine.IO connection (one eio_sid)."""
    client = connect_socket(app, user, "/")
    for namespace in BROWSER[1:]:
        client.connect(namespace, auth=socket_auth(user))
    return client


def test_a_browser_connect_checks_the_tokens_once_and_costs_at_most_four_commands(
        app, accounts, connect_socket, commands):
    fresh, busy, partner = accounts.user(), accounts.user(), accounts.user()
    client, measured = commands.measure(lambda: browser(app, fresh, connect_socket))
    print(f"\n[commands] browser connect, no chats: {len(measured)} ({summary(measured)})")
    assert all(client.is_connected(namespace) for namespace in BROWSER)
    assert [c.name for c in measured if c.collection == "sessions"] == ["findAndModify"], summary(measured)
    assert [c.name for c in measured if c.collection == "users"] == ["find"], summary(measured)
    assert len(measured) <= BROWSER_CONNECT, summary(measured)

    own = browser(app, busy, connect_socket)
    chat = ok(own.emit("fetch-personal-chat", {"Partner": partner["id"]}, namespace="/personal", callback=True))
    ok(own.emit("send-personal-message", {"ChatId": chat["ChatId"], "Content": "hi"}, namespace="/personal",
                callback=True))
    group = ok(own.emit("create-group-chat", {"Name": "g", "Participants": [partner["id"]]}, namespace="/group",
                        callback=True))["Group"]
    ok(own.emit("send-group-message", {"GroupId": group["GroupId"], "Content": "hi"}, namespace="/group",
                callback=True))
    again, measured = commands.measure(lambda: browser(app, busy, connect_socket))
    print(f"[commands] browser connect, a personal chat and a group with messages: {len(measured)} "
          f"({summary(measured)})")
    assert all(again.is_connected(namespace) for namespace in BROWSER)
    assert len([c for c in measured if c.collection in ("sessions", "users")]) == 2, summary(measured)
    assert len(measured) <= BROWSER_CONNECT + 1, summary(measured)  # + the newest messages of the lists


# Catch-up (SPEC v3): a send still costs 2 (its Rev rides the Seq update); an edit and a deletion pay one
# command more than before (the chat update that takes their Rev); a sync is the chat and one range of the
# (chat_id, rev) index, the same at 30 messages as at 300.
EDIT, DELETE, SYNC = 2 + 1, 3 + 1, 2


def test_edits_deletions_and_syncs_stay_within_the_budget(app, client, people, sockets, commands):
    alice, bob, _carol = people
    chat = ok(emit(sockets, 0, "/personal", "fetch-personal-chat", {"Partner": bob["id"]}))["ChatId"]
    target, over = {"ChatId": chat}, []
    first = ok(emit(sockets, 0, "/personal", "send-personal-message", {**target, "Content": "a"}))["Message"]
    ack, measured = commands.measure(lambda: emit(sockets, 0, "/personal", "edit-personal-message", {
        **target, "MessageId": first["MessageId"], "Content": "b"}))
    assert ok(ack)["Message"]["Rev"] == 2
    report("socket edit-personal-message", measured)
    if len(measured) > EDIT:
        over.append(f"edit: {summary(measured)}")
    ack, measured = commands.measure(lambda: emit(sockets, 0, "/personal", "delete-personal-message", {
        **target, "MessageId": first["MessageId"]}))
    assert ok(ack)["Message"]["Rev"] == 3
    report("socket delete-personal-message", measured)
    if len(measured) > DELETE:
        over.append(f"delete: {summary(measured)}")
    costs = {}
    for total in (30, 300):
        last = first
        while last["Seq"] < total:
            last = ok(emit(sockets, 0, "/personal", "send-personal-message", {**target, "Content": "x"}))["Message"]
        ok(emit(sockets, 0, "/personal", "send-personal-message", {**target, "Content": "new"}))
        since = last["Rev"]
        ack, measured = commands.measure(lambda: emit(sockets, 1, "/personal", "sync-chat", {
            **target, "SinceRev": since, "Limit": 5}))
        assert [m["Content"] for m in ok(ack)["Messages"]] == ["new"]
        report(f"socket sync-chat at {total} messages", measured)
        costs[total] = summary(measured)
        if len(measured) > SYNC:
            over.append(f"sync at {total}: {summary(measured)}")
        response, measured = commands.measure(lambda: client.get(
            f"/chats/{chat}/changes?since_rev={since}", headers=bearer(bob["access"])))
        assert response.status_code == 200, response.get_json()
        _auth, own = rest_split(measured)
        report(f"REST GET changes at {total} messages, its own share", own)
        if len(own) > SYNC:
            over.append(f"REST changes at {total}: {summary(own)}")
    assert costs[30] == costs[300], costs
    assert not over, "over budget:\n" + "\n".join(over)


# Threads (SPEC v3)

REPLY, THREAD_PAGE, THREAD_PAGE_CURSOR = 7, 3, 4


def test_replies_and_thread_pages_stay_within_the_budget(app, people, sockets, commands):
    alice, bob, _carol = people
    chat = ok(emit(sockets, 0, "/personal", "fetch-personal-chat", {"Partner": bob["id"]}))["ChatId"]
    root = ok(emit(sockets, 0, "/personal", "send-personal-message", {"ChatId": chat, "Content": "root"}))["Message"]
    for who, text in ((1, "first reply"), (1, "second reply"), (0, "the author answers")):
        ack, measured = commands.measure(lambda: emit(sockets, who, "/personal", "send-personal-message", {
            "ChatId": chat, "Content": text, "ThreadOf": root["MessageId"]}))
        ok(ack)
        report(f"socket reply ({text})", measured)
        assert len(measured) <= REPLY, summary(measured)
    ack, plain = commands.measure(lambda: emit(sockets, 0, "/personal", "send-personal-message",
                                               {"ChatId": chat, "Content": "top level"}))
    ok(ack)
    assert len(plain) <= SEND, summary(plain)
    ack, page = commands.measure(lambda: emit(sockets, 1, "/personal", "fetch-thread",
                                              {"ChatId": chat, "MessageId": root["MessageId"]}))
    replies = ok(ack)["Messages"]
    report("fetch-thread", page)
    assert len(replies) == 3 and len(page) <= THREAD_PAGE, summary(page)
    ack, older = commands.measure(lambda: emit(sockets, 1, "/personal", "fetch-thread", {
        "ChatId": chat, "MessageId": root["MessageId"], "Before": replies[-1]["MessageId"]}))
    assert len(ok(ack)["Messages"]) == 2 and len(older) <= THREAD_PAGE_CURSOR, summary(older)


def test_the_threads_list_costs_the_same_for_3_or_60_followed_threads(app, client, people, sockets, commands):
    alice, bob, _carol = people
    chat = ok(emit(sockets, 0, "/personal", "fetch-personal-chat", {"Partner": bob["id"]}))["ChatId"]
    headers = bearer(alice["access"])
    costs = {}
    made = 0
    for follows in (3, 60):
        while made < follows:
            root = ok(emit(sockets, 1, "/personal", "send-personal-message",
                           {"ChatId": chat, "Content": f"root {made}"}))["Message"]
            ok(emit(sockets, 0, "/personal", "send-personal-message",
                    {"ChatId": chat, "Content": "me too", "ThreadOf": root["MessageId"]}))
            made += 1
        response, measured = commands.measure(lambda: client.get("/threads?per_page=10", headers=headers))
        assert response.status_code == 200 and response.get_json()["state"]["total"] == follows
        _auth, own = rest_split(measured)
        report(f"GET /threads, {follows} followed", own)
        costs[follows] = sorted(map(repr, own))
        # the chats are read by id, for the page's threads only: never the user's chats by membership
        assert [list(c.body["filter"]) for c in own if repr(c) == "find chats"] == [["_id"]]
    assert costs[3] == costs[60], costs
    assert len(costs[60]) <= 4, costs
