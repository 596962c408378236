"""Namespace `/group` through Flask-SocketIO's test client: every rule of group chats."""
import threading

import pytest

from chat.kernel.errors import ApiError
from conftest import Accounts, error_code, unchanged


def person(user):
    """A person (not a bot) as a `User`."""
    return {"id": user["id"], "username": user["username"], "Bot": False}

NS = "/group"
# What a command that loses a race to another admin command may answer, besides succeeding.
RACE_OUTCOMES = {"ok", "forbidden", "not_found", "conflict"}


class GroupWorld:
    """Verified users with connected `/group` test clients."""

    def __init__(self, app, smtp, connect_socket):
        self.app = app
        self.accounts = Accounts(app.test_client(), smtp)
        self.connect_socket = connect_socket
        self.socketio = app.extensions["socketio"]
        self.db = app.extensions["chat.store"].db

    def user(self, name=None, tabs=1):
        user = self.accounts.user(name)
        user["tabs"] = [self.connect(user) for _ in range(tabs)]
        user["sock"] = user["tabs"][0]
        return user

    def connect(self, user, namespace=NS):
        client = self.connect_socket(self.app, user, namespace)
        assert client.is_connected(namespace)
        return client

    @staticmethod
    def call(user, event, data, tab=0):
        return user["tabs"][tab].emit(event, data, namespace=NS, callback=True)

    @staticmethod
    def events(user, tab=0):
        return [(e["name"], e["args"][0] if e["args"] else None) for e in user["tabs"][tab].get_received(NS)]

    def names(self, user, tab=0):
        return [name for name, _ in self.events(user, tab)]

    def create(self, admin, members, name="Team"):
        ack = self.call(admin, "create-group-chat", {"Name": name, "Participants": [m["id"] for m in members]})
        assert ack["ok"], ack
        for user in [admin, *members]:
            for tab in range(len(user["tabs"])):
                user["tabs"][tab].get_received(NS)
        return ack["Group"]["GroupId"]

    def group(self, group_id):
        return self.db.chats.find_one({"_id": group_id})

    def unchanged(self):
        """`with world.unchanged(): ...`: the block leaves every chat and message as it was."""
        return unchanged(self.db)


@pytest.fixture
def world(app, smtp, connect_socket):
    return GroupWorld(app, smtp, connect_socket)


def test_create_makes_the_creator_admin_and_tells_every_member(world):
    admin, bob, carol = world.user(), world.user(), world.user()
    ack = world.call(admin, "create-group-chat", {"Name": "  Team  ", "Description": "ours",
                                                  "Participants": [bob["id"], carol["id"], bob["id"], admin["id"]]})
    assert ack["ok"]
    group = ack["Group"]
    assert group["Name"] == "Team" and group["Description"] == "ours"
    assert group["Admin"] == person(admin)
    assert [m["id"] for m in group["Members"]] == [admin["id"], bob["id"], carol["id"]]
    for user in (admin, bob, carol):
        assert world.events(user) == [("group-created", {"Group": group})]


@pytest.mark.parametrize("payload, field", [
    ({"Name": "", "Participants": []}, "Name"),
    ({"Name": "   ", "Participants": []}, "Name"),
    ({"Name": "x" * 101, "Participants": []}, "Name"),
    ({"Name": "ok", "Description": "d" * 501, "Participants": []}, "Description"),
    ({"Name": "ok", "Participants": ["0123456789abcdef01234567"]}, "Participants"),
    ({"Name": "ok", "Participants": "not-a-list"}, "Participants"),
    ({"Name": {"$ne": None}, "Participants": []}, "Name"),
    ({"Name": "ok"}, "Participants"),
    ({"Name": "ok", "Participants": [], "Admin": "me"}, "Admin"),
])
def test_create_rejects_bad_groups_and_stores_nothing(world, payload, field):
    admin = world.user()
    ack = world.call(admin, "create-group-chat", payload)
    assert error_code(ack) == "validation_error"
    assert field in ack["error"]["fields"]
    assert world.db.chats.count_documents({"kind": "group"}) == 0


def test_participants_must_be_verified(world):
    admin = world.user()
    unverified = world.accounts.signup()
    ack = world.call(admin, "create-group-chat", {"Name": "x", "Participants": [unverified["id"]]})
    assert error_code(ack) == "validation_error"


