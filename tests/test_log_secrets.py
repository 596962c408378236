"""No secret reaches the server log, whatever LOG_LEVEL (issue #26, item 6).

pymongo (4.9 and later) logs every command it sends at DEBUG (`pymongo.command`): with LOG_LEVEL=DEBUG the log
once held addresses, password hashes, message text and the VAPID private key. The real server process runs at
DEBUG here through signup, login, sends over Socket.IO and HTTP, a group, a push subscription and a push that
signs with the VAPID key; then its log is searched for each secret. The access log (on at DEBUG) shows the
links of mails without their token.
"""
import pytest
import requests
from push_service import BrowserKeys
from pymongo import MongoClient

from conftest import bearer, database_uri, start_live_server, stop_live_server

pytestmark = pytest.mark.live
P, G = "/personal", "/group"


@pytest.fixture
def debug_server(smtp, tmp_path):
    live = start_live_server(smtp, tmp_path, LOG_LEVEL="DEBUG", PUSH_ALLOW_INSECURE_LOCAL=1, PUSH_WORKERS=1,
                             NOTIFY_DIGEST_POLL=0)
    yield live
    stop_live_server(live)


def stored_secrets(server, users):
    """What the database holds that the log must not: password hashes and the VAPID private key."""
    client = MongoClient(database_uri(), serverSelectionTimeoutMS=5000)
    try:
        db = client[server.env["MONGO_DB"]]
        hashes = [db["users"].find_one({"username": u["username"]})["password_hash"] for u in users]
        pem = db["server_keys"].find_one()["private_pem"]
        return hashes, [line for line in pem.splitlines() if line and not line.startswith("-----")]
    finally:
        client.close()


def test_nothing_secret_is_logged_at_debug(debug_server, smtp, live_socket, push_services):
    server, service = debug_server, push_services("ok")
    alice, bob = server.signup_verify_login(smtp), server.signup_verify_login(smtp)
    keys = BrowserKeys()
    answer = requests.post(f"{server.url}/me/push-subscriptions", json=keys.subscription(service.endpoint("bob")),
                           headers=bearer(bob["access"]), timeout=10)
    assert answer.status_code == 201, answer.text
    sock = live_socket(server, alice, ("/", P, G))
    chat = sock.call("fetch-personal-chat", {"Partner": bob["id"]}, P)["ChatId"]
    texts = ["socket secret text wobbling-giraffe", "rest secret text humming-teapot", "group secret text quiet-owl"]
    assert sock.call("send-personal-message", {"ChatId": chat, "Content": texts[0]}, P)["ok"]
    sent = requests.post(f"{server.url}/chats/personal/{bob['id']}/messages", json={"Content": texts[1]},
                         headers=bearer(alice["access"]), timeout=10)
    assert sent.status_code == 201, sent.text
    group = sock.call("create-group-chat", {"Name": "secret group", "Participants": [bob["id"]]}, G)["Group"]
    assert sock.call("send-group-message", {"GroupId": group["GroupId"], "Content": texts[2]}, G)["ok"]
    assert service.wait_for(1, timeout=30)  # a push went out: the VAPID key was read and used
    personal = requests.post(f"{server.url}/me/tokens", json={"Name": "ci", "Scopes": ["messages:write"]},
                             headers=bearer(alice["access"]), timeout=10).json()["Token"]
    bot = requests.post(f"{server.url}/bots", json={"Username": "logbot"}, headers=bearer(alice["access"]),
                        timeout=10).json()["Token"]
    for token in (personal, bot):  # used, and refused once each (an unknown token's error names no token)
        assert requests.post(f"{server.url}/chats/self/messages", json={"Content": "by token"},
                             headers=bearer(token), timeout=10).status_code == 201
        assert requests.get(f"{server.url}/me/tokens", headers=bearer(token), timeout=10).status_code == 403
    assert requests.get(f"{server.url}/chats", headers=bearer(personal[:-2] + "xx"), timeout=10).status_code == 401
    hashes, pem_lines = stored_secrets(server, (alice, bob))
    stop_live_server(server)  # everything it had to say is written
    log = server.log()
    assert '"POST /login HTTP/1.1" 200' in log  # DEBUG is on: the access log is written
    links = {f"{u['username']}'s verification token": smtp.link(u["email"]).split("token=")[1] for u in (alice, bob)}
    secrets = {"password": alice["password"], "argon2 hash": "$argon2",
               **{f"hash {n}": h for n, h in enumerate(hashes)},
               "alice's email": alice["email"], "bob's email": bob["email"], "access token": alice["access"],
               "refresh token": alice["refresh"], "personal access token": personal, "bot token": bot,
               "token body": personal[8:], **{f"text {n}": t for n, t in enumerate(texts)},
               **{f"VAPID key line {n}": line for n, line in enumerate(pem_lines)}, **links}
    leaked = {name: log[max(0, log.find(value) - 200):log.find(value) + 100]
              for name, value in secrets.items() if value in log}
    assert not leaked, sorted(leaked)
