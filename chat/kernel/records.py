"""Typed records: what repositories hand the other layers instead of raw documents (issue #29).

`Chat` is one document of the `chats` collection: a self, personal or group chat (they share the collection; a
group carries more fields). Repositories build it with `Chat.from_doc`; every other layer reads attributes, and
what differs by kind is a property (`is_group`, ...) or the kind's entry in `KINDS` (`spec`), not a comparison
of strings. A field the document lacks (an older document, or a projection) takes its default, as the old
`chat.get(field, default)` did. Records are frozen: a change is a repository update, then a fresh read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from .kinds import GROUP, KINDS, PERSONAL, SELF, Kind


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat document of any kind.

    Every chat: `id` (the self chat's is its user's, a personal chat's its pair, a group's an ObjectId string),
    `kind`, `members` (ids; a group's in join order, empty once deleted), `names` (id → username), `seq` (the
    last Seq taken), `rev` (the chat's revision), `reads` (id → Seq read up to), `pending` (revisions in flight,
    chat/chats/revs.py), `gaps` (empty Seqs), `muted` (id → end of a mute), `pins` (pinned message ids), `bots`
    (members who are bots), `blocked` (a personal chat's members whom the other blocked), `closed` (a personal
    chat whose partner deleted their account), `created_at`, `updated_at`.

    A group also: `name`, `name_lower`, `name_grams`, `description`, `public`, `admin_id`, `moderators`,
    `member_count`, `kicked`, `blocks` ({"by", "of"} between members), `deleted` (+ `deleted_at`,
    `members_at_deletion`), `archived`, `retention_days`, `slow_mode` (+ `spoke`: id → last send, seconds),
    `hooks_out` (its outgoing webhooks).
    """

    id: str
    kind: str
    members: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    seq: int = 0
    rev: int = 0
    reads: dict[str, int] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)
    muted: dict[str, datetime] = field(default_factory=dict)
    pins: list[str] = field(default_factory=list)
    bots: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    closed: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # Groups only
    name: str = ""
    name_lower: str = ""
    name_grams: list[str] = field(default_factory=list)
    description: str = ""
    public: bool = False
    admin_id: str | None = None
    moderators: list[str] = field(default_factory=list)
    member_count: int = 0
    kicked: list[str] = field(default_factory=list)
    blocks: list[dict[str, str]] = field(default_factory=list)
    deleted: bool = False
    deleted_at: datetime | None = None
    members_at_deletion: list[str] = field(default_factory=list)
    archived: bool = False
    retention_days: int = 0
    slow_mode: int = 0
    spoke: dict[str, float] = field(default_factory=dict)
    hooks_out: list[str] = field(default_factory=list)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Chat:
        """The record of a chat document (`_id` becomes `id`; missing or null fields take their defaults; fields
        this record does not know are left out)."""
        values = {name: doc[key] for name, key in _FIELDS.items() if doc.get(key) is not None}
        return cls(**values)

    @classmethod
    def maybe(cls, doc: Mapping[str, Any] | None) -> Chat | None:
        """`from_doc`, or None for no document."""
        return None if doc is None else cls.from_doc(doc)

    @property
    def spec(self) -> Kind:
        """The chat's entry in the table of kinds (namespace, id key, event names)."""
        return KINDS[self.kind]

    @property
    def is_group(self) -> bool:
        return self.kind == GROUP

    @property
    def is_personal(self) -> bool:
        return self.kind == PERSONAL

    @property
    def is_self(self) -> bool:
        return self.kind == SELF

    @property
    def is_live_group(self) -> bool:
        """A group that is not deleted."""
        return self.is_group and not self.deleted

    def read_by(self, user_id: object) -> int:
        """The Seq the member has read up to (0: nothing)."""
        return self.reads.get(str(user_id), 0)


# Attribute → document key: every field by its own name, but the id.
_FIELDS = {name: ("_id" if name == "id" else name) for name in Chat.__dataclass_fields__}
