"""REST for chats: every row of the table, its errors, and pushes to connected sockets."""
import pytest

from conftest import bearer

MISSING = "0123456789abcdef01234567"


@pytest.fixture
def people(app, accounts, connect_socket):
    """Three verified users; alice and bob have sockets on /personal, /self and /group."""
    users = {name: accounts.user() for name in ("alice", "bob", "eve")}
    for user in users.values():
        user["h"] = bearer(user["access"])
        user["socks"] = {ns: connect_socket(app, user, ns) for ns in ("/personal", "/self", "/group")}
    return users


def received(user, namespace):
    return [(e["name"], e["args"][0]) for e in user["socks"][namespace].get_received(namespace)]


def make_group(people, client, members=("bob",)):
    ack = people["alice"]["socks"]["/group"].emit(
        "create-group-chat", {"Name": "team", "Participants": [people[m]["id"] for m in members]},
        namespace="/group", callback=True)
    for user in people.values():
        user["socks"]["/group"].get_received("/group")
    return ack["Group"]["GroupId"]


def test_personal_send_and_history_reach_the_partners_sockets(client, people, db):
    alice, bob = people["alice"], people["bob"]
    sent = client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": " hello ", "ClientId": "r-1"},
                       headers=alice["h"])
    assert sent.status_code == 201
    message = sent.get_json()["Message"]
    assert message["Content"] == "hello" and message["Seq"] == 1 and message["ClientId"] == "r-1"
    [(name, payload)] = received(bob, "/personal")
    assert name == "receive-personal-message"
    assert payload["Message"] == message and payload["ChatId"] == message["ChatId"]
    assert received(alice, "/personal")[0][1]["Message"] == message  # the sender's sockets too (REST has no sid)
    repeat = client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "hello", "ClientId": "r-1"},
                         headers=alice["h"])
    assert repeat.status_code == 200 and repeat.get_json()["Message"] == message
    assert received(bob, "/personal") == []
    page = client.get(f"/chats/personal/{alice['id']}/messages", headers=bob["h"]).get_json()
    assert page["ChatId"] == message["ChatId"] and page["Messages"] == [message] and page["HasMore"] is False
    assert page["Partner"] == {"id": alice["id"], "username": alice["username"], "Bot": False}
    assert page["UserId"] == bob["id"]
    assert db.messages.count_documents({}) == 1


def test_a_client_id_sent_by_rest_and_by_socket_stores_one_message(client, people, db):
    alice, bob = people["alice"], people["bob"]
    first = client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "once", "ClientId": "mixed-1"},
                        headers=alice["h"]).get_json()["Message"]
    ack = alice["socks"]["/personal"].emit("send-personal-message",
                                           {"ChatId": first["ChatId"], "Content": "once", "ClientId": "mixed-1"},
                                           namespace="/personal", callback=True)
    assert ack["ok"] and ack["Message"] == first
    second = alice["socks"]["/personal"].emit("send-personal-message",
                                              {"ChatId": first["ChatId"], "Content": "two", "ClientId": "mixed-2"},
                                              namespace="/personal", callback=True)["Message"]
    again = client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "two", "ClientId": "mixed-2"},
                        headers=alice["h"])
    assert again.status_code == 200 and again.get_json()["Message"] == second
    assert db.messages.count_documents({}) == 2


def test_self_chat_over_rest(client, people):
    alice = people["alice"]
    sent = client.post("/chats/self/messages", json={"Content": "note"}, headers=alice["h"])
    assert sent.status_code == 201 and sent.get_json()["Message"]["ChatId"] == alice["id"]
    assert received(alice, "/self") == [("receive-self-message", sent.get_json())]
    page = client.get("/chats/self/messages", headers=alice["h"]).get_json()
    assert page == {"Messages": [sent.get_json()["Message"]], "Name": alice["username"], "HasMore": False}


