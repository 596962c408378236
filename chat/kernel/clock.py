"""Time in one place: aware UTC datetimes in, ISO 8601 `...Z` strings out."""
from datetime import datetime, timezone


def utcnow():
    """Now, as an aware UTC datetime truncated to milliseconds (what MongoDB stores)."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(moment):
    """An aware UTC datetime; naive values from a non tz-aware store are taken as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso(moment):
    """`2026-11-22T10:15:30.123Z`, or None."""
    if moment is None:
        return None
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.") + f"{as_utc(moment).microsecond // 1000:03d}Z"
