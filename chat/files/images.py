"""Images through Pillow, off the event loop: checked to really be the type their signature says, measured, and
thumbnailed.

Decoding runs in a `Lane` (chat/kernel/concurrency.py): FILE_DECODE_WORKERS real OS threads at once, FILE_DECODE_QUEUE
more uploads waiting, any further one refused at once with 503 `unavailable`; Pillow releases the GIL while it
decodes, so the event loop keeps serving every other request and socket meanwhile. Before anything is decoded,
from the header alone, an image is refused (415) with more than `max_pixels` pixels, or when decoding it would take
more than `max_bytes` of memory: its pixels × Pillow's bytes per pixel for its mode, × 4 for WebP, whose decoder
keeps canvases of its own (measured: about 16 bytes per pixel). Pillow's DecompressionBombWarning is an error.
The thumbnail (longest side at most 320 px) is made without a full-size copy: a JPEG is decoded at a reduced
scale, any other image is first shrunk in one cheap step; it is re-encoded from the pixels, so it carries no
metadata (EXIF, location, comments) of the original; the original is served as uploaded (docs/security.md).
"""
import io
import warnings

from PIL import Image, ImageMode, UnidentifiedImageError

from ..kernel import errors
from ..kernel.concurrency import Busy, Lane
from .kinds import PILLOW_FORMATS, unsupported

THUMBNAIL_SIDE = 320
STEP_SIDE = 4 * THUMBNAIL_SIDE  # the cheap first reduction stops here; the thumbnail's filter works from there
ORIENTATION = 0x0112
T = Image.Transpose  # what each EXIF orientation asks for to show the image upright, as browsers do
TRANSPOSES = {2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE, 6: T.ROTATE_270,
              7: T.TRANSVERSE, 8: T.ROTATE_90}
TURNED = (5, 6, 7, 8)  # the orientations that swap width and height
DECODER_COPIES = {"WEBP": 4}  # libwebp's canvases and the frame's bytes besides the image itself
NO_AVERAGING = ("RGBA", "LA", "PA", "P", "1")  # resampled with a full-size copy first, or not averageable
UNREADABLE = (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
              SyntaxError, ValueError, EOFError)
BUSY = "Too many images are being processed right now; nothing was stored. Try again shortly."

# Process-wide, so that no thread has to change the warning filters (warnings.catch_warnings is not thread-safe).
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def decoding_bytes(image):
    """The memory decoding an opened (not yet loaded) image takes: pixels × bytes per pixel (Pillow keeps an image
    of several bands in 4 bytes per pixel, one band in its own width) × the format's decoder copies."""
    mode = ImageMode.getmode(image.mode)
    per_pixel = 4 if len(mode.bands) > 1 else int(mode.typestr[-1])
    return image.width * image.height * per_pixel * DECODER_COPIES.get(image.format, 1)


class ImageInspector:
    """Measure and thumbnail uploaded images in a bounded pool of threads, within a pixel and a memory budget."""

    def __init__(self, max_pixels, max_bytes, workers=1, waiting=4):
        self.max_pixels, self.max_bytes = max_pixels, max_bytes
        self.lane = Lane(workers, waiting)
        Image.init()  # every format plugin imported now, not by a worker thread (holding import locks) later

    @classmethod
    def from_config(cls, config):
        """The inspector the FILE_MAX_PIXELS, FILE_DECODE_MAX_BYTES, FILE_DECODE_WORKERS and FILE_DECODE_QUEUE
        settings describe."""
        return cls(config["FILE_MAX_PIXELS"], config["FILE_DECODE_MAX_BYTES"], config["FILE_DECODE_WORKERS"],
                   config["FILE_DECODE_QUEUE"])

    def inspect(self, stream, kind):
        """(width, height, thumbnail bytes, thumbnail content type) of an image stream of type kind, decoded off the
        event loop. 415 unsupported_media_type when Pillow cannot decode it as that type, or it has too many
        pixels, or would take too much memory; 503 unavailable when the pool and its queue are full. Leaves the
        stream at its start."""
        try:
            return self.lane.run(self._inspect, stream, kind)
        except Busy:
            raise errors.unavailable(BUSY) from None

    def _inspect(self, stream, kind):
        """inspect, in a worker thread."""
        stream.seek(0)
        try:
            with Image.open(stream, formats=[PILLOW_FORMATS[kind]]) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > self.max_pixels:
                    raise unsupported(f"Images may have at most {self.max_pixels} pixels.")
                if image.format == "JPEG":  # decoded at 1/2 to 1/8 of its size: all a thumbnail needs
                    image.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
                needed = decoding_bytes(image)
                if needed > self.max_bytes:
                    raise unsupported(f"This image would take {needed // 2 ** 20} MiB of memory to decode; at most "
                                      f"{self.max_bytes // 2 ** 20} MiB (send fewer pixels, or a JPEG).")
                turn = image.getexif().get(ORIENTATION, 1)
                image.seek(0)  # the first frame of an animation
                thumbnail, thumb_type = _thumbnail(image, TRANSPOSES.get(turn))
        except UNREADABLE:
            raise unsupported("The image could not be read.") from None
        finally:
            stream.seek(0)
        if turn in TURNED:  # shown turned by a quarter
            width, height = height, width
        return width, height, thumbnail, thumb_type


def _reduced(image):
    """image shrunk in one step so that its longest side is at most STEP_SIDE, never copied whole on the way: a box
    filter, or the nearest pixel for modes whose resampling would first copy the whole image (alpha is averaged
    premultiplied, in a copy) or cannot average (palettes). image itself when it is that small already."""
    factor = max(image.size) / STEP_SIDE
    if factor <= 1:
        return image
    size = (max(1, round(image.width / factor)), max(1, round(image.height / factor)))
    return image.resize(size, Image.Resampling.NEAREST if image.mode in NO_AVERAGING else Image.Resampling.BOX)


def _thumbnail(image, transpose):
    """(thumbnail bytes, content type): the image reduced, turned upright by transpose (from its EXIF orientation),
    scaled to fit 320×320 px, PNG when it has transparency, JPEG otherwise; no metadata."""
    image.load()
    small = _reduced(image)
    if transpose is not None:
        small = small.transpose(transpose)
    has_alpha = small.mode in ("RGBA", "LA", "PA") or (small.mode == "P" and "transparency" in small.info)
    small = small.convert("RGBA" if has_alpha else "RGB")
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    out = io.BytesIO()
    if has_alpha:
        small.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    small.save(out, "JPEG", quality=85)
    return out.getvalue(), "image/jpeg"