def test_group_size_is_limited(make_app, smtp, connect_socket):
    app = make_app(GROUP_MAX_MEMBERS=3)
    world = GroupWorld(app, smtp, connect_socket)
    admin, b, c, d = world.user(), world.user(), world.user(), world.user()
    too_many = world.call(admin, "create-group-chat", {"Name": "x", "Participants": [b["id"], c["id"], d["id"]]})
    assert error_code(too_many) == "validation_error"
    group_id = world.create(admin, [b, c])
    full = world.call(admin, "add-member", {"GroupId": group_id, "Member": d["id"]})
    assert error_code(full) == "validation_error"
    assert len(world.group(group_id)["members"]) == 3


def test_messages_fan_out_to_members_only(world):
    admin, bob, outsider = world.user(), world.user(tabs=2), world.user()
    group_id = world.create(admin, [bob])
    ack = world.call(admin, "send-group-message", {"GroupId": group_id, "Content": "hi all", "ClientId": "c-1"})
    assert ack["ok"] and ack["Message"]["GroupId"] == group_id and ack["Message"]["Seq"] == 1
    for tab in (0, 1):
        [(name, push)] = world.events(bob, tab)
        assert name == "receive-group-message"
        assert push == {"GroupId": group_id, "Content": "hi all", "Sender": ack["Message"]["Sender"],
                        "Message": ack["Message"]}
    assert world.events(admin) == [] and world.events(outsider) == []
    again = world.call(admin, "send-group-message", {"GroupId": group_id, "Content": "hi all", "ClientId": "c-1"})
    assert again["Message"] == ack["Message"] and world.events(bob) == []
    assert world.db.messages.count_documents({"chat_id": group_id}) == 1


def test_only_the_admin_adds_kicks_hands_over_and_deletes(world):
    admin, bob, carol, dave = world.user(), world.user(), world.user(), world.user()
    group_id = world.create(admin, [bob, carol])
    with world.unchanged():
        for event, member in (("add-member", dave), ("kickout", carol), ("change-admin", carol)):
            assert error_code(world.call(bob, event, {"GroupId": group_id, "Member": member["id"]})) == "forbidden"
        assert error_code(world.call(bob, "delete-grp", {"GroupId": group_id})) == "forbidden"


def test_non_members_can_do_nothing_and_learn_nothing(world):
    admin, bob, stranger = world.user(), world.user(), world.user()
    group_id = world.create(admin, [bob])
    world.call(admin, "send-group-message", {"GroupId": group_id, "Content": "secret"})
    message_id = world.db.messages.find_one({"chat_id": group_id})["_id"]
    world.events(bob)
    attempts = [
        ("fetch-group-chat", {"GroupId": group_id}),
        ("send-group-message", {"GroupId": group_id, "Content": "let me in"}),
        ("read-group-message", {"GroupId": group_id, "UpTo": str(message_id)}),
        ("typing", {"GroupId": group_id}),
        ("done-typing", {"GroupId": group_id}),
        ("add-member", {"GroupId": group_id, "Member": stranger["id"]}),
        ("kickout", {"GroupId": group_id, "Member": bob["id"]}),
        ("change-admin", {"GroupId": group_id, "Member": stranger["id"]}),
        ("leave-grp", {"GroupId": group_id}),
        ("delete-grp", {"GroupId": group_id}),
    ]
    missing = "0123456789abcdef01234567"
    with world.unchanged():
        for event, payload in attempts:
            ack = world.call(stranger, event, payload)
            unknown = world.call(stranger, event, {**payload, "GroupId": missing})
            assert error_code(ack) == "not_found", event
            assert ack["error"] == unknown["error"], "a real group and a missing one must look the same"
    assert world.events(admin) == [] and world.events(bob) == []


