"""`GET /search` (issue #32), every rule on the real server process: terms anywhere in a word, case and accents
ignored, Japanese, Chinese and Korean as substrings, the filters, newest first, paging by cursor without
repeats, only chats the caller is in now, never deleted messages or earlier versions of edited ones, and query
text that is only ever text (no operator, no regular expression)."""
import pytest
import requests

from conftest import error_code

pytestmark = pytest.mark.live
G = "/group"


def api(server, user, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {user['access']}"} if user else {}
    return requests.request(method, server.url + path, headers=headers, timeout=20, **kwargs)


def send(server, user, partner, content, **extra):
    response = api(server, user, "POST", f"/chats/personal/{partner['id']}/messages",
                   json={"Content": content, **extra})
    assert response.status_code == 201, response.text
    return response.json()["Message"]


def search(server, user, q, **params):
    response = api(server, user, "GET", "/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def found(server, user, q, **params):
    """The contents of every result of one page."""
    return [r["Message"]["Content"] for r in search(server, user, q, **params)["Results"]]


@pytest.fixture
def pair(live_server):
    return live_server.verified_user(), live_server.verified_user()


def test_terms_match_anywhere_in_a_word_ignoring_case_and_accents(live_server, pair):
    alice, bob = pair
    send(live_server, alice, bob, "The REDEPLOYMENT went fine")
    send(live_server, bob, alice, "Meet at the Café Noël?")
    send(live_server, alice, bob, "ｆｕｌｌ ｗｉｄｔｈ text")
    send(live_server, alice, bob, "nothing to see")
    assert found(live_server, bob, "deploy") == ["The REDEPLOYMENT went fine"]
    assert found(live_server, alice, "cafe noel") == ["Meet at the Café Noël?"]
    assert found(live_server, alice, "CAFÉ") == ["Meet at the Café Noël?"]
    assert found(live_server, alice, "full width") == ["ｆｕｌｌ ｗｉｄｔｈ text"]
    assert found(live_server, alice, "deploy cafe") == []  # every term, in the same message
    assert found(live_server, alice, "ploy went") == ["The REDEPLOYMENT went fine"]
    answer = search(live_server, alice, "deploy")
    [result] = answer["Results"]
    assert result["Kind"] == "personal" and result["ChatId"] == result["Message"]["ChatId"] and answer["Next"] is None


def test_japanese_chinese_and_korean_match_as_substrings(live_server, pair):
    alice, bob = pair
    japanese, chinese = "昨日は東京タワーに行きました", "我们明天在北京开会讨论预算"
    send(live_server, alice, bob, japanese)
    send(live_server, alice, bob, chinese)
    send(live_server, alice, bob, "안녕하세요 여러분")
    assert found(live_server, bob, "タワー") == [japanese]
    assert found(live_server, bob, "京タ") == [japanese]
    assert found(live_server, bob, "東京 行き") == [japanese]
    assert found(live_server, bob, "北京") == [chinese]
    assert found(live_server, bob, "开会讨论") == [chinese]
    assert found(live_server, bob, "京讨") == []
    assert found(live_server, bob, "하세") == ["안녕하세요 여러분"]
    assert found(live_server, bob, "カタ") == []  # が is not か: marks of kana are part of the letter


def test_a_gram_collision_is_never_a_match_and_query_text_is_plain_text(live_server, pair):
    alice, bob = pair
    send(live_server, alice, bob, "abcxbcd holds the grams of abcd but not abcd itself")
    send(live_server, alice, bob, "a literal $where and .* here")
    assert found(live_server, bob, "bcdx") == []
    assert found(live_server, bob, "xbcd") == ["abcxbcd holds the grams of abcd but not abcd itself"]
    assert found(live_server, bob, "$where") == ["a literal $where and .* here"]
    assert found(live_server, bob, ".*") == ["a literal $where and .* here"]
    assert found(live_server, bob, "^a") == [] and found(live_server, bob, "[a-z]+") == []
    assert found(live_server, bob, '{"$gt":""}') == []


def test_edited_and_deleted_messages(live_server, pair):
    alice, bob = pair
    edited = send(live_server, alice, bob, "original apricot jam")
    gone = send(live_server, alice, bob, "ephemeral kiwi")
    assert api(live_server, alice, "PATCH", f"/messages/{edited['MessageId']}",
               json={"Content": "banana split"}).status_code == 200
    assert api(live_server, alice, "DELETE", f"/messages/{gone['MessageId']}").status_code == 200
    assert found(live_server, bob, "apricot") == []  # the earlier version is not searched
    assert found(live_server, bob, "banana") == ["banana split"]
    assert found(live_server, bob, "kiwi") == [] and found(live_server, alice, "ephemeral") == []
    docs = {doc["_id"]: doc for doc in live_server.db()["messages"].find({"chat_id": edited["ChatId"]})}
    assert docs[gone["MessageId"]]["grams"] == [] and "apr" not in docs[edited["MessageId"]]["grams"]


def test_only_chats_the_caller_is_a_member_of_now(live_server, live_socket):
    alice, bob, carol, eve = (live_server.verified_user() for _ in range(4))
    sock = live_socket(live_server, alice, (G,))
    group = sock.call("create-group-chat", {"Name": "planning", "Participants": [bob["id"], carol["id"]]}, G)
    group_id = group["Group"]["GroupId"]
    posted = api(live_server, bob, "POST", f"/groups/{group_id}/messages", json={"Content": "quarterly zeppelin"})
    assert posted.status_code == 201, posted.text
    send(live_server, alice, bob, "private zeppelin note")
    [hit] = search(live_server, carol, "zeppelin")["Results"]
    assert hit["Kind"] == "group" and hit["GroupId"] == group_id and hit["Message"]["GroupId"] == group_id
    assert len(search(live_server, bob, "zeppelin")["Results"]) == 2
    assert found(live_server, eve, "zeppelin") == []  # someone else's chats
    assert sock.call("kickout", {"GroupId": group_id, "Member": carol["id"]}, G)["ok"] is True
    assert found(live_server, carol, "zeppelin") == []  # kicked: the group is no longer searched
    refused = api(live_server, carol, "GET", "/search", params={"q": "zeppelin", "chat": group_id})
    assert refused.status_code == 404 and error_code(refused) == "not_found"
    assert found(live_server, bob, "zeppelin", chat=group_id) == ["quarterly zeppelin"]


def test_filters_chat_from_has_file_before_and_after(live_server, pair):
    alice, bob = pair
    carol = live_server.verified_user()
    first = send(live_server, alice, bob, "walrus one")
    second = send(live_server, bob, alice, "walrus two")
    third = send(live_server, alice, carol, "walrus three")
    upload = api(live_server, alice, "POST", "/files", files={"file": ("notes.txt", b"walrus facts")})
    assert upload.status_code == 201, upload.text
    with_file = send(live_server, alice, bob, "walrus four", Attachments=[upload.json()["File"]["FileId"]])
    assert found(live_server, alice, "walrus") == ["walrus four", "walrus three", "walrus two", "walrus one"]
    assert found(live_server, alice, "walrus", chat=first["ChatId"]) == ["walrus four", "walrus two", "walrus one"]
    assert found(live_server, alice, "walrus", chat=third["ChatId"]) == ["walrus three"]
    assert found(live_server, alice, "walrus", **{"from": bob["id"]}) == ["walrus two"]
    assert found(live_server, alice, "walrus", has="file") == ["walrus four"]
    assert found(live_server, alice, "walrus", after=second["CreatedAt"]) == ["walrus four", "walrus three"]
    assert found(live_server, alice, "walrus", before=second["CreatedAt"]) == ["walrus one"]
    assert found(live_server, alice, "walrus", after=first["CreatedAt"], before=with_file["CreatedAt"]) == [
        "walrus three", "walrus two"]


def test_pages_are_newest_first_without_repeats(live_server, pair):
    alice, bob = pair
    for i in range(23):
        send(live_server, alice if i % 2 else bob, bob if i % 2 else alice, f"pagination marmot {i}")
    send(live_server, alice, bob, "unrelated")
    seen, cursor, pages = [], None, 0
    while True:
        answer = search(live_server, alice, "marmot", limit=10, **({"cursor": cursor} if cursor else {}))
        pages += 1
        seen += [r["Message"]["Content"] for r in answer["Results"]]
        cursor = answer["Next"]
        if cursor is None:
            break
    assert pages == 3 and seen == [f"pagination marmot {i}" for i in reversed(range(23))]
    assert len(search(live_server, alice, "marmot")["Results"]) == 20  # the default limit


def test_a_deleted_accounts_messages_are_not_found(live_server, pair):
    alice, bob = pair
    send(live_server, alice, bob, "farewell narwhal")
    assert found(live_server, bob, "narwhal") == ["farewell narwhal"]
    assert api(live_server, alice, "DELETE", "/me", json={"password": alice["password"]}).status_code == 200
    assert found(live_server, bob, "narwhal") == []


@pytest.mark.parametrize("params, field", [
    ({}, "q"), ({"q": "  "}, "q"), ({"q": "a"}, "q"), ({"q": "ok x"}, "q"), ({"q": "é"}, "q"),
    ({"q": "x" * 101}, "q"), ({"q": " ".join(f"t{i}" for i in range(11))}, "q"),
    ({"q": "ok", "has": "image"}, "has"), ({"q": "ok", "limit": "0"}, "limit"), ({"q": "ok", "limit": "51"}, "limit"),
    ({"q": "ok", "limit": "x"}, "limit"), ({"q": "ok", "cursor": "not-a-cursor"}, "cursor"),
    ({"q": "ok", "before": "yesterday"}, "before"),
    ({"q": "ok", "before": "2024-01-01T00:00:00Z", "after": "2024-01-02T00:00:00Z"}, "after"),
    ({"q": "ok", "unknown": "1"}, "unknown"),
])
def test_bad_parameters_are_validation_errors(live_server, pair, params, field):
    response = api(live_server, pair[0], "GET", "/search", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert error_code(response) == "validation_error" and field in body["error"]["fields"], body


def test_search_needs_a_token(live_server):
    response = api(live_server, None, "GET", "/search", params={"q": "anything"})
    assert response.status_code == 401 and error_code(response) == "unauthorized"


def test_backfill_indexes_messages_stored_before_search(app, client, accounts, db):
    alice, bob = accounts.verified_user(), accounts.verified_user()
    headers = {"Authorization": f"Bearer {alice['access']}"}
    for content in ("legacy platypus", "gone platypus"):
        assert client.post(f"/chats/personal/{bob['id']}/messages", json={"Content": content},
                           headers=headers).status_code == 201
    db["messages"].update_many({"sender_id": alice["id"]}, {"$unset": {"grams": ""}})  # as stored before search
    db["messages"].update_one({"content": "gone platypus"}, {"$set": {"deleted": True, "content": ""}})
    assert client.get("/search?q=platypus", headers=headers).get_json()["Results"] == []
    result = app.test_cli_runner().invoke(args=["search", "backfill"])
    assert result.exit_code == 0 and "2 messages indexed" in result.output, result.output
    found = client.get("/search?q=platypus", headers=headers).get_json()["Results"]
    assert [r["Message"]["Content"] for r in found] == ["legacy platypus"]
    assert app.test_cli_runner().invoke(args=["search", "backfill"]).output.startswith("0 messages")
