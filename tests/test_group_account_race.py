"""Group commands racing `DELETE /me` (issue #26, item 10), on the real server process.

While its account is being deleted, the deleting session's socket stays open until the last step; a
`create-group-chat` arriving then once failed with a KeyError (an internal error, a traceback in the log) and
could leave a group whose admin no longer exists. Every ack is now `ok` (made before the deletion, which then
leaves the group) or `unauthorized`, the log has no traceback, and the deleted user is in no group afterwards.
"""
import threading

import pytest
import requests
import socketio
from pymongo import MongoClient

from conftest import database_uri

pytestmark = pytest.mark.live
G = "/group"
TRIALS = 4


def groups_with(server, user_id):
    """The live groups whose members include user_id, read from the server's database."""
    client = MongoClient(database_uri(), serverSelectionTimeoutMS=5000)
    try:
        chats = client[server.env["MONGO_DB"]]["chats"]
        return [g["_id"] for g in chats.find({"kind": "group", "deleted": False, "members": user_id})]
    finally:
        client.close()


def create(sock, partner):
    """Emit `create-group-chat`: its ack, or None when the server closes the socket first (no ack comes then)."""
    acks = []

    def answered(ack=None):
        with sock._changed:
            acks.append(ack)
            sock._changed.notify_all()
    try:
        sock.client.emit("create-group-chat", {"Name": "race", "Participants": [partner["id"]]}, namespace=G,
                         callback=answered)
    except socketio.exceptions.BadNamespaceError:
        return None
    sock._until(lambda: True if acks or G in sock.disconnected else None, 10, "neither an ack nor a disconnect")
    return acks[0] if acks else None


def test_group_commands_racing_account_deletion_answer_ok_or_unauthorized(live_server, smtp, live_socket):
    logged_before = len(live_server.log())  # the session's server: earlier tests' lines are not this one's
    partner = live_server.signup_verify_login(smtp)
    codes = []
    for _ in range(TRIALS):
        user = live_server.signup_verify_login(smtp)
        sock = live_socket(live_server, user, (G,))
        answer = {}

        def delete(user=user, answer=answer):
            answer["response"] = requests.delete(f"{live_server.url}/me", json={"password": user["password"]},
                                                 headers={"Authorization": f"Bearer {user['access']}"}, timeout=30)

        deleting = threading.Thread(target=delete)
        deleting.start()
        while deleting.is_alive():
            ack = create(sock, partner)
            if ack is None:
                break  # the server closed the socket (the last step of the deletion)
            codes.append("ok" if ack.get("ok") else ack["error"]["code"])
        deleting.join(30)
        assert answer["response"].status_code == 200, answer["response"].text
        assert groups_with(live_server, user["id"]) == [], "a group kept the deleted account"
    assert set(codes) <= {"ok", "unauthorized"} and "unauthorized" in codes, codes  # the race was run
    log = live_server.log()[logged_before:]
    assert "Traceback" not in log and "KeyError" not in log, log[-3000:]