def test_a_kicked_member_with_two_tabs_receives_nothing_afterwards(world):
    admin, bob, carol = world.user(), world.user(tabs=2), world.user()
    group_id = world.create(admin, [bob, carol])
    ack = world.call(admin, "kickout", {"GroupId": group_id, "Member": bob["id"]})
    assert ack["ok"]
    for tab in (0, 1):
        assert world.events(bob, tab) == [("kicked-out", {"GroupId": group_id})]
    assert world.events(carol) == [("member-removed", {"GroupId": group_id,
                                                       "Member": person(bob),
                                                       "By": person(admin)})]
    world.call(admin, "send-group-message", {"GroupId": group_id, "Content": "after the kick"})
    world.call(carol, "typing", {"GroupId": group_id})
    world.call(carol, "read-group-message", {"GroupId": group_id})
    for tab in (0, 1):
        assert world.events(bob, tab) == []
    assert error_code(world.call(bob, "fetch-group-chat", {"GroupId": group_id})) == "not_found"
    assert error_code(world.call(bob, "send-group-message", {"GroupId": group_id, "Content": "x"})) == "not_found"
    assert world.db.messages.count_documents({"chat_id": group_id, "sender_id": bob["id"]}) == 0


def test_a_kicked_member_reconnecting_does_not_rejoin_the_room(world):
    admin, bob = world.user(), world.user()
    group_id = world.create(admin, [bob])
    world.call(admin, "kickout", {"GroupId": group_id, "Member": bob["id"]})
    fresh = world.connect(bob)
    world.call(admin, "send-group-message", {"GroupId": group_id, "Content": "x"})
    assert fresh.get_received(NS) == []


def test_nobody_kicks_themself(world):
    admin, bob = world.user(), world.user()
    group_id = world.create(admin, [bob])
    ack = world.call(admin, "kickout", {"GroupId": group_id, "Member": admin["id"]})
    assert error_code(ack) == "validation_error"
    assert world.group(group_id)["members"] == [admin["id"], bob["id"]]


def test_add_member_tells_members_and_the_newcomer(world):
    admin, bob, carol = world.user(), world.user(), world.user()
    group_id = world.create(admin, [bob])
    world.call(admin, "send-group-message", {"GroupId": group_id, "Content": "before carol"})
    world.events(bob)
    ack = world.call(admin, "add-member", {"GroupId": group_id, "Member": carol["id"]})
    assert ack["ok"]
    assert world.names(bob) == ["member-added"]
    [(name, push)] = world.events(carol)
    assert name == "group-created" and push["Group"]["GroupId"] == group_id
    fetched = world.call(carol, "fetch-group-chat", {"GroupId": group_id})
    assert [m["Content"] for m in fetched["Messages"]] == ["before carol"]
    world.events(carol)
    world.call(admin, "send-group-message", {"GroupId": group_id, "Content": "welcome"})
    assert world.names(carol) == ["receive-group-message"]
    again = world.call(admin, "add-member", {"GroupId": group_id, "Member": carol["id"]})
    assert error_code(again) == "validation_error"


def test_change_admin_swaps_roles(world):
    admin, bob = world.user(), world.user()
    group_id = world.create(admin, [bob])
    ack = world.call(admin, "change-admin", {"GroupId": group_id, "Member": bob["id"]})
    assert ack["ok"] and ack["Group"]["Admin"]["id"] == bob["id"]
    assert world.events(admin) == [("admin-changed", {"GroupId": group_id,
                                                      "Admin": person(bob),
                                                      "By": person(admin)})]
    assert error_code(world.call(admin, "kickout", {"GroupId": group_id, "Member": bob["id"]})) == "forbidden"
    assert world.call(bob, "kickout", {"GroupId": group_id, "Member": admin["id"]})["ok"]


def test_an_admin_who_leaves_hands_over_to_the_longest_standing_member(world):
    admin, bob, carol = world.user(), world.user(), world.user()
    group_id = world.create(admin, [bob, carol])
    ack = world.call(admin, "leave-grp", {"GroupId": group_id})
    assert ack["ok"] and ack["Archived"] is False
    assert world.group(group_id)["admin_id"] == bob["id"]
    assert world.names(carol) == ["member-left", "admin-changed"]
    world.call(bob, "send-group-message", {"GroupId": group_id, "Content": "x"})
    assert world.names(admin) == ["member-left"]  # its own departure, then nothing


def test_the_last_member_leaving_archives_the_group(world):
    admin, bob = world.user(), world.user()
    group_id = world.create(admin, [bob])
    assert world.call(bob, "leave-grp", {"GroupId": group_id})["Archived"] is False
    ack = world.call(admin, "leave-grp", {"GroupId": group_id})
    assert ack["ok"] and ack["Archived"] is True
    group = world.group(group_id)
    assert group["members"] == [] and group["archived"] is True and group["admin_id"] is None


