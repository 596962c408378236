"""A group on the live server for the moderation tests: its admin, a moderator, two plain members and a
stranger, each with recording sockets on `/group` and `/personal`, and REST calls in their name."""
from conftest import HttpClient, bearer, snapshot

NS = "/group"


def ok(ack):
    assert ack and ack.get("ok") is True, ack
    return ack


def as_user(user):
    return {"id": user["id"], "username": user["username"], "Bot": False}


class Team:
    """admin (runs the group), mod (a moderator), bob and carol (members), eve (a verified stranger)."""

    def __init__(self, server, live_socket):
        self.server, self.http, self.db = server, HttpClient(server.url), server.db()
        self.admin, self.mod, self.bob, self.carol, self.eve = (server.verified_user() for _ in range(5))
        self.everyone = [self.admin, self.mod, self.bob, self.carol, self.eve]
        for user in self.everyone:
            user["sock"] = live_socket(server, user, ("/", NS, "/personal"))
        group = ok(self.call(self.admin, "create-group-chat", {
            "Name": "Moderated", "Participants": [self.mod["id"], self.bob["id"], self.carol["id"]]}))["Group"]
        self.group = group["GroupId"]
        ok(self.call(self.admin, "set-moderator", {"GroupId": self.group, "UserId": self.mod["id"], "On": True}))
        for user in self.everyone:
            user["sock"].wait_for("group-updated", NS) if user is not self.eve else None

    @staticmethod
    def call(user, event, data, namespace=NS):
        return user["sock"].call(event, data, namespace)

    def rest(self, method, user, path, json=None):
        return self.http.request(method, path, json=json, headers=bearer(user["access"]))

    def send(self, user, content, group=None):
        """A message from user to the group (REST), as the answer's Message."""
        response = self.rest("POST", user, f"/groups/{group or self.group}/messages", {"Content": content})
        assert response.status_code == 201, response.json()
        return response.json()["Message"]

    def group_doc(self):
        return self.db.chats.find_one({"_id": self.group})

    def state(self, *names):
        """What a refusal must leave as it was (chats and messages, and any collection named)."""
        return snapshot(self.db, "chats", "messages", *names)

    def pushes(self):
        """How many events each socket has received so far (after a round trip on each)."""
        for user in self.everyone:
            user["sock"].sync()
        return {user["username"]: len(user["sock"].wire) for user in self.everyone}

    def refused(self, expected, attempt, *names):
        """Run attempt (an ack or a response); assert it is refused with `expected` and changed nothing and pushed
        nothing to anyone. Returns the error object."""
        before, pushed = self.state(*names), self.pushes()
        answer = attempt()
        if isinstance(answer, dict):
            assert answer.get("ok") is False, answer
            error = answer["error"]
        else:
            assert answer.status_code >= 400, answer.json()
            error = answer.json()["error"]
        assert error["code"] == expected, error
        assert self.state(*names) == before, "a refused action changed the database"
        assert self.pushes() == pushed, "a refused action pushed something"
        return error
