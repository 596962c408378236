"""Malformed payloads on every socket event: each is answered with validation_error, the connection
stays up, nobody hears anything, and the database does not change."""
import pytest

from conftest import drain, error_code, unchanged

PARTNER, CHAT, MESSAGE = "@partner", "@chat", "@message"
OP = {"$ne": None}


def personal(**extra):
    return {"ChatId": CHAT, **extra}


BAD = [
    # /personal
    ("/personal", "fetch-personal-chat", "a string", "_payload"),
    ("/personal", "fetch-personal-chat", ["a", "list"], "_payload"),
    ("/personal", "fetch-personal-chat", 42, "_payload"),
    ("/personal", "fetch-personal-chat", None, "Partner"),
    ("/personal", "fetch-personal-chat", {}, "Partner"),
    ("/personal", "fetch-personal-chat", {"Partner": OP}, "Partner"),
    ("/personal", "fetch-personal-chat", {"Partner": [PARTNER]}, "Partner"),
    ("/personal", "fetch-personal-chat", {"Partner": 7}, "Partner"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Limit": "10"}, "Limit"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Limit": True}, "Limit"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Limit": 0}, "Limit"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Limit": 101}, "Limit"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Limit": 2.5}, "Limit"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Limit": None}, "Limit"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Limit": OP}, "Limit"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Before": MESSAGE, "After": MESSAGE}, "Before"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Before": {"$gt": ""}}, "Before"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "After": 7}, "After"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Before": "0123456789abcdef01234567"},
     "Before"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "ChatId": OP}, "ChatId"),
    ("/personal", "fetch-personal-chat", {"Partner": PARTNER, "Admin": True}, "Admin"),
    ("/personal", "send-personal-message", personal(Content="x" * 4001), "Content"),
    ("/personal", "send-personal-message", personal(Content=" " * 10 + "x" * 4001 + " " * 10), "Content"),
    ("/personal", "send-personal-message", personal(Content="x" * 100_001), "Content"),
    ("/personal", "send-personal-message", personal(Content=" \t\n "), "Content"),
    ("/personal", "send-personal-message", personal(Content=""), "Content"),
    ("/personal", "send-personal-message", personal(Content=5), "Content"),
    ("/personal", "send-personal-message", personal(Content=None), "Content"),
    ("/personal", "send-personal-message", personal(Content={"$ne": ""}), "Content"),
    ("/personal", "send-personal-message", personal(Content=["hi"]), "Content"),
    ("/personal", "send-personal-message", personal(), "Content"),
    ("/personal", "send-personal-message", {"ChatId": OP, "Content": "hi"}, "ChatId"),
    ("/personal", "send-personal-message", {"ChatId": 123, "Content": "hi"}, "ChatId"),
    ("/personal", "send-personal-message", {"Content": "hi"}, "ChatId"),
    ("/personal", "send-personal-message", personal(Content="hi", ClientId=OP), "ClientId"),
    ("/personal", "send-personal-message", personal(Content="hi", ClientId=""), "ClientId"),
    ("/personal", "send-personal-message", personal(Content="hi", ClientId=5), "ClientId"),
    ("/personal", "send-personal-message", personal(Content="hi", ClientId="c" * 101), "ClientId"),
    ("/personal", "send-personal-message", personal(Content="hi", Sender={"id": PARTNER}), "Sender"),
    ("/personal", "read-personal-message", personal(UpTo=OP), "UpTo"),
    ("/personal", "read-personal-message", personal(UpTo=5), "UpTo"),
    ("/personal", "read-personal-message", {"ChatId": [CHAT]}, "ChatId"),
    ("/personal", "read-personal-message", personal(ReaderId=PARTNER), "ReaderId"),
    ("/personal", "typing", {}, "ChatId"),
    ("/personal", "typing", personal(UserId=PARTNER), "UserId"),
    ("/personal", "done-typing", {"ChatId": None}, "ChatId"),
    ("/personal", "edit-personal-message", personal(MessageId=MESSAGE, Content="  "), "Content"),
    ("/personal", "edit-personal-message", personal(MessageId=MESSAGE, Content="x" * 4001), "Content"),
    ("/personal", "edit-personal-message", personal(Content="new"), "MessageId"),
    ("/personal", "edit-personal-message", personal(MessageId=OP, Content="new"), "MessageId"),
    ("/personal", "delete-personal-message", personal(MessageId=[MESSAGE]), "MessageId"),
    ("/personal", "delete-personal-message", {"MessageId": MESSAGE}, "ChatId"),
    # /self
    ("/self", "fetch-self-chat", "a string", "_payload"),
    ("/self", "fetch-self-chat", {"Limit": "5"}, "Limit"),
    ("/self", "fetch-self-chat", {"Limit": 0}, "Limit"),
    ("/self", "fetch-self-chat", {"Before": MESSAGE, "After": MESSAGE}, "Before"),
    ("/self", "fetch-self-chat", {"Partner": PARTNER}, "Partner"),
    ("/self", "send-self-message", {"Content": "\n\n"}, "Content"),
    ("/self", "send-self-message", {"Content": "x" * 4001}, "Content"),
    ("/self", "send-self-message", {"Content": {"$ne": 1}}, "Content"),
    ("/self", "send-self-message", {"Content": "hi", "ClientId": 1}, "ClientId"),
    ("/self", "send-self-message", [], "_payload"),
    # /
    ("/", "get-online-info", "ids", "_payload"),
    ("/", "get-online-info", {}, "UserIds"),
    ("/", "get-online-info", {"UserIds": PARTNER}, "UserIds"),
    ("/", "get-online-info", {"UserIds": [OP]}, "UserIds.0"),
    ("/", "get-online-info", {"UserIds": [1]}, "UserIds.0"),
    ("/", "get-online-info", {"UserIds": ["x"] * 257}, "UserIds"),
    ("/", "ping", {"x": 1}, "x"),
    ("/", "active-app", {"Away": True}, "Away"),
    ("/", "background-app", ["x"], "_payload"),
]