def test_delete_removes_the_group_from_every_list_and_stops_writes(world):
    admin, bob = world.user(), world.user()
    group_id = world.create(admin, [bob])
    ack = world.call(admin, "delete-grp", {"GroupId": group_id})
    assert ack["ok"]
    assert world.events(bob) == [("group-deleted", {"GroupId": group_id,
                                                    "By": person(admin)})]
    for user in (admin, bob):
        assert error_code(world.call(user, "fetch-group-chat", {"GroupId": group_id})) == "not_found"
        assert error_code(world.call(user, "send-group-message", {"GroupId": group_id, "Content": "x"})) == "not_found"
        root = world.connect(user, "/")
        lists = {e["name"]: e["args"][0] for e in root.get_received("/")}
        assert lists["group-chat-list"] == {"GroupChatList": []}


def test_group_list_carries_last_message_and_unread_and_reads_never_go_back(world):
    admin, bob = world.user(), world.user()
    group_id = world.create(admin, [bob])
    sent = [world.call(admin, "send-group-message", {"GroupId": group_id, "Content": f"m{i}"})["Message"]
            for i in range(3)]

    def bob_entry():
        root = world.connect(bob, "/")
        entries = {e["name"]: e["args"][0] for e in root.get_received("/")}["group-chat-list"]["GroupChatList"]
        root.disconnect("/")
        [entry] = entries
        return entry

    entry = bob_entry()
    assert entry["GroupId"] == group_id and entry["Unread"] == 3 and entry["LastMessage"] == sent[-1]
    assert entry["Admin"]["id"] == admin["id"] and len(entry["Members"]) == 2
    read = world.call(bob, "read-group-message", {"GroupId": group_id, "UpTo": sent[1]["MessageId"]})
    assert read["ok"] and read["Moved"] and read["UpTo"] == sent[1]["MessageId"]
    assert world.events(admin) == [("read-group-msg-ack", {k: read[k] for k in ("GroupId", "ReaderId", "UpTo",
                                                                                "ReadAt")})]
    assert bob_entry()["Unread"] == 1
    back = world.call(bob, "read-group-message", {"GroupId": group_id, "UpTo": sent[0]["MessageId"]})
    assert back["ok"] and back["Moved"] is False and world.events(admin) == []
    assert bob_entry()["Unread"] == 1
    assert world.call(bob, "read-group-message", {"GroupId": group_id})["Moved"] is True
    assert bob_entry()["Unread"] == 0


def test_typing_reaches_the_other_members(world):
    admin, bob = world.user(), world.user()
    group_id = world.create(admin, [bob])
    assert world.call(admin, "typing", {"GroupId": group_id})["ok"]
    assert world.call(admin, "done-typing", {"GroupId": group_id})["ok"]
    expected = {"GroupId": group_id, "UserId": admin["id"], "UserName": admin["username"]}
    assert world.events(bob) == [("typing", expected), ("done-typing", expected)]
    assert world.events(admin) == []


def test_history_pages_in_seq_order(world):
    admin, bob = world.user(), world.user()
    group_id = world.create(admin, [bob])
    for i in range(45):
        world.call(admin if i % 2 else bob, "send-group-message", {"GroupId": group_id, "Content": f"m{i}"})
    seen, before = [], None
    while True:
        page = world.call(bob, "fetch-group-chat", {"GroupId": group_id, "Limit": 20,
                                                    **({"Before": before} if before else {})})
        seen = [m["Seq"] for m in page["Messages"]] + seen
        if not page["HasMore"]:
            break
        before = page["Messages"][0]["MessageId"]
    assert seen == list(range(1, 46))
    assert page["Group"]["GroupId"] == group_id


