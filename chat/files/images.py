"""Images through Pillow: checked to really be the type their signature says, measured, and thumbnailed.

Pillow's decompression-bomb guard is on, and stricter: an image of more than `max_pixels` pixels is refused
from its header, before anything is decoded; Pillow's own DecompressionBombWarning counts as a refusal too.
The thumbnail (longest side at most 320 px) is re-encoded from the pixels, so it carries no metadata (EXIF,
location, comments) of the original; the original is served as uploaded (docs/security.md).
"""
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from .kinds import PILLOW_FORMATS, unsupported

THUMBNAIL_SIDE = 320
ORIENTATION, TURNED = 0x0112, (5, 6, 7, 8)  # the EXIF orientations that swap width and height


def inspect(stream, kind, max_pixels):
    """(width, height, thumbnail bytes, thumbnail content type) of an image stream of type kind; 415
    unsupported_media_type when Pillow cannot decode it as that type or it has too many pixels. Leaves the
    stream at its start."""
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream, formats=[PILLOW_FORMATS[kind]]) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > max_pixels:
                    raise unsupported(f"Images may have at most {max_pixels} pixels.")
                if image.getexif().get(ORIENTATION, 1) in TURNED:  # shown turned by a quarter: as browsers do
                    width, height = height, width
                image.seek(0)  # the first frame of an animation
                thumbnail, thumb_type = _thumbnail(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError, EOFError):
        raise unsupported("The image could not be read.") from None
    finally:
        stream.seek(0)
    return width, height, thumbnail, thumb_type


def _thumbnail(image):
    """(thumbnail bytes, content type): the image turned upright per its EXIF orientation (as browsers show it),
    scaled to fit 320×320 px, PNG when it has transparency, JPEG otherwise; no metadata. A JPEG is decoded at a
    reduced scale (its `draft` mode), so a large photo never costs its full size in memory."""
    if image.format == "JPEG":
        image.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    image.load()
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
    upright = upright.convert("RGBA" if has_alpha else "RGB")
    upright.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    out = io.BytesIO()
    if has_alpha:
        upright.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    upright.save(out, "JPEG", quality=85)
    return out.getvalue(), "image/jpeg"
