"""Namespace `/self` in-process: notes to self, shared by the user's own tabs and nobody else."""
from conftest import drain, error_code

NS = "/self"


def call(client, event, **payload):
    return client.emit(event, payload, namespace=NS, callback=True)


def test_the_self_chat_starts_empty_and_is_named_after_the_user(app, accounts, connect_socket):
    user = accounts.user()
    tab = connect_socket(app, user, NS)
    ack = call(tab, "fetch-self-chat")
    assert ack == {"ok": True, "Messages": [], "Name": user["username"], "HasMore": False}
    assert drain(tab, NS) == [("self-chat", {"Messages": [], "Name": user["username"], "HasMore": False})]


def test_notes_reach_the_users_other_tabs_only_once(app, accounts, connect_socket):
    user, other = accounts.user(), accounts.user()
    tab1, tab2, stranger = (connect_socket(app, u, NS) for u in (user, user, other))
    ack = call(tab1, "send-self-message", Content=" buy milk ", ClientId="n-1")
    message = ack["Message"]
    assert ack["ok"] is True and message["ChatId"] == user["id"] and message["Content"] == "buy milk"
    assert message["Sender"] == {"id": user["id"], "username": user["username"], "Bot": False} and message["Seq"] == 1
    assert call(tab2, "send-self-message", Content="buy milk", ClientId="n-1")["Message"] == message
    assert drain(tab1, NS) == [] and drain(tab2, NS) == [("receive-self-message", {"Message": message})]
    assert drain(stranger, NS) == []
    assert call(stranger, "fetch-self-chat")["Messages"] == []
    assert call(tab2, "fetch-self-chat")["Messages"] == [message]


def test_the_self_chat_is_not_a_personal_chat(app, accounts, connect_socket):
    user = accounts.user()
    tab = connect_socket(app, user, NS)
    call(tab, "send-self-message", Content="note")
    personal = connect_socket(app, user, "/personal")
    ack = personal.emit("send-personal-message", {"ChatId": user["id"], "Content": "x"},
                        namespace="/personal", callback=True)
    assert error_code(ack) == "not_found"
    root = connect_socket(app, user, "/")
    assert dict(drain(root))["personal-chat-list"] == {"PersonalChatList": []}


def test_self_chat_pages(app, accounts, connect_socket):
    tab = connect_socket(app, accounts.user(), NS)
    notes = [call(tab, "send-self-message", Content=f"note {i}")["Message"] for i in range(1, 8)]
    newest = call(tab, "fetch-self-chat", Limit=3)
    assert newest["Messages"] == notes[4:] and newest["HasMore"] is True
    older = call(tab, "fetch-self-chat", Limit=3, Before=notes[4]["MessageId"])
    assert older["Messages"] == notes[1:4] and older["HasMore"] is True
    oldest = call(tab, "fetch-self-chat", Limit=3, Before=notes[1]["MessageId"])
    assert oldest["Messages"] == notes[:1] and oldest["HasMore"] is False
    after = call(tab, "fetch-self-chat", Limit=5, After=notes[0]["MessageId"])
    assert after["Messages"] == notes[1:6] and after["HasMore"] is True
    rest = call(tab, "fetch-self-chat", Limit=5, After=notes[5]["MessageId"])
    assert rest["Messages"] == notes[6:] and rest["HasMore"] is False
