"""The services announce what happened to the events port (chat/events.py), seen here without a socket through
the `captured_events` fixture (tests/events_capture.py); the live socket tests check the pushes themselves."""
import pytest

from chat.events import Origin
from chat.kernel.errors import ApiError
from chat.kernel.kinds import ChatRef, pair_key


def as_user(user):
    return {"id": user["id"], "username": user["username"], "Bot": False}


def test_a_send_announces_message_sent_once_with_its_socket(captured_events, accounts):
    services, events = captured_events
    alice, bob = as_user(accounts.verified_user()), as_user(accounts.verified_user())
    origin = Origin(alice, "sid-of-alice")
    chat, message, created = services.messages.send(alice, ChatRef.personal(partner_id=bob["id"]), "hi", "c-1",
                                                    origin=origin)
    assert created and events.names() == ["message_sent"]
    announced = events.one("message_sent")
    assert announced["chat"].id == pair_key(alice["id"], bob["id"]) == chat.id
    assert announced["message"]["_id"] == message["_id"] and announced["message"]["content"] == "hi"
    assert announced["origin"] is origin  # the socket that is left out of the push (it has its ack)
    services.messages.send(alice, ChatRef.personal(chat.id), "hi", "c-1", origin=origin)  # a repeated ClientId
    assert events.names() == ["message_sent"], "a repeated ClientId is no new message"


def test_a_refused_send_announces_nothing(captured_events, accounts):
    services, events = captured_events
    alice, bob = as_user(accounts.verified_user()), as_user(accounts.verified_user())
    with pytest.raises(ApiError):
        services.messages.send(alice, ChatRef.personal(partner_id=bob["id"]), "   ")
    with pytest.raises(ApiError):
        services.messages.send(bob, ChatRef.personal(pair_key(alice["id"], "0" * 24)), "hi")
    assert events.names() == []


def test_an_edit_announces_message_edited_and_a_refused_one_nothing(captured_events, accounts):
    services, events = captured_events
    alice, bob = as_user(accounts.verified_user()), as_user(accounts.verified_user())
    chat, message, _ = services.messages.send(alice, ChatRef.personal(partner_id=bob["id"]), "first")
    events.clear()
    with pytest.raises(ApiError) as refused:
        services.messages.edit(bob["id"], message["_id"], "not yours")
    assert refused.value.code == "forbidden" and events.names() == []
    services.messages.edit(alice["id"], message["_id"], "second")
    announced = events.one("message_edited")
    assert announced["chat"].id == chat.id and announced["message"]["content"] == "second"
    services.messages.delete(alice["id"], message["_id"])
    assert events.names() == ["message_edited", "message_deleted"]


def test_a_kick_announces_member_kicked_by_the_admin(captured_events, accounts):
    services, events = captured_events
    admin, bob, cat = (as_user(accounts.verified_user()) for _ in range(3))
    admin_origin = Origin(admin, "sid-of-admin")
    group = services.groups.create(admin["id"], "Kickers", "", [bob["id"], cat["id"]], origin=admin_origin)
    assert events.one("group_created")["group"].id == group.id
    with pytest.raises(ApiError) as refused:  # only the admin kicks
        services.groups.kickout(bob["id"], group.id, cat["id"], Origin(bob))
    assert refused.value.code == "forbidden" and events.names() == ["group_created"]
    services.groups.kickout(admin["id"], group.id, bob["id"], admin_origin)
    kicked = events.one("member_kicked")
    assert kicked["member"] == bob and kicked["origin"].user == admin
    assert bob["id"] not in kicked["group"].members
    services.groups.leave(cat["id"], group.id, Origin(cat))
    left = events.one("member_left")
    assert left["member"] == cat and cat["id"] in left["before"].members
    assert cat["id"] not in left["after"].members


