"""The `link_previews` collection: previews by the SHA-256 of their URL, each with `expires_at` (checked in code on
every read; the TTL index only cleans up)."""
from pymongo.errors import PyMongoError

from ..kernel.clock import as_utc, utcnow


class PreviewCache:
    """Cached previews."""

    def __init__(self, db):
        self.previews = db["link_previews"]

    def get(self, key):
        """The cached preview (a dict), or None when there is none or it expired."""
        doc = self.previews.find_one({"_id": key})
        if doc is None or as_utc(doc["expires_at"]) <= utcnow():
            return None
        return doc["preview"]

    def put(self, key, url, preview, expires_at):
        try:
            self.previews.replace_one({"_id": key}, {"url": url, "preview": preview, "expires_at": expires_at},
                                      upsert=True)
        except PyMongoError:
            pass  # a preview that is not cached is fetched again next time