def substitute(value, names):
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, names) for k, v in value.items()}
    return value


@pytest.fixture
def scene(app, accounts, connect_socket):
    """Alice on every namespace, Bob listening on every namespace, and their chat with one message."""
    alice, bob = accounts.user(), accounts.user()
    clients = {namespace: connect_socket(app, alice, namespace) for namespace in ("/", "/self", "/personal")}
    listeners = {namespace: connect_socket(app, bob, namespace) for namespace in ("/", "/self", "/personal")}
    chat = clients["/personal"].emit("fetch-personal-chat", {"Partner": bob["id"]}, namespace="/personal",
                                     callback=True)["ChatId"]
    message = clients["/personal"].emit("send-personal-message", {"ChatId": chat, "Content": "hi"},
                                        namespace="/personal", callback=True)["Message"]
    clients["/self"].emit("send-self-message", {"Content": "note"}, namespace="/self", callback=True)
    for namespace, client in [*clients.items(), *listeners.items()]:
        drain(client, namespace)
    return {"clients": clients, "listeners": listeners, "db": app.extensions["chat.store"].db,
            "names": {PARTNER: bob["id"], CHAT: chat, MESSAGE: message["MessageId"]}}


@pytest.mark.parametrize("namespace, event, payload, field", BAD,
                         ids=[f"{n}{e}-{i}" for i, (n, e, _, _) in enumerate(BAD)])
def test_malformed_payloads_are_validation_errors_and_change_nothing(scene, namespace, event, payload, field):
    client, db = scene["clients"][namespace], scene["db"]
    args = () if payload is None else (substitute(payload, scene["names"]),)
    with unchanged(db):
        ack = client.emit(event, *args, namespace=namespace, callback=True)
    assert error_code(ack) == "validation_error", ack
    assert isinstance(ack["error"]["message"], str) and field in ack["error"]["fields"], ack
    # the connection is still up and still works
    assert client.is_connected(namespace)
    event, payload = {"/": ("ping", {}), "/self": ("fetch-self-chat", {"Limit": 1}),
                      "/personal": ("fetch-personal-chat", {"Partner": scene["names"][PARTNER], "Limit": 1}),
                      }[namespace]
    assert client.emit(event, payload, namespace=namespace, callback=True)["ok"] is True
    everyone = [*scene["clients"].items(), *scene["listeners"].items()]
    heard = [(n, name) for n, c in everyone for name, _ in drain(c, n)]
    assert heard in ([], [("/self", "self-chat")], [("/personal", "personal-chat")])