def test_a_read_and_typing_are_announced_with_the_readers_socket(captured_events, accounts):
    services, events = captured_events
    alice, bob = as_user(accounts.verified_user()), as_user(accounts.verified_user())
    chat, message, _ = services.messages.send(alice, ChatRef.personal(partner_id=bob["id"]), "read me")
    events.clear()
    bob_origin = Origin(bob, "sid-of-bob")
    services.messages.mark_read(bob["id"], ChatRef.personal(chat.id), origin=bob_origin)
    read = events.one("read_moved")
    assert read["reader_id"] == bob["id"] and read["receipt"]["UpTo"] == message["_id"]
    assert read["origin"].sid == "sid-of-bob"
    services.messages.mark_read(bob["id"], ChatRef.personal(chat.id), origin=bob_origin)  # did not move
    services.messages.typing(bob, ChatRef.personal(chat.id), True, bob_origin)
    assert events.names() == ["read_moved", "typing"] and events.one("typing")["started"] is True


def test_a_block_announces_user_blocked(captured_events, accounts):
    services, events = captured_events
    alice, bob = accounts.verified_user(), accounts.verified_user()
    services.blocks.block(alice["id"], bob["id"])
    assert events.one("user_blocked") == {"user_id": alice["id"], "target_id": bob["id"]}


def test_moderation_announces_through_the_port_and_a_refusal_nothing(captured_events, accounts):
    """set-moderator is `group_updated`, a pin `message_pinned`, a moderator's kick and deletion the usual
    announcements (what an audit log of moderator actions hooks into); refused ones announce nothing."""
    services, events = captured_events
    admin, mod, bob = (as_user(accounts.verified_user()) for _ in range(3))
    group = services.groups.create(admin["id"], "Moderated", "", [mod["id"], bob["id"]])
    _chat, message, _ = services.messages.send(bob, ChatRef.group(group.id), "spam")
    events.clear()
    with pytest.raises(ApiError) as refused:
        services.moderation.set_moderator(bob["id"], group.id, mod["id"], True)
    assert refused.value.code == "forbidden" and events.names() == []
    services.moderation.set_moderator(admin["id"], group.id, mod["id"], True, Origin(admin, "sid"))
    assert events.one("group_updated")["group"].moderators == [mod["id"]]
    with pytest.raises(ApiError):
        services.moderation.pin(bob, ChatRef.group(group.id), message["_id"], True)
    services.moderation.pin(mod, ChatRef.group(group.id), message["_id"], True)
    pinned = events.one("message_pinned")
    assert pinned["pinned"] is True and pinned["by"] == mod and pinned["message"]["_id"] == message["_id"]
    services.messages.delete(mod["id"], message["_id"])
    assert events.one("message_deleted")["message"]["deleted_by"] == mod
    services.groups.kickout(mod["id"], group.id, bob["id"], Origin(mod, "sid-of-mod"))
    assert events.names() == ["group_updated", "message_pinned", "message_deleted", "member_kicked"]


def test_a_thread_reply_announces_thread_replied_with_its_followers(captured_events, accounts):
    services, events = captured_events
    alice, bob = as_user(accounts.verified_user()), as_user(accounts.verified_user())
    chat, root, _ = services.messages.send(alice, ChatRef.personal(partner_id=bob["id"]), "root")
    events.clear()
    origin = Origin(bob, "sid-of-bob")
    _chat, reply, created = services.messages.send(bob, ChatRef.personal(chat.id), "re", "c-t", origin=origin,
                                                   thread_of=root["_id"])
    assert created and events.names() == ["thread_replied"]  # no message_sent: the timeline did not move
    announced = events.one("thread_replied")
    assert announced["reply"]["_id"] == reply["_id"] and announced["root"]["thread"]["count"] == 1
    assert sorted(announced["followers"]) == sorted([alice["id"], bob["id"]]) and announced["origin"] is origin
    services.messages.send(bob, ChatRef.personal(chat.id), "re", "c-t", thread_of=root["_id"])  # repeated
    with pytest.raises(ApiError):
        services.messages.send(bob, ChatRef.personal(chat.id), "re", thread_of=reply["_id"])  # a reply
    assert events.names() == ["thread_replied"], "a repeated ClientId and a refused reply announce nothing"
    services.messages.delete(bob["id"], reply["_id"])
    assert events.names() == ["thread_replied", "message_deleted", "thread_updated"]
    assert events.one("thread_updated")["root"]["thread"]["count"] == 0
