"""Bot users through the live server: created by a person with a token shown once, `"Bot": true` wherever the
bot is shown, posting by REST, added to a group by its admin, never signing in by password or socket, deleted by
their owner or with the owner's account."""
import pytest
import socketio
from bson import ObjectId

from conftest import SocketRecorder, bearer, error_code, socket_auth, unique

pytestmark = pytest.mark.live


@pytest.fixture
def api(live_server):
    return live_server.accounts().client


def make_bot(api, owner, username=None):
    """POST /bots; the answer's JSON ({"User", "Token"})."""
    answer = api.post("/bots", json={"Username": username or unique("bot")}, headers=bearer(owner["access"]))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_a_bot_posts_by_rest_and_its_owner_adds_it_to_a_group(live_server, api):
    alice, bob = live_server.verified_user(), live_server.verified_user()
    created = make_bot(api, alice)
    bot, token = created["User"], created["Token"]
    assert bot["Bot"] is True and token.startswith("chatpat_")
    stored = live_server.db().users.find_one({"username": bot["username"]})
    assert stored["password_hash"] is None and stored["owner_id"] == alice["id"] and "@" not in stored["email"]
    sockets = {name: SocketRecorder(live_server.url, socket_auth(user), ["/group"]).connect()
               for name, user in (("alice", alice), ("bob", bob))}
    try:
        group = sockets["alice"].call("create-group-chat", {"Name": "ops", "Participants": [bob["id"]]}, "/group")
        group_id = group["Group"]["GroupId"]
        assert all(member["Bot"] is False for member in group["Group"]["Members"])
        added = sockets["alice"].call("add-member", {"GroupId": group_id, "Member": bot["id"]}, "/group")
        assert added["ok"], added
        pushed = sockets["bob"].wait_for("member-added", "/group")
        assert pushed["Member"] == bot and pushed["By"]["Bot"] is False
        sent = api.post(f"/groups/{group_id}/messages", json={"Content": "deploy done"}, headers=bearer(token))
        assert sent.status_code == 201, sent.get_json()
        assert sent.get_json()["Message"]["Sender"] == bot
        received = sockets["bob"].wait_for("receive-group-message", "/group")
        assert received["Message"]["Sender"] == bot and received["Message"]["Content"] == "deploy done"
    finally:
        for recorder in sockets.values():
            recorder.client.disconnect()
    shown = api.get(f"/groups/{group_id}", headers=bearer(bob["access"])).get_json()["Group"]
    assert {member["id"]: member["Bot"] for member in shown["Members"]} == {alice["id"]: False, bob["id"]: False,
                                                                           bot["id"]: True}
    page = api.get(f"/groups/{group_id}/messages", headers=bearer(bob["access"])).get_json()
    assert page["Messages"][-1]["Sender"]["Bot"] is True
    assert api.get(f"/users/{bot['id']}", headers=bearer(bob["access"])).get_json() == bot
    assert api.get(f"/users/{bob['id']}", headers=bearer(alice["access"])).get_json()["Bot"] is False
    me = api.get("/me", headers=bearer(token)).get_json()["user"]  # a bot's own user: no address
    assert me["Bot"] is True and me["email"] is None


def test_a_bot_writes_to_a_person_and_shows_as_a_bot_partner(live_server, api):
    alice, bob = live_server.verified_user(), live_server.verified_user()
    created = make_bot(api, alice)
    sent = api.post(f"/chats/personal/{bob['id']}/messages", json={"Content": "your build failed"},
                    headers=bearer(created["Token"]))
    assert sent.status_code == 201, sent.get_json()
    inbox = api.get("/chats", headers=bearer(bob["access"])).get_json()["entries"]
    assert inbox[0]["Partner"]["id"] == created["User"]["id"] and inbox[0]["Partner"]["Bot"] is True
    assert inbox[0]["LastMessage"]["Sender"]["Bot"] is True


def test_a_bot_cannot_log_in_by_password_nor_open_a_socket(live_server, api):
    alice = live_server.verified_user()
    created = make_bot(api, alice)
    for password in ("", "x" * 8, None):
        answer = api.post("/login", json={"login": created["User"]["username"], "password": password})
        assert answer.status_code in (401, 422) and live_server.db().sessions.count_documents(
            {"user_id": created["User"]["id"]}) == 0
    answer = api.post("/login", json={"login": created["User"]["username"], "password": "any password"})
    assert answer.status_code == 401 and error_code(answer) == "invalid_credentials"
    sockets = SocketRecorder(live_server.url, {"access_token": created["Token"]}, ["/group"])
    with pytest.raises(socketio.exceptions.ConnectionError):
        sockets.connect()
    assert sockets.connect_errors["/group"]["data"]["code"] == "unauthorized"
    refused = api.post("/bots", json={"Username": unique("bot")}, headers=bearer(created["Token"]))
    assert refused.status_code == 403 and error_code(refused) == "insufficient_scope"  # a bot makes no bots


