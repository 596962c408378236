"""Reactions one member cannot abuse, through the real server process: at most 10 distinct emoji of one member on
a message (so nobody fills its 20 alone), and no text smuggled in Unicode tag characters, while the subdivision
flags made of them (England's) are emoji like any other."""
from urllib.parse import quote

import pytest
from test_rich_messages import G, P, call, rest, sock_of, trio  # noqa: F401  (trio: a fixture)

from conftest import error_code

pytestmark = pytest.mark.live
TAG = 0xE0000
ENGLAND = "\U0001F3F4" + "".join(chr(TAG + ord(c)) for c in "gbeng") + "\U000E007F"
SCOTLAND = "\U0001F3F4" + "".join(chr(TAG + ord(c)) for c in "gbsct") + "\U000E007F"


def tags(text):
    return "".join(chr(TAG + ord(c)) for c in text)


def reactions_of(sock, group, message_id):
    """The message's Reactions as a fresh history page shows them."""
    page = call(sock, G, "fetch-group-chat", {"GroupId": group, "Limit": 100})
    [message] = [m for m in page["Messages"] if m["MessageId"] == message_id]
    return message["Reactions"]


def react(sock, group, message_id, emoji, on=True):
    return sock.call("react-message", {"GroupId": group, "MessageId": message_id, "Emoji": emoji, "On": on},
                     namespace=G)


def test_one_member_adds_at_most_ten_distinct_emoji_and_others_still_can(live_server, trio):  # noqa: F811
    (alice, bob, carol), socks, _chat_id, group = trio
    b, c = sock_of(socks, bob), sock_of(socks, carol)
    sent = call(sock_of(socks, alice), G, "send-group-message", {"GroupId": group, "Content": "react"})["Message"]
    mid = sent["MessageId"]
    emoji = [chr(0x1F600 + i) for i in range(12)]
    for e in emoji[:10]:
        assert react(b, group, mid, e)["ok"] is True
    before = reactions_of(b, group, mid)
    refused = react(b, group, mid, emoji[10])
    assert error_code(refused) == "validation_error"
    assert refused["error"]["fields"] == {"Emoji": ["At most 10 different emoji from you on a message."]}
    status, body = rest(live_server, "PUT", f"/messages/{mid}/reactions/{quote(emoji[11])}", bob)
    assert (status, body["error"]["code"]) == (422, "validation_error") and "10" in body["error"]["fields"]["Emoji"][0]
    assert reactions_of(b, group, mid) == before  # nothing changed, nothing pushed beyond the first ten
    b.sync()
    assert len(b.received("message-reactions", G)) == 10
    assert react(b, group, mid, emoji[0])["ok"] is True  # one of their own again: idempotent, not refused
    assert react(c, group, mid, emoji[10])["ok"] is True  # carol has her own ten
    assert react(b, group, mid, emoji[9], on=False)["ok"] is True
    assert react(b, group, mid, emoji[11])["ok"] is True  # one taken back makes room for another
    assert {r["Emoji"] for r in reactions_of(b, group, mid)} == set(emoji[:9]) | {emoji[10], emoji[11]}


@pytest.mark.parametrize("emoji", [
    "👍" + tags("hi") + "\U000E007F",  # text spelled in tags after an emoji
    "👍" + tags("ignore all rules"),  # no cancel tag either
    "\U0001F3F4" + tags("GBENG") + "\U000E007F",  # tag capitals: not a subdivision code
    "\U0001F3F4" + tags("gb eng") + "\U000E007F",  # a tag space
    "\U0001F3F4" + tags("gbengland") + "\U000E007F",  # longer than a subdivision code
    "\U0001F3F4" + tags("gbeng"),  # no cancel tag
    ENGLAND + "👍",  # a flag with more after it
    "👍\U000E007F",  # a lone cancel tag
])
def test_tag_characters_are_refused_unless_they_make_a_subdivision_flag(live_server, trio, emoji):  # noqa: F811
    (alice, bob, _carol), socks, _chat_id, group = trio
    b = sock_of(socks, bob)
    mid = call(sock_of(socks, alice), G, "send-group-message", {"GroupId": group, "Content": "flags"})["Message"][
        "MessageId"]
    ack = react(b, group, mid, emoji)
    assert error_code(ack) == "validation_error" and "Emoji" in ack["error"]["fields"], ack
    status, body = rest(live_server, "PUT", f"/messages/{mid}/reactions/{quote(emoji)}", bob)
    assert (status, body["error"]["code"]) == (422, "validation_error")
    assert reactions_of(b, group, mid) == []
    assert react(b, group, mid, emoji, on=False)["ok"] is True  # taking one back is never refused


def test_the_england_and_scotland_flags_are_emoji(live_server, trio):  # noqa: F811
    (alice, bob, _carol), socks, chat_id, group = trio
    mid = call(sock_of(socks, alice), G, "send-group-message", {"GroupId": group, "Content": "go"})["Message"][
        "MessageId"]
    ack = call(sock_of(socks, bob), G, "react-message", {"GroupId": group, "MessageId": mid, "Emoji": ENGLAND,
                                                         "On": True})
    assert ack["Reactions"] == [{"Emoji": ENGLAND, "Count": 1, "UserIds": [bob["id"]]}]
    sent = call(sock_of(socks, alice), P, "send-personal-message", {"ChatId": chat_id, "Content": "go"})["Message"]
    status, body = rest(live_server, "PUT", f"/messages/{sent['MessageId']}/reactions/{quote(SCOTLAND)}", bob)
    assert status == 200 and body["Reactions"][0]["Emoji"] == SCOTLAND
