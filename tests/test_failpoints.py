"""The faults a MongoDB replica set really has, injected by the database server's own fail points.

The app runs on a database server of its own started with `--enable-test-commands` (chat/process/localdb.py), and the
test arms MongoDB's `failCommand` fail point (`configureFailPoint`), limited to the app's connections
(`appName: chat-backend`): the server itself answers a write with NotWritablePrimary or PrimarySteppedDown (what
a primary that steps down answers), closes the connection before running it, runs it and reports a
writeConcernError, or holds it past the client's socket timeout. Nothing in the app is patched.

For every operation (a send, an edit, a group change, an account change) and every write it makes:
- a fault once: the operation completes exactly once (pymongo's retryable writes, the ClientId);
- a fault on every attempt: it answers 503 `unavailable` and nothing of it is visible afterwards.
Never a 500. docs/reliability.md has the table these tests check.

The URI asks for `heartbeatFrequencyMS=500`: after NotWritablePrimary pymongo marks the server unknown and waits
for the next check, which a replica set answers at once with a new primary; SecantusDB, a single node, keeps the
default 10 s await, so without it the retried write would wait out serverSelectionTimeoutMS instead.
"""
import time

import pytest
from pymongo import MongoClient

from chat import create_app
from chat.process.localdb import MEMORY, LocalDatabase
from conftest import Accounts, app_config, bearer, socket_auth, unique

pytestmark = pytest.mark.live
TIMEOUT_MS = 1500  # MONGO_TIMEOUT_MS: server selection gives up after it, then the answer is 503
FAULTS = {
    "NotWritablePrimary": {"errorCode": 10107},
    "PrimarySteppedDown": {"errorCode": 189},
    "closeConnection": {"closeConnection": True},
    "writeConcernError": {"writeConcernError": {"code": 64, "codeName": "WriteConcernFailed",
                                                "errmsg": "waiting for replication timed out",
                                                "errInfo": {"wtimeout": True}}},
}
# The writes each operation makes (a fault on any other write command does not touch it: checked below).
WRITES = {"send": ["findAndModify", "insert"], "edit": ["findAndModify"], "group change": ["update"],
          "account change": ["update"]}


@pytest.fixture(scope="module")
def faulty(smtp, tmp_path_factory):
    """(app, admin client) on a database server with test commands, reached through fail points."""
    server = LocalDatabase(MEMORY, test_commands=True, log_path=tmp_path_factory.mktemp("fp") / "db.log")
    uri = server.start() + "&heartbeatFrequencyMS=500"
    admin = MongoClient(uri, appname="fail-point-admin")
    app = create_app(app_config(smtp, MONGO_URI=uri, MONGO_DB=unique("fp_"), MONGO_TIMEOUT_MS=TIMEOUT_MS))
    yield app, admin
    admin.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
    app.extensions["chat.store"].close()
    admin.close()
    server.stop()


def arm(admin, mode, command, fault):
    admin.admin.command({"configureFailPoint": "failCommand", "mode": mode,
                         "data": {"failCommands": [command], "appName": "chat-backend", **FAULTS[fault]}})


def disarm(admin):
    admin.admin.command({"configureFailPoint": "failCommand", "mode": "off"})


