"""A repeated ClientId leaves no hole in `Seq` (SPEC v1: Seq increases by one per chat), and no hole is ever
counted: history pages hold `Limit` messages while `HasMore` is true, and `Unread` counts stored messages only.

The rules through the live server (sockets and REST, personal and group chats, racing resends from two
connections); the one race that cannot give its Seq back (a later send took the next one while the resend was
finding out it repeats), and a read at that moment, in-process: a command listener on the app's client makes
that request, through a second app on the same database, at exactly that moment. And a send cut off by a
database outage after it took its Seq: pages read past the empty Seq.
"""
import threading

import pytest
import requests
from pymongo import MongoClient
from pymongo.monitoring import CommandListener
from test_accounts import cutter, resume  # noqa: F401  (fixtures)
from test_faults import OUTAGE_TIMEOUT_MS, proxy  # noqa: F401  (fixtures)

import chat.db
from conftest import Accounts, bearer

P, G = "/personal", "/group"


def rest(server, method, path, user, **kwargs):
    response = requests.request(method, f"{server.url}{path}", headers=bearer(user["access"]), timeout=10, **kwargs)
    assert response.status_code < 300, (response.status_code, response.text)
    return response.json()


def ok(ack):
    assert ack and ack.get("ok") is True, ack
    return ack


def unread(server, user, chat_id):
    """The user's Unread of chat_id in their inbox (GET /chats)."""
    entries = rest(server, "GET", "/chats?per_page=100", user)["entries"]
    [entry] = [e for e in entries if e.get("ChatId", e.get("GroupId")) == chat_id]
    return entry["Unread"]


def walk(fetch, limit, cursor, at=None):
    """Every page from the newest back (cursor "Before"), or forward from the message `at` (cursor "After"): the
    pages' Seqs and HasMore flags. Each page but the last must hold `limit` messages."""
    pages = []
    while True:
        page = fetch({"Limit": limit, **({cursor: at} if at else {})})
        pages.append(([m["Seq"] for m in page["Messages"]], page["HasMore"]))
        if not page["HasMore"]:
            return pages
        assert len(page["Messages"]) == limit, pages
        at = page["Messages"][0 if cursor == "Before" else -1]["MessageId"]


def test_three_resends_leave_no_hole_and_pages_are_full(live_server, smtp, live_socket):
    alice, bob = (live_server.signup_verify_login(smtp) for _ in range(2))
    sock = live_socket(live_server, alice, [P])
    chat_id = ok(sock.call("fetch-personal-chat", {"Partner": bob["id"]}, namespace=P))["ChatId"]
    sent = {}
    for i in range(24):
        ack = ok(sock.call("send-personal-message", {"ChatId": chat_id, "Content": f"m{i}", "ClientId": f"c{i}"},
                           namespace=P))
        sent[f"c{i}"] = ack["Message"]
        if i in (3, 11, 17):  # the answer was lost: the client sends the same message again
            again = ok(sock.call("send-personal-message", {"ChatId": chat_id, "Content": f"m{i}",
                                                          "ClientId": f"c{i}"}, namespace=P))
            assert again["Message"]["MessageId"] == sent[f"c{i}"]["MessageId"]
    assert [m["Seq"] for m in sent.values()] == list(range(1, 25))

    def fetch(page):
        return ok(sock.call("fetch-personal-chat", {"Partner": bob["id"], **page}, namespace=P))
    assert walk(fetch, 10, "Before") == [(list(range(15, 25)), True), (list(range(5, 15)), True),
                                         (list(range(1, 5)), False)]
    assert walk(fetch, 10, "After", sent["c0"]["MessageId"]) == [(list(range(2, 12)), True),
                                                                 (list(range(12, 22)), True), ([22, 23, 24], False)]
    assert unread(live_server, bob, chat_id) == 24 and unread(live_server, alice, chat_id) == 0


def test_rest_resends_in_a_group_leave_no_hole(live_server, smtp, live_socket):
    alice, bob = (live_server.signup_verify_login(smtp) for _ in range(2))
    creating = {"Name": "g", "Participants": [bob["id"]]}
    group_id = ok(live_socket(live_server, alice, [G]).call("create-group-chat", creating, namespace=G))["Group"][
        "GroupId"]
    seqs = []
    for i in range(12):
        body = {"Content": f"m{i}", "ClientId": f"r{i}"}
        seqs.append(rest(live_server, "POST", f"/groups/{group_id}/messages", alice, json=body)["Message"]["Seq"])
        if i % 4 == 1:
            again = rest(live_server, "POST", f"/groups/{group_id}/messages", alice, json=body)["Message"]
            assert again["Seq"] == seqs[-1]
    assert seqs == list(range(1, 13))

    def fetch(page):
        query = {key.lower(): value for key, value in page.items()}
        return rest(live_server, "GET", f"/groups/{group_id}/messages", bob, params=query)
    assert walk(fetch, 5, "Before") == [(list(range(8, 13)), True), (list(range(3, 8)), True), ([1, 2], False)]
    assert unread(live_server, bob, group_id) == 12


