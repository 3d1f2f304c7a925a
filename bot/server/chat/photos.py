"""A customer's photo made safe to keep and show: a real image of an allowed type, re-encoded.

Re-encoding with Pillow drops everything but the pixels (EXIF with the phone's GPS position,
comments, trailing bytes a browser might sniff as HTML) and turns the camera's orientation
tag into the pixels' own, so staff see the photo the right way up.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.core.errors import PayloadError

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
LONGEST_SIDE = 2048  # enough to read a label on a parcel; a 12-megapixel original is not kept


@dataclass(frozen=True, slots=True)
class Photo:
    """The re-encoded photo and what staff and the widget need to know about it."""

    data: bytes
    mime_type: str
    width: int
    height: int
    sha256: str


def clean_photo(data: bytes, allowed: tuple[str, ...], max_pixels: int) -> Photo:
    """The photo in `data`, re-encoded; PayloadError says why it is refused."""
    try:
        with warnings.catch_warnings():
            # Pillow warns before it refuses a decompression bomb: the size check below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            kind = FORMATS.get(image.format or "")
            if kind is None or kind not in allowed:
                names = ", ".join(value.removeprefix("image/") for value in allowed)
                raise PayloadError(f"only photos are accepted ({names})")
            if image.width * image.height > max_pixels:
                raise PayloadError(f"the photo has more than {max_pixels} pixels")
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PayloadError("the file is not a readable photo") from None
    image = ImageOps.exif_transpose(image) or image
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    out = io.BytesIO()
    if kind == "image/jpeg":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif kind == "image/gif":
        image.save(out, "GIF")  # the first frame only: a photo, not an animation
    elif kind == "image/webp":
        image.save(out, "WEBP", quality=85)
    else:
        image.save(out, "PNG", optimize=True)
    encoded = out.getvalue()
    return Photo(encoded, kind, image.width, image.height, hashlib.sha256(encoded).hexdigest())