class Scene:
    """Two users with a personal chat holding one message, and a group of the first: what each operation changes."""

    def __init__(self, app, smtp):
        self.app, self.client, self.db = app, app.test_client(), app.extensions["chat.store"].db
        accounts = Accounts(self.client, smtp)
        self.alice, self.bob = accounts.user(), accounts.user()
        self.newcomers = [accounts.user(), accounts.user()]  # one to add to the group per write tried
        self.round = 0
        self.headers = bearer(self.alice["access"])
        first = self.client.post(f"/chats/personal/{self.bob['id']}/messages", json={"Content": "first"},
                                 headers=self.headers)
        self.message = first.get_json()["Message"]
        self.group = self.emit("create-group-chat", {"Name": unique("g"), "Participants": [self.bob["id"]]})["Group"]

    def fresh(self):
        """A new target for the next run (a new ClientId, edit text, setting and member), so each write tried
        starts from an operation not done yet."""
        self.round += 1
        self.carol = self.newcomers[(self.round - 1) % len(self.newcomers)]
        self.client_id, self.text = f"c-{self.round}", f"edited {self.round}"
        self.setting = ("off", "mentions")[self.round % 2]

    def emit(self, event, data):
        """A group event from alice over Flask-SocketIO's test client; returns the ack."""
        sock = self.app.extensions["socketio"].test_client(self.app, namespace="/group", auth=socket_auth(self.alice))
        try:
            return sock.emit(event, data, namespace="/group", callback=True)
        finally:
            sock.disconnect(namespace="/group")

    def run(self, operation):
        """Run the operation once: (status, body) — an HTTP status, or the ack's (200 or its error's status)."""
        if operation == "send":
            response = self.client.post(f"/chats/personal/{self.bob['id']}/messages",
                                        json={"Content": "sent", "ClientId": self.client_id}, headers=self.headers)
        elif operation == "edit":
            response = self.client.patch(f"/messages/{self.message['MessageId']}", json={"Content": self.text},
                                         headers=self.headers)
        elif operation == "account change":
            response = self.client.patch("/me/settings", json={"EmailNotifications": self.setting},
                                         headers=self.headers)
        else:
            ack = self.emit("add-member", {"GroupId": self.group["GroupId"], "Member": self.carol["id"]})
            return (200 if ack.get("ok") else ack["error"]["status"] if "status" in ack["error"] else
                    {"unavailable": 503, "internal_error": 500}.get(ack["error"]["code"], 400)), ack
        return response.status_code, response.get_json()

    def effect(self, operation):
        """How many times the operation's change is visible in the database (0: not at all, 1: once)."""
        if operation == "send":
            return self.db.messages.count_documents({"sender_id": self.alice["id"], "client_id": self.client_id})
        if operation == "edit":
            return self.db.messages.count_documents({"_id": self.message["MessageId"], "content": self.text})
        if operation == "account change":
            return self.db.notify_state.count_documents({"_id": self.alice["id"], "email": self.setting})
        group = self.db.chats.find_one({"_id": self.group["GroupId"]})
        return group["members"].count(self.carol["id"])


@pytest.fixture
def scene(faulty, smtp):
    app, admin = faulty
    disarm(admin)
    return Scene(app, smtp)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", WRITES)
def test_a_fault_once_on_each_write_completes_the_operation_exactly_once(faulty, scene, operation, fault):
    _app, admin = faulty
    for command in WRITES[operation]:
        scene.fresh()
        arm(admin, {"times": 1}, command, fault)
        status, body = scene.run(operation)
        disarm(admin)
        assert status != 500, (command, body)
        if status in (200, 201):
            assert scene.effect(operation) == 1, (command, body)
        else:  # a writeConcernError (not retried by the driver): unavailable; the write may be kept (never
            # twice), and the client's retry completes the operation once
            assert (status, body["error"]["code"]) == (503, "unavailable"), (command, body)
            assert scene.effect(operation) in (0, 1), (command, body)
            again, body = scene.run(operation)
            if operation == "group change":  # the member is in: the retry says so
                assert body["error"]["fields"] == {"Member": ["Already a member."]}, body
            else:
                assert again in (200, 201), body
            assert scene.effect(operation) == 1, (command, body)


@pytest.mark.parametrize("operation", WRITES)
def test_a_write_that_keeps_failing_answers_unavailable_and_leaves_nothing(faulty, scene, operation):
    _app, admin = faulty
    untouched = next(c for c in ("insert", "update", "findAndModify", "delete") if c not in WRITES[operation])
    scene.fresh()
    for command in [*WRITES[operation], untouched]:  # the untouched one last: the operation then goes through
        arm(admin, "alwaysOn", command, "NotWritablePrimary")
        status, body = scene.run(operation)
        disarm(admin)
        if command in WRITES[operation]:
            assert (status, body["error"]["code"]) == (503, "unavailable"), (command, body)
            assert scene.effect(operation) == 0, f"{operation} half-written after a failed {command}"
        else:
            assert status in (200, 201), (command, body)
            assert scene.effect(operation) == 1


def test_a_send_held_past_the_socket_timeout_is_stored_once(faulty, scene):
    """The insert is held by the server past the client's socket timeout (MONGO_TIMEOUT_MS x 5, at least 10 s):
    pymongo gives up on that connection and retries the write on another; the held one ends later. The send
    answers 201 and the message is stored once (the unique ClientId index refuses the late twin)."""
    _app, admin = faulty
    block_ms = 10_500
    admin.admin.command({"configureFailPoint": "failCommand", "mode": {"times": 1},
                         "data": {"failCommands": ["insert"], "appName": "chat-backend", "blockConnection": True,
                                  "blockTimeMS": block_ms}})
    armed = time.monotonic()
    scene.fresh()
    status, body = scene.run("send")
    disarm(admin)
    assert status == 201, body
    time.sleep(max(0.0, armed + block_ms / 1000 + 1 - time.monotonic()))  # the held insert has ended by then
    assert scene.effect("send") == 1
    assert scene.db.messages.count_documents({"chat_id": body["Message"]["ChatId"]}) == 2  # "first" and this