def test_racing_resends_from_two_connections_store_each_message_once_and_count_it_once(
        live_server, smtp, live_socket):
    alice, bob = (live_server.signup_verify_login(smtp) for _ in range(2))
    tabs = [live_socket(live_server, alice, [P]) for _ in range(2)]
    bob_socket = live_socket(live_server, bob, [P])
    chat_id = ok(tabs[0].call("fetch-personal-chat", {"Partner": bob["id"]}, namespace=P))["ChatId"]
    acks, start = {}, threading.Barrier(3)

    def alice_tab(tab):  # both tabs send the same 15 messages, each twice
        start.wait()
        for i in range(15):
            for _ in range(2):
                ack = ok(tab.call("send-personal-message", {"ChatId": chat_id, "Content": f"a{i}",
                                                            "ClientId": f"a{i}"}, namespace=P))
                acks.setdefault(f"a{i}", set()).add(ack["Message"]["MessageId"])

    def bob_sends():  # fresh messages in between, taking the Seqs that follow the repeats'
        start.wait()
        for i in range(10):
            ok(bob_socket.call("send-personal-message", {"ChatId": chat_id, "Content": f"b{i}"}, namespace=P))

    threads = [threading.Thread(target=alice_tab, args=(tab,)) for tab in tabs] + [threading.Thread(target=bob_sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(len(ids) == 1 for ids in acks.values()) and len(acks) == 15, acks

    def fetch(page):
        return ok(bob_socket.call("fetch-personal-chat", {"Partner": alice["id"], **page}, namespace=P))
    pages = walk(fetch, 7, "Before")
    seqs = [seq for page, _more in reversed(pages) for seq in page]
    assert len(seqs) == 25 and seqs == sorted(set(seqs)), pages
    history = fetch({"Limit": 100})["Messages"]
    last_of = {who["id"]: max(m["Seq"] for m in history if m["Sender"]["id"] == who["id"]) for who in (alice, bob)}
    for reader, writer in ((alice, bob), (bob, alice)):
        expected = sum(1 for m in history if m["Sender"]["id"] == writer["id"] and m["Seq"] > last_of[reader["id"]])
        assert unread(live_server, reader, chat_id) == expected


class LaterSend(CommandListener):
    """Once armed, makes `later()` run just before the app reads the message a repeated ClientId stored first:
    after the resend took its Seq, before it can give it back."""

    def __init__(self):
        self.later = None

    def started(self, event):
        if self.later and event.command_name == "find" and event.command.get("find") == "messages":
            later, self.later = self.later, None
            later()

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def racing(make_app, smtp, monkeypatch):
    """(app, the same app's second process, its LaterSend listener, alice, bob): two apps on one database."""
    other = make_app()  # a second process on the same database, whose request races the resend
    listener = LaterSend()

    def listened_client(*args, **kwargs):
        kwargs["event_listeners"] = [*kwargs.get("event_listeners", ()), listener]
        return MongoClient(*args, **kwargs)
    monkeypatch.setattr(chat.db, "MongoClient", listened_client)  # the driver's class: our code runs unchanged
    app = make_app(MONGO_DB=other.config["MONGO_DB"])
    accounts = Accounts(app.test_client(), smtp)
    return app, other, listener, accounts.user(), accounts.user()


def test_a_seq_taken_by_a_resend_after_a_later_send_is_skipped_by_pages_and_unread(racing):
    app, other, listener, alice, bob = racing
    client, other_client = app.test_client(), other.test_client()
    url = f"/chats/personal/{bob['id']}/messages"

    def send(via, body):
        response = via.post(url, json=body, headers=bearer(alice["access"]))
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()["Message"]
    first = [send(client, {"Content": f"m{i}", "ClientId": f"k{i}"}) for i in range(3)]
    chat_id = first[0]["ChatId"]
    listener.later = lambda: send(other_client, {"Content": "from another tab"})  # takes Seq 5
    assert send(client, {"Content": "m2", "ClientId": "k2"})["MessageId"] == first[2]["MessageId"]  # took Seq 4
    assert listener.later is None, "the resend never read the stored message"
    stored = app.extensions["chat.store"].db
    assert stored.chats.find_one({"_id": chat_id})["gaps"] == [4]
    assert sorted(m["seq"] for m in stored.messages.find({"chat_id": chat_id})) == [1, 2, 3, 5]

    def page(**query):
        body = client.get(url, query_string=query, headers=bearer(alice["access"])).get_json()
        return [m["Seq"] for m in body["Messages"]], body["HasMore"]
    assert page(limit=2) == ([3, 5], True)
    assert page(limit=2, before=first[2]["MessageId"]) == ([1, 2], False)
    assert page(limit=3, after=first[0]["MessageId"]) == ([2, 3, 5], False)
    assert page(limit=2, after=first[1]["MessageId"]) == ([3, 5], False)
    inbox = client.get("/chats", headers=bearer(bob["access"])).get_json()["entries"]
    assert [e["Unread"] for e in inbox] == [4]
    assert client.post(f"/chats/{chat_id}/read", json={"UpTo": first[2]["MessageId"]},
                       headers=bearer(bob["access"])).status_code == 200
    assert client.get("/chats", headers=bearer(bob["access"])).get_json()["entries"][0]["Unread"] == 1
    # The next message is Seq 6 and counts once more.
    assert send(client, {"Content": "next", "ClientId": "k9"})["Seq"] == 6
    assert client.get("/chats", headers=bearer(bob["access"])).get_json()["entries"][0]["Unread"] == 2


@pytest.mark.parametrize("kind", ["personal", "self"])
def test_a_resend_gives_its_seq_back_and_the_next_message_is_unread(client, accounts, db, kind):
    alice, bob = accounts.user(), accounts.user()
    url = f"/chats/personal/{bob['id']}/messages" if kind == "personal" else "/chats/self/messages"
    headers = bearer(alice["access"])
    first = client.post(url, json={"Content": "one", "ClientId": "x"}, headers=headers).get_json()["Message"]
    chat_id = first["ChatId"]
    if kind == "personal":  # bob reads everything, then the resend comes
        assert client.post(f"/chats/{chat_id}/read", headers=bearer(bob["access"])).status_code == 200
    assert client.post(url, json={"Content": "one", "ClientId": "x"}, headers=headers).status_code == 200
    chat_doc = db.chats.find_one({"_id": chat_id})
    assert chat_doc["seq"] == 1 and "gaps" not in chat_doc and max(chat_doc["reads"].values()) == 1
    second = client.post(url, json={"Content": "two"}, headers=headers).get_json()["Message"]
    assert second["Seq"] == 2
    if kind == "personal":
        assert client.get("/chats", headers=bearer(bob["access"])).get_json()["entries"][0]["Unread"] == 1


def test_a_read_racing_a_resend_does_not_swallow_the_next_message(racing):
    app, other, listener, alice, bob = racing
    client, other_client = app.test_client(), other.test_client()
    url = f"/chats/personal/{bob['id']}/messages"
    first = client.post(url, json={"Content": "one", "ClientId": "x"}, headers=bearer(alice["access"]))
    chat_id = first.get_json()["Message"]["ChatId"]
    # Bob reads "everything" while the resend holds Seq 2: his position is 2 for a moment.
    listener.later = lambda: other_client.post(f"/chats/{chat_id}/read", headers=bearer(bob["access"]))
    resent = client.post(url, json={"Content": "one", "ClientId": "x"}, headers=bearer(alice["access"]))
    assert resent.status_code == 200
    assert listener.later is None
    chat_doc = app.extensions["chat.store"].db.chats.find_one({"_id": chat_id})
    assert chat_doc["seq"] == 1 and chat_doc["reads"][bob["id"]] == 1 and "gaps" not in chat_doc
    assert client.post(url, json={"Content": "two"}, headers=bearer(alice["access"])).get_json()["Message"]["Seq"] == 2
    assert client.get("/chats", headers=bearer(bob["access"])).get_json()["entries"][0]["Unread"] == 1


def test_pages_read_past_the_seq_of_a_send_the_database_outage_cut_off(cutter, proxy, make_app, smtp):  # noqa: F811
    app = make_app(MONGO_URI=proxy.uri, MONGO_TIMEOUT_MS=OUTAGE_TIMEOUT_MS)
    client = app.test_client()
    accounts = Accounts(client, smtp)
    alice, bob = accounts.user(), accounts.user()
    url, headers = f"/chats/personal/{bob['id']}/messages", bearer(alice["access"])
    sent = [client.post(url, json={"Content": f"m{i}"}, headers=headers).get_json()["Message"] for i in range(3)]
    cutter.arm(lambda name, collection: name == "insert" and collection == "messages")  # after Seq 4 is taken
    assert client.post(url, json={"Content": "lost"}, headers=headers).status_code == 503 and cutter.fired
    resume(proxy, client)
    sent += [client.post(url, json={"Content": f"m{i}"}, headers=headers).get_json()["Message"] for i in (4, 5)]
    assert [m["Seq"] for m in sent] == [1, 2, 3, 5, 6]  # Seq 4 is empty, and nothing says so

    def page(**query):
        body = client.get(url, query_string=query, headers=headers).get_json()
        return [m["Seq"] for m in body["Messages"]], body["HasMore"]
    assert page(limit=2) == ([5, 6], True)
    assert page(limit=2, before=sent[3]["MessageId"]) == ([2, 3], True)  # read past Seq 4
    assert page(limit=2, before=sent[1]["MessageId"]) == ([1], False)
    assert page(limit=2, after=sent[1]["MessageId"]) == ([3, 5], True)
    assert page(limit=2, after=sent[2]["MessageId"]) == ([5, 6], False)
