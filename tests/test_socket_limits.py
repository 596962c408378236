"""Rate limits on socket events: per connection, per user across tabs, answered in the ack."""
import pytest

from conftest import Accounts, error_code


@pytest.fixture
def limited(make_app, smtp):
    from chat.extensions import limiter
    app = make_app(RATELIMIT_ENABLED=True, SOCKET_LIMIT_TYPING="3/minute", SOCKET_LIMIT_TYPING_USER="5/minute",
                   SOCKET_LIMIT_MESSAGE="2/minute", SOCKET_LIMIT_MESSAGE_USER="10/minute")
    limiter.reset()
    yield app
    limiter.reset()


def test_typing_is_limited_per_connection_then_per_user(limited, smtp, connect_socket):
    accounts = Accounts(limited.test_client(), smtp)
    alice, bob = accounts.user(), accounts.user()
    tab1, tab2 = connect_socket(limited, alice, "/personal"), connect_socket(limited, alice, "/personal")
    chat = tab1.emit("fetch-personal-chat", {"Partner": bob["id"]}, namespace="/personal", callback=True)["ChatId"]

    def typing(tab):
        return tab.emit("typing", {"ChatId": chat}, namespace="/personal", callback=True)

    assert [typing(tab1)["ok"] for _ in range(3)] == [True, True, True]
    refused = typing(tab1)
    assert error_code(refused) == "rate_limited"
    assert 0 < refused["error"]["retry_after"] <= 60
    assert [typing(tab2)["ok"] for _ in range(3)] == [True, True, False]  # the user's 5 across both tabs


def test_a_limited_send_stores_nothing(limited, smtp, connect_socket):
    accounts = Accounts(limited.test_client(), smtp)
    alice = accounts.user()
    tab = connect_socket(limited, alice, "/self")
    acks = [tab.emit("send-self-message", {"Content": f"n{i}"}, namespace="/self", callback=True) for i in range(3)]
    assert [a["ok"] for a in acks] == [True, True, False] and acks[2]["error"]["code"] == "rate_limited"
    assert limited.extensions["chat.store"].db.messages.count_documents({}) == 2


def test_bad_payloads_count_too(limited, smtp, connect_socket):
    accounts = Accounts(limited.test_client(), smtp)
    tab = connect_socket(limited, accounts.user(), "/self")
    codes = [tab.emit("send-self-message", "junk", namespace="/self", callback=True)["error"]["code"]
             for _ in range(3)]
    assert codes == ["validation_error", "validation_error", "rate_limited"]


def test_rest_chat_calls_count_against_the_same_per_user_limits(limited, smtp, connect_socket):
    from conftest import bearer
    accounts = Accounts(limited.test_client(), smtp)
    alice = accounts.user()
    client = limited.test_client()
    tab = connect_socket(limited, alice, "/self")
    assert tab.emit("send-self-message", {"Content": "by socket"}, namespace="/self", callback=True)["ok"]
    statuses = [client.post("/chats/self/messages", json={"Content": f"r{i}"}, headers=bearer(alice["access"]))
                for i in range(2)]
    # Per client address (its "connection"): 2 a minute; the socket's send counted for the user, not the address.
    assert [r.status_code for r in statuses] == [201, 201]
    refused = client.post("/chats/self/messages", json={"Content": "r3"}, headers=bearer(alice["access"]))
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert limited.extensions["chat.store"].db.messages.count_documents({}) == 3