def test_only_the_owner_lists_and_deletes_a_bot_and_deleting_takes_it_out_of_groups(live_server, api):
    alice, mallory = live_server.verified_user(), live_server.verified_user()
    created = make_bot(api, alice)
    bot = created["User"]
    assert api.get("/bots", headers=bearer(alice["access"])).get_json() == {"Bots": [bot]}
    assert api.get("/bots", headers=bearer(mallory["access"])).get_json() == {"Bots": []}
    sockets = SocketRecorder(live_server.url, socket_auth(alice), ["/group"]).connect()
    try:
        group = sockets.call("create-group-chat", {"Name": "bots", "Participants": [bot["id"]]}, "/group")
        group_id = group["Group"]["GroupId"]
        assert api.post(f"/groups/{group_id}/messages", json={"Content": "hi"},
                        headers=bearer(created["Token"])).status_code == 201
        foreign = api.request("DELETE", f"/bots/{bot['id']}", headers=bearer(mallory["access"]))
        assert foreign.status_code == 404 and error_code(foreign) == "not_found"
        person = api.request("DELETE", f"/bots/{alice['id']}", headers=bearer(alice["access"]))
        assert person.status_code == 404  # a person is no bot
        assert api.request("DELETE", f"/bots/{bot['id']}", headers=bearer(alice["access"])).status_code == 204
        left = sockets.wait_for("member-left", "/group")
        assert left["Member"]["id"] == bot["id"]
    finally:
        sockets.client.disconnect()
    assert api.get("/chats", headers=bearer(created["Token"])).status_code == 401
    db = live_server.db()
    assert db.users.find_one({"_id": ObjectId(bot["id"])}) is None
    assert db.access_tokens.count_documents({"user_id": bot["id"]}) == 0
    shown = api.get(f"/groups/{group_id}", headers=bearer(alice["access"])).get_json()["Group"]
    assert [member["id"] for member in shown["Members"]] == [alice["id"]]
    page = api.get(f"/groups/{group_id}/messages", headers=bearer(alice["access"])).get_json()
    assert page["Messages"][-1]["Sender"]["username"] == "deleted user" and page["Messages"][-1]["Content"] == ""
    assert api.get("/bots", headers=bearer(alice["access"])).get_json() == {"Bots": []}


def test_deleting_the_owners_account_deletes_their_bots(live_server, api):
    alice = live_server.verified_user()
    bots = [make_bot(api, alice) for _ in range(2)]
    deleted = api.request("DELETE", "/me", json={"password": alice["password"]}, headers=bearer(alice["access"]))
    assert deleted.status_code == 200, deleted.get_json()
    db = live_server.db()
    assert db.users.count_documents({"owner_id": alice["id"]}) == 0
    for created in bots:
        assert api.get("/chats", headers=bearer(created["Token"])).status_code == 401
        assert db.access_tokens.count_documents({"user_id": created["User"]["id"]}) == 0


@pytest.mark.parametrize("body, field", [({}, "Username"), ({"Username": "a"}, "Username"),
                                         ({"Username": "has space"}, "Username"), ({"Username": 5}, "Username"),
                                         ({"Username": "okname", "Extra": 1}, "Extra")])
def test_a_bad_bot_is_a_validation_error_and_stores_nothing(live_server, api, body, field):
    alice = live_server.verified_user()
    answer = api.post("/bots", json=body, headers=bearer(alice["access"]))
    assert answer.status_code == 422 and field in answer.get_json()["error"]["fields"], answer.get_json()
    assert live_server.db().users.count_documents({"owner_id": alice["id"]}) == 0


def test_a_taken_username_is_a_conflict(live_server, api):
    alice, bob = live_server.verified_user(), live_server.verified_user()
    answer = api.post("/bots", json={"Username": bob["username"].upper()}, headers=bearer(alice["access"]))
    assert answer.status_code == 409 and error_code(answer) == "username_taken"
    assert live_server.db().users.count_documents({"owner_id": alice["id"]}) == 0
