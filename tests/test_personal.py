"""Namespace `/personal` in-process: fetching, sending, receipts, typing, edits, and what a stranger
cannot do."""
import re

import pytest

from conftest import chat_snapshot, drain, error_code

NS = "/personal"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class Chat:
    """Alice (two tabs) and Bob (one tab) on /personal, with their chat fetched."""

    def __init__(self, app, accounts, connect_socket):
        self.app, self.db = app, app.extensions["chat.store"].db
        self.alice, self.bob = accounts.user(), accounts.user()
        self.a1, self.a2 = connect_socket(app, self.alice, NS), connect_socket(app, self.alice, NS)
        self.b1 = connect_socket(app, self.bob, NS)
        self.chat_id = self.call(self.a1, "fetch-personal-chat", Partner=self.bob["id"])["ChatId"]
        self.drain_all()

    @staticmethod
    def call(client, event, **payload):
        return client.emit(event, payload, namespace=NS, callback=True)

    def send(self, client, content, **extra):
        ack = self.call(client, "send-personal-message", ChatId=self.chat_id, Content=content, **extra)
        assert ack["ok"] is True, ack
        return ack["Message"]

    def drain_all(self):
        return [drain(client, NS) for client in (self.a1, self.a2, self.b1)]


@pytest.fixture
def chat(app, accounts, connect_socket):
    return Chat(app, accounts, connect_socket)


# Fetching

def test_the_first_fetch_creates_the_one_chat_of_the_pair(app, accounts, connect_socket):
    alice, bob = accounts.user(), accounts.user()
    a, b = connect_socket(app, alice, NS), connect_socket(app, bob, NS)
    ack = a.emit("fetch-personal-chat", {"Partner": bob["id"]}, namespace=NS, callback=True)
    assert ack == {"ok": True, "ChatId": ack["ChatId"], "Messages": [], "UserId": alice["id"],
                   "User": {"id": alice["id"], "username": alice["username"], "Bot": False},
                   "Partner": {"id": bob["id"], "username": bob["username"], "Bot": False}, "HasMore": False}
    assert drain(a, NS) == [("personal-chat", {k: v for k, v in ack.items() if k != "ok"})]
    again = b.emit("fetch-personal-chat", {"Partner": alice["id"], "ChatId": ack["ChatId"]}, namespace=NS,
                   callback=True)
    assert again["ChatId"] == ack["ChatId"] and again["Partner"]["id"] == alice["id"]
    assert app.extensions["chat.store"].db.chats.count_documents({"kind": "personal"}) == 1


def test_fetch_refuses_partners_that_are_not_other_verified_users(app, accounts, connect_socket):
    alice, unverified = accounts.user(), accounts.signup()
    a = connect_socket(app, alice, NS)
    db = app.extensions["chat.store"].db
    cases = [(alice["id"], "validation_error"), (unverified["id"], "not_found"),
             ("0123456789abcdef01234567", "not_found"), ("not-an-id", "not_found")]
    for partner, code in cases:
        ack = a.emit("fetch-personal-chat", {"Partner": partner}, namespace=NS, callback=True)
        assert error_code(ack) == code, partner
    assert db.chats.count_documents({}) == 0 and drain(a, NS) == []


# Sending

def test_a_message_reaches_the_partner_and_the_senders_other_tabs_but_not_the_sending_one(chat):
    message = chat.send(chat.a1, "  hello Bob  ", ClientId="c-1")
    # Every v1 key (SPEC v2 adds ReplyTo, Reactions, Mentions and Attachments: tests/test_rich_messages.py).
    assert set(message) >= {"MessageId", "ChatId", "Sender", "Content", "CreatedAt", "EditedAt", "Deleted",
                            "ClientId", "Seq"}
    assert message["Content"] == "hello Bob" and message["ChatId"] == chat.chat_id and message["Seq"] == 1
    assert message["Sender"] == {"id": chat.alice["id"], "username": chat.alice["username"], "Bot": False}
    assert (message["EditedAt"], message["Deleted"], message["ClientId"]) == (None, False, "c-1")
    assert ISO.match(message["CreatedAt"])
    push = ("receive-personal-message", {"ChatId": chat.chat_id, "Content": "hello Bob",
                                         "Sender": message["Sender"], "Message": message})
    a1, a2, b1 = chat.drain_all()
    assert (a1, a2, b1) == ([], [push], [push])

    reply = chat.send(chat.b1, "hi Alice")
    assert reply["Seq"] == 2 and reply["ClientId"] is None
    a1, a2, b1 = chat.drain_all()
    assert [name for name, _ in a1 + a2] == ["receive-personal-message"] * 2 and b1 == []
    history = Chat.call(chat.b1, "fetch-personal-chat", Partner=chat.alice["id"])
    assert history["Messages"] == [message, reply]