def test_group_detail_history_and_send(client, people):
    alice, bob, eve = people["alice"], people["bob"], people["eve"]
    group_id = make_group(people, client)
    detail = client.get(f"/groups/{group_id}", headers=bob["h"])
    assert detail.status_code == 200 and detail.get_json()["Group"]["GroupId"] == group_id
    sent = client.post(f"/groups/{group_id}/messages", json={"Content": "to all"}, headers=bob["h"])
    assert sent.status_code == 201 and sent.get_json()["Message"]["GroupId"] == group_id
    assert [n for n, _ in received(alice, "/group")] == ["receive-group-message"]
    page = client.get(f"/groups/{group_id}/messages?limit=5", headers=alice["h"]).get_json()
    assert [m["Content"] for m in page["Messages"]] == ["to all"] and page["Group"]["GroupId"] == group_id
    for method, path in (("get", f"/groups/{group_id}"), ("get", f"/groups/{group_id}/messages"),
                         ("post", f"/groups/{group_id}/messages"), ("get", f"/groups/{MISSING}")):
        response = getattr(client, method)(path, json={"Content": "x"} if method == "post" else None, headers=eve["h"])
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert received(alice, "/group") == []


def test_edit_and_delete_are_for_the_author_and_are_pushed(client, people, db):
    alice, bob, eve = people["alice"], people["bob"], people["eve"]
    message = client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "draft"},
                          headers=alice["h"]).get_json()["Message"]
    received(bob, "/personal")
    path = f"/messages/{message['MessageId']}"
    assert client.patch(path, json={"Content": "hack"}, headers=bob["h"]).status_code == 403
    assert client.patch(path, json={"Content": "hack"}, headers=eve["h"]).status_code == 404
    edited = client.patch(path, json={"Content": "final"}, headers=alice["h"])
    assert edited.status_code == 200
    body = edited.get_json()["Message"]
    assert body["Content"] == "final" and body["EditedAt"] and body["Seq"] == message["Seq"]
    assert received(bob, "/personal") == [("personal-message-edited", {"ChatId": message["ChatId"], "Message": body})]
    deleted = client.delete(path, headers=alice["h"]).get_json()["Message"]
    assert deleted["Deleted"] is True and deleted["Content"] == "" and deleted["Seq"] == message["Seq"]
    assert received(bob, "/personal")[0][0] == "personal-message-deleted"
    assert client.delete(f"/messages/{message['MessageId']}", headers=alice["h"]).status_code == 404
    assert client.patch(f"/messages/{MISSING}", json={"Content": "x"}, headers=alice["h"]).status_code == 404
    assert db.messages.find_one({})["content"] == ""


def test_mark_read_moves_forward_only_and_pushes_the_ack(client, people):
    alice, bob, eve = people["alice"], people["bob"], people["eve"]
    sent = [client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": f"m{i}"},
                        headers=alice["h"]).get_json()["Message"] for i in range(3)]
    chat_id = sent[0]["ChatId"]
    received(alice, "/personal")
    read = client.post(f"/chats/{chat_id}/read", json={"UpTo": sent[1]["MessageId"]}, headers=bob["h"])
    assert read.status_code == 200 and read.get_json()["Moved"] is True
    [(name, ack)] = received(alice, "/personal")
    assert name == "read-personal-msg-ack" and ack["UpTo"] == sent[1]["MessageId"] and ack["ReaderId"] == bob["id"]
    back = client.post(f"/chats/{chat_id}/read", json={"UpTo": sent[0]["MessageId"]}, headers=bob["h"])
    assert back.get_json() == {"ChatId": chat_id, "Moved": False} and received(alice, "/personal") == []
    inbox = client.get("/chats", headers=bob["h"]).get_json()
    assert inbox["entries"][0]["Unread"] == 1
    assert client.post(f"/chats/{chat_id}/read", headers=bob["h"]).get_json()["UpTo"] == sent[2]["MessageId"]
    assert client.get("/chats", headers=bob["h"]).get_json()["entries"][0]["Unread"] == 0
    assert client.post(f"/chats/{chat_id}/read", headers=eve["h"]).status_code == 404


