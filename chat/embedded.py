"""The embedded store: mongomock, with lookups by `_id` made direct.

mongomock answers every query by scanning the whole collection, so a store that grows makes every
call slower. The application's hot paths are all `_id` lookups (messages are keyed `<chat>:<seq>`,
read state `<chat>:<user>`, idempotency keys and chat pairs by their natural key), so this module
teaches mongomock to fetch the named documents directly when a filter pins `_id` to a value or an
`$in` list, and to check the rest of the filter on those alone. The answer is the same as a scan's;
only the cost changes. Other filters still scan, as before.
"""
import mongomock
from mongomock.filtering import filter_applies

_scan = mongomock.Collection._iter_documents


def _pinned_ids(query):
    """The _id values a filter pins (scalar, $eq or $in), or None when it does not pin any."""
    if not isinstance(query, dict) or "_id" not in query:
        return None
    value = query["_id"]
    if isinstance(value, dict):
        if set(value) == {"$in"} and isinstance(value["$in"], (list, tuple)):
            return list(value["$in"])
        if set(value) == {"$eq"}:
            return [value["$eq"]]
        return None
    return [value]


def _iter_documents(collection, query):
    ids = _pinned_ids(query)
    if ids is None or not all(_hashable(key) for key in ids):
        return _scan(collection, query)
    store = collection._store
    found = [store[key] for key in dict.fromkeys(ids) if key in store]
    return (document for document in found if filter_applies(query, document))


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def install():
    """Patch mongomock (idempotent, process-wide; it changes no answer, only how it is found)."""
    mongomock.Collection._iter_documents = _iter_documents


def client():
    """A new in-memory client (tz-aware, like the MongoDB one)."""
    install()
    return mongomock.MongoClient(tz_aware=True)
