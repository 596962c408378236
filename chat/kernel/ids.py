"""Ids: strings on the wire, ObjectIds for users and messages in the store."""
from bson import ObjectId
from bson.errors import InvalidId


def to_object_id(value):
    """The ObjectId for a string id, or None when it is not one (so a bad id finds nothing)."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None