def test_inbox_pages_by_recent_activity(client, people, accounts):
    alice = people["alice"]
    partners = [accounts.user() for _ in range(5)]
    for partner in partners:
        client.post(f"/chats/personal/{partner['id']}/messages", json={"Content": "hi"}, headers=alice["h"])
    group_id = make_group(people, client)
    client.post(f"/groups/{group_id}/messages", json={"Content": "latest"}, headers=alice["h"])
    first = client.get("/chats?per_page=4", headers=alice["h"]).get_json()
    assert first["state"] == {"page": 1, "per_page": 4, "total": 6, "total_pages": 2}
    assert first["entries"][0]["Kind"] == "group" and first["entries"][0]["LastMessage"]["Content"] == "latest"
    assert [e["Partner"]["id"] for e in first["entries"][1:]] == [p["id"] for p in reversed(partners)][:3]
    second = client.get("/chats?per_page=4&page=2", headers=alice["h"]).get_json()
    assert [e["Partner"]["id"] for e in second["entries"]] == [p["id"] for p in reversed(partners)][3:]
    assert client.get("/chats?page=9", headers=alice["h"]).get_json()["entries"] == []


@pytest.mark.parametrize("method, path, body", [
    ("get", "/chats?per_page=0", None),
    ("get", "/chats?per_page=101", None),
    ("get", "/chats?page=abc", None),
    ("get", "/chats?sort=x", None),
    ("get", "/chats/self/messages?limit=0", None),
    ("get", "/chats/self/messages?before=a&after=b", None),
    ("get", "/chats/self/messages?before=nope", None),
    ("post", "/chats/self/messages", {"Content": "   "}),
    ("post", "/chats/self/messages", {"Content": "x" * 4001}),
    ("post", "/chats/self/messages", {"Content": {"$ne": None}}),
    ("post", "/chats/self/messages", {"Content": "x", "Sender": "someone"}),
    ("post", "/chats/self/messages", ["not", "an", "object"]),
])
def test_bad_queries_and_bodies_are_validation_errors(client, people, db, method, path, body):
    response = getattr(client, method)(path, json=body, headers=people["alice"]["h"]) if body is not None else \
        getattr(client, method)(path, headers=people["alice"]["h"])
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_error"
    assert db.messages.count_documents({}) == 0


def test_personal_chats_need_another_verified_user(client, people, accounts):
    alice = people["alice"]
    unverified = accounts.signup()
    for partner in (unverified["id"], MISSING, "not-an-id"):
        response = client.post(f"/chats/personal/{partner}/messages", json={"Content": "x"}, headers=alice["h"])
        assert response.status_code == 404
    response = client.post(f"/chats/personal/{alice['id']}/messages", json={"Content": "x"}, headers=alice["h"])
    assert response.status_code == 422


@pytest.mark.parametrize("method, path", [
    ("get", "/chats"), ("get", "/chats/self/messages"), ("post", "/chats/self/messages"),
    ("get", f"/chats/personal/{MISSING}/messages"), ("post", f"/chats/personal/{MISSING}/messages"),
    ("get", f"/groups/{MISSING}"), ("get", f"/groups/{MISSING}/messages"), ("post", f"/groups/{MISSING}/messages"),
    ("patch", f"/messages/{MISSING}"), ("delete", f"/messages/{MISSING}"), ("post", f"/chats/{MISSING}/read"),
])
def test_every_chat_endpoint_needs_an_access_token(client, people, method, path):
    assert getattr(client, method)(path, json={"Content": "x"}).status_code == 401
    refresh = getattr(client, method)(path, json={"Content": "x"}, headers=bearer(people["alice"]["refresh"]))
    assert refresh.status_code == 401