def test_resending_with_the_same_client_id_stores_and_delivers_once(chat):
    first = chat.send(chat.a1, "once", ClientId="retry-me")
    again = chat.send(chat.a2, "once (edited before retry)", ClientId="retry-me")
    assert again == first
    a1, a2, b1 = chat.drain_all()
    assert [d["Message"]["MessageId"] for _, d in b1] == [first["MessageId"]]
    assert [d["Message"]["MessageId"] for _, d in a2] == [first["MessageId"]] and a1 == []
    assert chat.db.messages.count_documents({"chat_id": chat.chat_id}) == 1
    # the key is per sender, and messages without a ClientId are never merged
    assert chat.send(chat.b1, "mine", ClientId="retry-me")["MessageId"] != first["MessageId"]
    plain = [chat.send(chat.a1, "same")["MessageId"] for _ in range(2)]
    assert len(set(plain)) == 2
    # One message per send; the repeat gave back the Seq it took, so Seq has no hole (tests/test_seq_gapfree.py),
    # and the sender has read everything.
    assert [m["seq"] for m in chat.db.messages.find({"chat_id": chat.chat_id}).sort("seq")] == [1, 2, 3, 4]
    assert chat.db.chats.find_one({"_id": chat.chat_id})["reads"][chat.alice["id"]] == 4


def test_content_is_trimmed_and_limited_to_4000_characters(chat):
    assert len(chat.send(chat.a1, "  " + "x" * 4000 + "\n")["Content"]) == 4000
    before = chat_snapshot(chat.db)
    for content in ("x" * 4001, "  " + "y" * 4001, " \n\t ", ""):
        ack = Chat.call(chat.a1, "send-personal-message", ChatId=chat.chat_id, Content=content)
        assert error_code(ack) == "validation_error" and "Content" in ack["error"]["fields"]
    assert chat_snapshot(chat.db) == before


# Read receipts

def unread(app, connect_socket, user, chat_id):
    root = connect_socket(app, user, "/")
    entries = dict(drain(root))["personal-chat-list"]["PersonalChatList"]
    root.disconnect("/")
    return next(e["Unread"] for e in entries if e["ChatId"] == chat_id)


def test_read_receipts_reach_the_partner_and_never_move_backwards(chat, connect_socket):
    m1, m2, m3 = (chat.send(chat.a1, f"m{i}") for i in (1, 2, 3))
    chat.drain_all()
    assert unread(chat.app, connect_socket, chat.bob, chat.chat_id) == 3
    assert unread(chat.app, connect_socket, chat.alice, chat.chat_id) == 0

    ack = Chat.call(chat.b1, "read-personal-message", ChatId=chat.chat_id, UpTo=m2["MessageId"])
    assert ack["ok"] is True and ack["Moved"] is True and ack["UpTo"] == m2["MessageId"]
    receipt = {"ChatId": chat.chat_id, "ReaderId": chat.bob["id"], "UpTo": m2["MessageId"],
               "ReadAt": ack["ReadAt"]}
    assert ISO.match(receipt["ReadAt"])
    a1, a2, b1 = chat.drain_all()
    assert a1 == a2 == [("read-personal-msg-ack", receipt)] and b1 == []
    assert unread(chat.app, connect_socket, chat.bob, chat.chat_id) == 1

    state = chat.db.chats.find_one({"_id": chat.chat_id})["reads"]
    assert state[chat.bob["id"]] == m2["Seq"]
    older = Chat.call(chat.b1, "read-personal-message", ChatId=chat.chat_id, UpTo=m1["MessageId"])
    same = Chat.call(chat.b1, "read-personal-message", ChatId=chat.chat_id, UpTo=m2["MessageId"])
    assert older == same == {"ok": True, "ChatId": chat.chat_id, "Moved": False}
    assert chat.drain_all() == [[], [], []]
    assert chat.db.chats.find_one({"_id": chat.chat_id})["reads"] == state
    assert unread(chat.app, connect_socket, chat.bob, chat.chat_id) == 1

    newest = Chat.call(chat.b1, "read-personal-message", ChatId=chat.chat_id)
    assert newest["Moved"] is True and newest["UpTo"] == m3["MessageId"]
    assert [d["UpTo"] for _, d in chat.drain_all()[0]] == [m3["MessageId"]]
    assert unread(chat.app, connect_socket, chat.bob, chat.chat_id) == 0


