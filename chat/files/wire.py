"""How files go out on the wire: the `File` of SPEC v2, with freshly signed URLs.

`{"FileId", "Name", "ContentType", "Size", "Width"?, "Height"?, "Url", "ThumbnailUrl"?}`. URLs are minted each
time a message is shown (to a member: a message is only ever shown to its chat's members), so they never go
stale in a page that was just fetched. The signer (chat/files/urls.py `UrlSigner`, keyed by SECRET_KEY) is passed
in: the app builds one (`Services.file_urls`, chat/services.py) and the transports and the publisher hand it on.
"""
from .urls import FULL, THUMBNAIL, UrlSigner


def file_out(kept, urls: UrlSigner):
    """The `File` of a stored summary ({"id", "name", "type", "size", "width"?, "height"?, "thumb"})."""
    out = {"FileId": kept["id"], "Name": kept["name"], "ContentType": kept["type"], "Size": kept["size"]}
    if "width" in kept:
        out.update(Width=kept["width"], Height=kept["height"])
    out["Url"] = urls.url(kept["id"], FULL)
    if kept.get("thumb"):
        out["ThumbnailUrl"] = urls.url(kept["id"], THUMBNAIL)
    return out


def attachments_out(attached, urls: UrlSigner):
    """`Attachments`: [File] of a message's stored summaries."""
    return [file_out(kept, urls) for kept in attached or ()]