@pytest.mark.parametrize("payload", [
    "not an object", ["a", "list"], {"GroupId": {"$ne": None}}, {"GroupId": 5}, {}, {"GroupId": "x", "Extra": 1},
])
def test_malformed_payloads_change_nothing(world, payload):
    admin, bob = world.user(), world.user()
    group_id = world.create(admin, [bob])
    with world.unchanged():
        for event in ("add-member", "kickout", "change-admin", "leave-grp", "delete-grp", "fetch-group-chat",
                      "send-group-message", "read-group-message", "typing", "done-typing"):
            ack = world.call(admin, event, payload)
            assert error_code(ack) in ("validation_error", "not_found"), (event, ack)
    assert world.call(admin, "send-group-message", {"GroupId": group_id, "Content": "still here"})["ok"]


def test_racing_change_admin_and_kickout_leave_one_admin_who_is_a_member(world):
    """change-admin lands between kickout's check and its write: the kick must not go through."""
    admin, bob = world.user(), world.user()
    group_id = world.create(admin, [bob])
    groups = world.app.extensions["chat.services"].groups
    real_remove = groups.group_repo.remove_member

    def remove_after_a_racing_handover(group, admin_id, member_id, *how):
        assert groups.group_repo.change_admin(group, admin_id, member_id)  # the other command wins the race
        return real_remove(group, admin_id, member_id, *how)

    groups.group_repo.remove_member = remove_after_a_racing_handover
    ack = world.call(admin, "kickout", {"GroupId": group_id, "Member": bob["id"]})
    groups.group_repo.remove_member = real_remove
    assert error_code(ack) == "forbidden"
    group = world.group(group_id)
    assert group["admin_id"] == bob["id"] and group["admin_id"] in group["members"]
    assert group["members"] == [admin["id"], bob["id"]]


def test_concurrent_admin_commands_keep_the_group_consistent(world):
    services = world.app.extensions["chat.services"]
    admin, bob, carol = world.user(), world.user(), world.user()
    for _ in range(20):
        group_id = world.create(admin, [bob, carol])
        barrier = threading.Barrier(3)
        outcomes = []  # "ok", a refusal's code, or the unexpected exception itself

        def run(action):
            barrier.wait()
            try:
                action()
                outcomes.append("ok")
            except ApiError as refused:  # the losers are refused: that is the point
                outcomes.append(refused.code)
            except Exception as exc:  # noqa: BLE001  (reported below: a thread's exception fails nothing)
                outcomes.append(exc)

        threads = [threading.Thread(target=run, args=(a,)) for a in (
            lambda: services.groups.change_admin(admin["id"], group_id, bob["id"]),
            lambda: services.groups.kickout(admin["id"], group_id, bob["id"]),
            lambda: services.groups.leave(admin["id"], group_id),
        )]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert not any(thread.is_alive() for thread in threads), "a command hung"
        assert len(outcomes) == 3 and set(outcomes) <= RACE_OUTCOMES, outcomes
        assert "ok" in outcomes, "one of the commands must win"
        group = world.group(group_id)
        assert group["admin_id"] in group["members"], group
        assert len(set(group["members"])) == len(group["members"])


def test_a_256_member_group_gets_one_message_with_one_emit(world, monkeypatch):
    """The largest group: every member's socket gets the message once, from a single emit to the room."""
    from chat.users.repository import UserRepository
    users = UserRepository(world.db)
    password_hash = world.app.extensions["chat.services"].auth.passwords.hash("correct horse battery")
    members = []
    for i in range(255):  # made verified directly: 255 signups through the mail would only add time
        doc = users.create(f"big{i:03d}", f"big{i:03d}@example.test", password_hash)
        users.mark_verified(doc["_id"])
        member = {"username": doc["username"], "password": "correct horse battery", "id": str(doc["_id"])}
        world.accounts.login(member)
        member["tabs"] = [world.connect(member)]
        members.append(member)
    admin = world.user()
    group_id = world.create(admin, members)
    assert len(world.group(group_id)["members"]) == 256
    socketio = world.socketio
    emits = []
    real_emit = socketio.emit
    monkeypatch.setattr(socketio, "emit", lambda *a, **k: emits.append(a[0]) or real_emit(*a, **k))
    ack = world.call(admin, "send-group-message", {"GroupId": group_id, "Content": "hello, all 256"})
    assert ack["ok"]
    assert emits == ["receive-group-message"]
    for member in members:
        [(name, push)] = world.events(member)
        assert name == "receive-group-message" and push["Message"] == ack["Message"]
    assert world.events(admin) == []
