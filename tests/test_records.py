"""Typed records (chat/kernel/records.py): what a `Chat` makes of a document, and that the wire builders give
the same documents as they did from the raw dicts."""
from dataclasses import FrozenInstanceError
from datetime import datetime, timezone

import pytest

from chat.chats.wire import partner_of
from chat.groups.wire import group_out
from chat.kernel.kinds import KINDS
from chat.kernel.records import Chat

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_a_personal_chat_takes_defaults_for_what_its_document_lacks():
    chat = Chat.from_doc({"_id": "a:b", "kind": "personal", "members": ["a", "b"], "names": {"a": "ann", "b": "bob"},
                          "seq": 3, "reads": {"a": 3}, "created_at": NOW, "updated_at": NOW,
                          "some_field_of_tomorrow": 1})  # a field the record does not know is left out
    assert (chat.id, chat.kind, chat.members, chat.seq, chat.rev) == ("a:b", "personal", ["a", "b"], 3, 0)
    assert chat.is_personal and not chat.is_group and not chat.is_self and chat.spec is KINDS["personal"]
    assert chat.read_by("a") == 3 and chat.read_by("b") == 0
    assert (chat.blocked, chat.bots, chat.gaps, chat.pending, chat.muted) == ([], [], [], [], {})
    assert (chat.admin_id, chat.name, chat.deleted, chat.retention_days, chat.slow_mode) == (None, "", False, 0, 0)
    assert partner_of(chat, "a") == {"id": "b", "username": "bob", "Bot": False}
    with pytest.raises(FrozenInstanceError):
        chat.seq = 4  # type: ignore[misc]


def test_a_group_reads_as_its_document_did_on_the_wire():
    doc = {"_id": "g1", "kind": "group", "name": "Team", "name_lower": "team", "public": True, "description": "",
           "admin_id": "a", "members": ["a", "b"], "member_count": 2, "names": {"a": "ann", "b": "bob"},
           "moderators": ["b"], "bots": ["b"], "seq": 0, "reads": {}, "created_at": NOW, "updated_at": NOW,
           "deleted": False, "archived": False, "retention_days": None, "slow_mode": 30}
    group = Chat.from_doc(doc)
    assert group.is_group and group.spec.id_key == "GroupId" and group.spec.room
    assert group_out(group) == {
        "GroupId": "g1", "Name": "Team", "Description": "", "Public": True,
        "Admin": {"id": "a", "username": "ann", "Bot": False},
        "Members": [{"id": "a", "username": "ann", "Bot": False}, {"id": "b", "username": "bob", "Bot": True}],
        "CreatedAt": "2030-01-01T00:00:00.000Z", "Moderators": ["b"], "SlowModeSeconds": 30, "RetentionDays": 0}
    assert Chat.maybe(None) is None and Chat.maybe(doc) == group