def test_reading_an_empty_chat_or_another_chats_message(chat, accounts, connect_socket):
    assert Chat.call(chat.b1, "read-personal-message", ChatId=chat.chat_id)["Moved"] is False
    carol = accounts.user()
    other = connect_socket(chat.app, carol, NS)
    other_chat = Chat.call(other, "fetch-personal-chat", Partner=chat.alice["id"])["ChatId"]
    foreign = Chat.call(other, "send-personal-message", ChatId=other_chat, Content="elsewhere")["Message"]
    ack = Chat.call(chat.b1, "read-personal-message", ChatId=chat.chat_id, UpTo=foreign["MessageId"])
    assert error_code(ack) == "validation_error" and "UpTo" in ack["error"]["fields"]


# Typing

@pytest.mark.parametrize("event", ["typing", "done-typing"])
def test_typing_is_relayed_to_the_partner_only(chat, event):
    assert Chat.call(chat.a1, event, ChatId=chat.chat_id) == {"ok": True}
    a1, a2, b1 = chat.drain_all()
    who = {"UserId": chat.alice["id"], "UserName": chat.alice["username"]}
    assert b1 == [(event, {"ChatId": chat.chat_id, **who})]
    assert a1 == a2 == []


# Edit and delete

def test_only_the_author_edits_or_deletes_and_both_sides_hear_of_it(chat):
    message = chat.send(chat.a1, "first draft")
    chat.drain_all()
    before = chat_snapshot(chat.db)
    for event, extra in (("edit-personal-message", {"Content": "hijacked"}), ("delete-personal-message", {})):
        ack = Chat.call(chat.b1, event, ChatId=chat.chat_id, MessageId=message["MessageId"], **extra)
        assert error_code(ack) == "forbidden"
    assert chat_snapshot(chat.db) == before and chat.drain_all() == [[], [], []]

    edited = Chat.call(chat.a1, "edit-personal-message", ChatId=chat.chat_id, MessageId=message["MessageId"],
                       Content=" final ")["Message"]
    assert (edited["Content"], edited["Seq"], edited["MessageId"]) == ("final", 1, message["MessageId"])
    assert ISO.match(edited["EditedAt"]) and edited["CreatedAt"] == message["CreatedAt"]
    push = ("personal-message-edited", {"ChatId": chat.chat_id, "Message": edited})
    assert chat.drain_all() == [[push], [push], [push]]

    later = chat.send(chat.b1, "after it")
    chat.drain_all()
    deleted = Chat.call(chat.a1, "delete-personal-message", ChatId=chat.chat_id,
                        MessageId=message["MessageId"])["Message"]
    assert (deleted["Deleted"], deleted["Content"], deleted["Seq"]) == (True, "", 1)
    push = ("personal-message-deleted", {"ChatId": chat.chat_id, "Message": deleted})
    assert chat.drain_all() == [[push], [push], [push]]
    history = Chat.call(chat.b1, "fetch-personal-chat", Partner=chat.alice["id"])["Messages"]
    assert [(m["Seq"], m["Content"], m["Deleted"]) for m in history] == [(1, "", True),
                                                                          (2, "after it", False)]
    assert history[1] == later
    assert chat.db.messages.find_one({"chat_id": chat.chat_id, "seq": 1})["content"] == ""

    before = chat_snapshot(chat.db)
    for event, extra in (("edit-personal-message", {"Content": "revive"}), ("delete-personal-message", {})):
        for message_id in (message["MessageId"], "0123456789abcdef01234567", "nope"):
            ack = Chat.call(chat.a1, event, ChatId=chat.chat_id, MessageId=message_id, **extra)
            assert error_code(ack) == "not_found"
    assert chat_snapshot(chat.db) == before


# A stranger

def test_a_stranger_can_neither_see_nor_touch_a_chat(chat, accounts, connect_socket):
    message = chat.send(chat.a1, "private", ClientId="a-1")
    carol = accounts.user()
    stranger = connect_socket(chat.app, carol, NS)
    own_chat = Chat.call(stranger, "fetch-personal-chat", Partner=chat.alice["id"])["ChatId"]
    chat.drain_all(), drain(stranger, NS)
    before = chat_snapshot(chat.db)
    mid = message["MessageId"]
    attempts = [
        ("fetch-personal-chat", {"Partner": chat.alice["id"], "ChatId": chat.chat_id}),
        ("fetch-personal-chat", {"Partner": chat.bob["id"], "ChatId": chat.chat_id}),
        ("send-personal-message", {"ChatId": chat.chat_id, "Content": "let me in"}),
        ("send-personal-message", {"ChatId": chat.chat_id, "Content": "let me in", "ClientId": "a-1"}),
        ("read-personal-message", {"ChatId": chat.chat_id}),
        ("read-personal-message", {"ChatId": chat.chat_id, "UpTo": mid}),
        ("typing", {"ChatId": chat.chat_id}),
        ("done-typing", {"ChatId": chat.chat_id}),
        ("edit-personal-message", {"ChatId": chat.chat_id, "MessageId": mid, "Content": "mine now"}),
        ("delete-personal-message", {"ChatId": chat.chat_id, "MessageId": mid}),
        # the message through the stranger's own chat
        ("edit-personal-message", {"ChatId": own_chat, "MessageId": mid, "Content": "mine now"}),
        ("delete-personal-message", {"ChatId": own_chat, "MessageId": mid}),
        ("read-personal-message", {"ChatId": own_chat, "UpTo": mid}),
        ("fetch-personal-chat", {"Partner": chat.alice["id"], "Before": mid}),
        ("fetch-personal-chat", {"Partner": chat.alice["id"], "After": mid}),
    ]
    for event, payload in attempts:
        ack = stranger.emit(event, payload, namespace=NS, callback=True)
        assert error_code(ack) in ("not_found", "forbidden", "validation_error"), event
        assert "private" not in str(ack) and chat.bob["id"] not in str(ack)
    assert chat_snapshot(chat.db) == before
    assert chat.drain_all() == [[], [], []] and drain(stranger, NS) == []
    # and a chat with a third user was not created on the way
    assert chat.db.chats.count_documents({"members": carol["id"]}) == 1


