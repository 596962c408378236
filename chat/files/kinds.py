"""What an upload is, decided from its bytes alone (never from the client's Content-Type or file name).

Allowed: PNG, JPEG, GIF, WebP (images), PDF, and plain UTF-8 text. Text that starts like markup (HTML, SVG,
XML) is refused: it is exactly what a file claiming to be something else would hold to run in a browser.
"""
import codecs
import re

from ..kernel import errors

CHUNK_SIZE = 255 * 1024  # what a file is stored (and streamed) in: GridFS's default chunk

PNG, JPEG, GIF, WEBP, PDF, TEXT = "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"
IMAGES = frozenset({PNG, JPEG, GIF, WEBP})
# Pillow's format name for each image type: the decoder must agree with the signature.
PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}
HEAD_BYTES = 512
BLOCK = 64 * 1024
# Control characters plain text does not hold (tab, line feed, form feed and carriage return are fine).
CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
MARKUP = re.compile(rb"^\s*<(?:!doctype|html|head|body|script|svg|\?xml|iframe|object|embed|meta|link|style|a\s)",
                    re.IGNORECASE)


def unsupported(message="Allowed: PNG, JPEG, GIF, WebP, PDF and plain text."):
    return errors.ApiError("unsupported_media_type", message, 415)


def signature(head):
    """The type the first bytes announce, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def is_plain_text(stream):
    """Whether the whole stream is UTF-8 text without control characters (read in blocks, never all at once)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := stream.read(BLOCK):
            if CONTROLS.search(decoder.decode(block)):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff(stream):
    """The content type of a seekable stream, from its bytes; 415 unsupported_media_type for anything not
    allowed (or empty). Leaves the stream at its start."""
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    if not head:
        raise unsupported("The file is empty.")
    kind = signature(head)
    if kind is None:
        if MARKUP.match(head.lstrip(b"\xef\xbb\xbf")):
            raise unsupported("HTML, SVG and XML are not accepted.")
        plain = is_plain_text(stream)
        stream.seek(0)
        if not plain:
            raise unsupported()
        kind = TEXT
    return kind
