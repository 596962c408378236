"""The zip of an export, written as a stream: `zipfile` writes into any writable stream (here a GridFS upload
stream), one entry at a time, and every entry is itself written piece by piece, so neither the archive nor one
chat's history is ever whole in memory.

What it holds: `account.json` (the account: id, username, its own address, when it was made), one
`chats/<kind>-<id>.json` per chat the user is a member of now ({"Chat", "Messages"}, oldest first), and
`files/<FileId>-<name>` for every file the user uploaded. Other people appear by id and username only: no
other account's address is ever read here.
"""
import json
import zipfile

from ..kernel.clock import iso


def account_json(user):
    """The account as it goes into the export."""
    return {"Id": str(user["_id"]), "Username": user["username"], "Email": user["email"],
            "Verified": bool(user.get("verified")), "CreatedAt": iso(user.get("created_at"))}


def chat_json(chat):
    """A chat's header: its id, kind, name (groups), and members by id and username."""
    header = {"ChatId": chat.id, "Kind": chat.kind,
              "Members": [{"id": m, "username": chat.names.get(m)} for m in chat.members]}
    if chat.is_group:
        header["Name"] = chat.name
    return header


def message_json(message):
    """One message as it goes into the export (placeholders too: Deleted, no content; a thread reply with its
    `ThreadOf` and `ThreadSeq`, and no Seq)."""
    return {"MessageId": message["_id"], "Seq": message.get("seq"),
            **({"ThreadOf": message["thread_of"], "ThreadSeq": message.get("thread_seq")}
               if message.get("thread_of") else {}),
            "Sender": {"id": message.get("sender_id"), "username": message.get("sender_name")},
            "Content": message.get("content", ""), "CreatedAt": iso(message.get("created_at")),
            "EditedAt": iso(message.get("edited_at")), "Deleted": bool(message.get("deleted")),
            "ReplyTo": (message.get("reply_to") or {}).get("id"),
            "Attachments": [{"FileId": a.get("id"), "Name": a.get("name")} for a in message.get("attachments") or ()],
            "Reactions": [{"Emoji": r["emoji"], "UserId": r["user_id"]} for r in message.get("reactions") or ()]}


def safe_name(name):
    """A file name usable as the last part of a zip entry's path."""
    cleaned = "".join("_" if ch in '/\\\0' else ch for ch in (name or "file")).lstrip(".")
    return cleaned[:120] or "file"


class _Sink:
    """A write-only stream for zipfile over one whose `write` returns nothing (GridFS's GridIn): zipfile counts
    the bytes written from what `write` returns."""

    def __init__(self, out):
        self.out = out

    def write(self, data):
        self.out.write(data)
        return len(data)

    def flush(self):
        """Nothing is buffered here."""


def _dump(value):
    return json.dumps(value, ensure_ascii=False).encode()


def write_archive(out, user, chats, messages_of, files):
    """Write the export zip of user into out (a writable stream). chats: the user's chats (`Chat` records);
    messages_of(chat): its messages, oldest first (an iterable read as it goes); files: (file document, reader)
    pairs, a reader's read(n) giving the file's bytes a piece at a time."""
    with zipfile.ZipFile(_Sink(out), "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("account.json", json.dumps(account_json(user), ensure_ascii=False, indent=2))
        for chat in chats:
            with archive.open(f"chats/{chat.kind}-{chat.id.replace(':', '_')}.json", "w",
                              force_zip64=True) as entry:
                entry.write(b'{"Chat": ' + _dump(chat_json(chat)) + b', "Messages": [')
                for index, message in enumerate(messages_of(chat)):
                    entry.write((b",\n" if index else b"\n") + _dump(message_json(message)))
                entry.write(b"\n]}\n")
        for doc, reader in files:
            with archive.open(f"files/{doc['_id']}-{safe_name(doc.get('filename'))}", "w", force_zip64=True) as entry:
                while data := reader.read(256 * 1024):
                    entry.write(data)