# History pages

def test_250_messages_page_back_and_forward_without_gaps_or_duplicates(chat):
    sent = [chat.send(chat.a1 if i % 3 else chat.b1, f"message {i}") for i in range(1, 251)]
    assert [m["Seq"] for m in sent] == list(range(1, 251))

    def page(**cursor):
        ack = Chat.call(chat.a2, "fetch-personal-chat", Partner=chat.bob["id"], **cursor)
        assert ack["ok"] is True, ack
        seqs = [m["Seq"] for m in ack["Messages"]]
        assert seqs == sorted(seqs)
        return ack

    newest = page()
    assert [m["Seq"] for m in newest["Messages"]] == list(range(231, 251)) and newest["HasMore"] is True
    collected, cursor = [], {}
    while True:
        ack = page(Limit=30, **cursor)
        collected = ack["Messages"] + collected
        if not ack["HasMore"]:
            break
        cursor = {"Before": ack["Messages"][0]["MessageId"]}
    assert [m["Seq"] for m in collected] == list(range(1, 251))
    assert collected == sent
    assert len(ack["Messages"]) == 250 % 30

    forward, cursor = [], sent[9]["MessageId"]
    while True:
        ack = page(After=cursor, Limit=100)
        forward += ack["Messages"]
        if not ack["HasMore"]:
            break
        cursor = ack["Messages"][-1]["MessageId"]
    assert [m["Seq"] for m in forward] == list(range(11, 251))
    assert page(After=sent[-1]["MessageId"])["Messages"] == []
    assert page(Before=sent[0]["MessageId"])["Messages"] == []
    last_page = page(Limit=100, Before=sent[100]["MessageId"])
    assert [m["Seq"] for m in last_page["Messages"]] == list(range(1, 101)) and last_page["HasMore"] is False


def test_racing_first_uses_create_one_chat_and_all_get_it(db):
    """Sixteen first uses of the same personal chat and self chat at once: each gets the one document."""
    from concurrent.futures import ThreadPoolExecutor

    from chat.chats.repository import ChatRepository

    chats = ChatRepository(db)
    ann, bob = {"id": "a" * 24, "username": "ann"}, {"id": "b" * 24, "username": "bob"}
    with ThreadPoolExecutor(16) as pool:
        personal = list(pool.map(lambda i: chats.ensure_personal(*((ann, bob) if i % 2 else (bob, ann))), range(16)))
        notes = list(pool.map(lambda _: chats.ensure_self(ann["id"]), range(16)))
    assert {chat.id for chat in personal} == {f"{'a' * 24}:{'b' * 24}"}
    assert {chat.id for chat in notes} == {ann["id"]}
    assert db.chats.count_documents({}) == 2


def test_racing_reads_keep_the_furthest_position(db):
    """Tabs reading at once, each up to a different message: the position ends at the furthest, never behind it."""
    from concurrent.futures import ThreadPoolExecutor

    from chat.chats.repository import ChatRepository

    chats = ChatRepository(db)
    chat = chats.ensure_personal({"id": "a", "username": "ann"}, {"id": "b", "username": "bob"})
    db.chats.update_one({"_id": chat.id}, {"$set": {"seq": 40}})
    positions = list(range(1, 41)) * 3
    with ThreadPoolExecutor(8) as pool:
        moved = list(pool.map(lambda seq: chats.advance_read(chat.id, "b", seq), positions))
    assert db.chats.find_one({"_id": chat.id})["reads"]["b"] == 40
    assert 1 <= sum(moved) <= 40
    assert chats.advance_read(chat.id, "b", 39) is False
    assert chats.advance_read(chat.id, "z", 41) is False  # not a member
