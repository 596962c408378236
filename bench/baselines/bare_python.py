"""A bare python-socketio server on gevent relaying the chat's events: no Flask, no database, no checks.

    python bench/baselines/bare_python.py PORT

The same stack under the real server (python-socketio + python-engineio on gevent's WSGI server,
WebSockets through simple-websocket), the same namespaces, event names and payload shapes, so the
difference from the real server is what Flask-SocketIO, validation, storage and the rules cost.
The auth handshake is trivially accepted: the user id is read, unverified, from the access token.
Like the real server as it ships (WS_COMPRESSION=false), it declines WebSocket permessage-deflate by taking
the offer out of the request (simple-websocket would otherwise accept it from every browser); with
BARE_WS_COMPRESSION=1 it accepts it, as python-socketio does by default.
"""
from gevent import monkey

monkey.patch_all()

import base64  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import socketio  # noqa: E402
from gevent import pywsgi  # noqa: E402

sio = socketio.Server(async_mode="gevent", cors_allowed_origins=None, max_http_buffer_size=64 * 1024,
                      ping_interval=25, ping_timeout=20, logger=False, engineio_logger=False, always_connect=False)
users = {}          # (namespace, sid) -> {"id", "username"}
chats = {}          # chat id -> {"members": [a, b], "seq": n}
groups = {}
_ids = itertools.count(1)


def now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def claims(token):
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except Exception:  # noqa: BLE001 - a baseline: anything unreadable is refused
        return None


def accept(namespace, sid, auth):
    data = claims((auth or {}).get("access_token", ""))
    if not data:
        raise socketio.exceptions.ConnectionRefusedError("unauthorized", {"code": "unauthorized"})
    user = {"id": data["sub"], "username": data.get("name", data["sub"])}
    users[(namespace, sid)] = user
    sio.enter_room(sid, f"user:{user['id']}", namespace=namespace)
    return user


def message(chat_id, chat, sender, content, client_id, key="ChatId"):
    chat["seq"] += 1
    return {"MessageId": uuid.uuid4().hex[:24], key: chat_id, "Sender": sender, "Content": content,
            "CreatedAt": now(), "EditedAt": None, "Deleted": False, "ClientId": client_id, "Seq": chat["seq"]}


def entry(user):
    """One personal-chat-list entry, shaped like the real server's."""
    return {"ChatId": "0" * 24, "Partner": {"id": user["id"], "username": user["username"], "Online": False},
            "LastMessage": None, "Unread": 0, "UpdatedAt": now()}


# "/": user-id and the two lists, in order.
@sio.on("connect", namespace="/")
def root_connect(sid, environ, auth=None):
    user = accept("/", sid, auth)
    sio.emit("user-id", {"userId": user["id"], "userName": user["username"]}, to=sid, namespace="/")
    sio.emit("personal-chat-list", {"PersonalChatList": [entry(user)]}, to=sid, namespace="/")
    sio.emit("group-chat-list", {"GroupChatList": []}, to=sid, namespace="/")


@sio.on("ping", namespace="/")
def ping(sid, data=None):
    return {"ok": True, "sid": sid, "ServerTime": now()}


for _ns in ("/self", "/personal", "/group"):
    sio.on("connect", namespace=_ns)(lambda sid, environ, auth=None, _ns=_ns: accept(_ns, sid, auth) and None)


@sio.on("disconnect", namespace="*")
def gone(namespace, sid, reason=None):
    users.pop((namespace, sid), None)


@sio.on("fetch-personal-chat", namespace="/personal")
def fetch_personal(sid, data):
    user, partner = users[("/personal", sid)], data["Partner"]
    chat_id = uuid.uuid5(uuid.NAMESPACE_OID, ":".join(sorted((user["id"], partner)))).hex[:24]
    chats.setdefault(chat_id, {"members": sorted((user["id"], partner)), "seq": 0})
    reply = {"ChatId": chat_id, "Messages": [], "UserId": user["id"], "User": user,
             "Partner": {"id": partner, "username": partner}, "HasMore": False}
    sio.emit("personal-chat", reply, to=sid, namespace="/personal")
    return {"ok": True, **reply}


@sio.on("send-personal-message", namespace="/personal")
def send_personal(sid, data):
    user, chat = users[("/personal", sid)], chats[data["ChatId"]]
    out = message(data["ChatId"], chat, user, data["Content"].strip(), data.get("ClientId"))
    sio.emit("receive-personal-message", {"ChatId": data["ChatId"], "Content": out["Content"], "Sender": user,
                                          "Message": out},
             to=[f"user:{m}" for m in chat["members"]], skip_sid=sid, namespace="/personal")
    return {"ok": True, "Message": out}


@sio.on("create-group-chat", namespace="/group")
def create_group(sid, data):
    user = users[("/group", sid)]
    group_id = f"{next(_ids):024x}"
    members = [user["id"], *[p for p in dict.fromkeys(data["Participants"]) if p != user["id"]]]
    groups[group_id] = {"members": members, "seq": 0}
    for member in members:
        for member_sid, _eio in list(sio.manager.get_participants("/group", f"user:{member}")):
            sio.enter_room(member_sid, f"group:{group_id}", namespace="/group")
    group = {"GroupId": group_id, "Name": data["Name"], "Description": data.get("Description", ""), "Admin": user,
             "Members": [{"id": m, "username": m} for m in members], "CreatedAt": now()}
    sio.emit("group-created", {"Group": group}, to=f"group:{group_id}", namespace="/group")
    return {"ok": True, "Group": group}


@sio.on("send-group-message", namespace="/group")
def send_group(sid, data):
    user, group = users[("/group", sid)], groups[data["GroupId"]]
    out = message(data["GroupId"], group, user, data["Content"].strip(), data.get("ClientId"), key="GroupId")
    sio.emit("receive-group-message", {"GroupId": data["GroupId"], "Content": out["Content"], "Sender": user,
                                       "Message": out}, to=f"group:{data['GroupId']}", skip_sid=sid, namespace="/group")
    return {"ok": True, "Message": out}


def health(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"status": "ok"}']


def without_compression(wsgi_app):
    """The permessage-deflate offer taken out of every request, as the real server does by default."""
    def app(environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)
    return app


if __name__ == "__main__":
    port = int(sys.argv[1])
    app = socketio.WSGIApp(sio, health)
    if os.environ.get("BARE_WS_COMPRESSION") != "1":
        app = without_compression(app)
    print(f"bare python-socketio on http://127.0.0.1:{port}", flush=True)
    pywsgi.WSGIServer(("127.0.0.1", port), app, log=None).serve_forever()
