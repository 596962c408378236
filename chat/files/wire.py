"""How files go out on the wire: the `File` of SPEC v2, with freshly signed URLs.

`{"FileId", "Name", "ContentType", "Size", "Width"?, "Height"?, "Url", "ThumbnailUrl"?}`. URLs are minted each
time a message is shown (to a member: a message is only ever shown to its chat's members), so they never go
stale in a page that was just fetched. Needs the app (for the signing key): transports call it.
"""
from flask import current_app

from .urls import FULL, THUMBNAIL


def signer():
    """The app's UrlSigner (chat/files/routes.py `init_app` puts it there)."""
    return current_app.extensions["chat.file_urls"]


def file_out(kept):
    """The `File` of a stored summary ({"id", "name", "type", "size", "width"?, "height"?, "thumb"})."""
    urls = signer()
    out = {"FileId": kept["id"], "Name": kept["name"], "ContentType": kept["type"], "Size": kept["size"]}
    if "width" in kept:
        out.update(Width=kept["width"], Height=kept["height"])
    out["Url"] = urls.url(kept["id"], FULL)
    if kept.get("thumb"):
        out["ThumbnailUrl"] = urls.url(kept["id"], THUMBNAIL)
    return out


def attachments_out(attached):
    """`Attachments`: [File] of a message's stored summaries."""
    return [file_out(kept) for kept in attached or ()]
