"""The `reports` collection: one document per reported message, gathering its reporters.

A report: {"_id", "message_id" (unique), "chat_id", "kind" ("group" | "personal"), "reported_id" (the author),
"reporters": [{"user_id", "reason", "note", "at", "entry"}], "reasons": {reason: count}, "count", "status" ("open",
"dismissed", "deleted", "kicked"), "created_at", "updated_at", "resolved_by"?}. Reporter ids never leave this
collection: the wire (chat/moderation/report_routes.py) shows counts and reasons only.
"""
from bson import ObjectId
from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

OPEN = "open"
ADD_ATTEMPTS = 5  # a first report racing others: the losers of the upsert join the document the winner made


class ReportRepository:
    """Reports, per message."""

    def __init__(self, db):
        self.reports = db["reports"]

    def add(self, message, chat_kind, reporter_id, reason, note, now):
        """Add reporter_id's report of message, in one update (the first report creates the document, and
        reopens a resolved one). The report after, or None when reporter_id reported this message already."""
        # `entry` marks this call's write: a write the driver retried (or the store re-ran) after it had landed
        # is this report, not a second one.
        entry = {"user_id": reporter_id, "reason": reason, "note": note, "at": now, "entry": str(ObjectId())}
        query = {"message_id": message["_id"], "reporters.user_id": {"$ne": reporter_id}}
        change = {"$push": {"reporters": entry}, "$inc": {f"reasons.{reason}": 1, "count": 1},
                  "$set": {"status": OPEN, "updated_at": now}}
        first = {"$setOnInsert": {"_id": str(ObjectId()), "chat_id": message["chat_id"], "kind": chat_kind,
                                  "reported_id": message["sender_id"], "created_at": now}}
        for _ in range(ADD_ATTEMPTS):
            try:
                report = self.reports.find_one_and_update(query, {**change, **first}, upsert=True,
                                                          return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:
                # The document exists: it names the reporter already, or another first report made it meanwhile
                # (the upsert lost that race) and this one joins it.
                report = self.reports.find_one_and_update(query, change, return_document=ReturnDocument.AFTER)
            if report is not None:
                return report
            # Neither matched (the local store answers a racing upsert with no document at times): this call's
            # report is stored already (its `entry`), another one of the reporter's is (None), or try again.
            existing = self.reports.find_one({"message_id": message["_id"], "reporters.user_id": reporter_id})
            if existing is not None:
                mine = any(r.get("entry") == entry["entry"] for r in existing["reporters"])
                return existing if mine else None
        raise RuntimeError(f"the report of {message['_id']} could not be stored")

    def get(self, report_id):
        return self.reports.find_one({"_id": report_id}) if isinstance(report_id, str) else None

    def open_in(self, query):
        """The open reports matching query, most recently reported first."""
        return list(self.reports.find({**query, "status": OPEN}).sort("updated_at", DESCENDING).limit(200))

    def resolve(self, report_id, status, by, now):
        """Close an open report with status; True when it was open."""
        result = self.reports.update_one({"_id": report_id, "status": OPEN},
                                         {"$set": {"status": status, "resolved_by": by, "updated_at": now}})
        return result.modified_count == 1
