"""Photos: decoded in full, turned upright, stripped of every metadata, re-encoded as JPEG.

What a phone writes into a photo (the place it was taken, the phone's make and
serial, the time) is the citizen's, not the portal's: nothing of it is kept.
The GPS position is read from the original only to offer it to the citizen
(`read_position`); it is stored only if they choose to use it as the pin.
"""
from __future__ import annotations

import io
import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import pillow_heif
from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, ImageCms, ImageOps

from ..errors import Invalid

# HEIC/HEIF (iPhones) opens like any other format; it is decoded upright (its own rotation applied).
pillow_heif.register_heif_opener()

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Phones take 12 to 50 megapixels (8160×6120). More than this from a file of at most
# 5 MB is a decompression bomb, refused before a single pixel is decoded.
MAX_PIXELS = 50_000_000
MAX_SIDE = 2048
THUMBNAIL_SIDE = 320
QUALITY = 82
THUMBNAIL_QUALITY = 75
# The plugins Pillow may try: never EPS (Ghostscript), TIFF or the dozens of others.
# A phone's JPEG with a depth map or a preview opens as MPO; only its first picture is kept.
FORMATS = ("JPEG", "PNG", "HEIF")


class NotAPhoto(Invalid):
    """Not an image of a format the portal takes (as opposed to a photo that is damaged or too big)."""


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class PreparedPhoto:
    data: bytes  # JPEG, at most MAX_SIDE on its long side, no metadata
    thumbnail: bytes  # JPEG, at most THUMBNAIL_SIDE
    width: int
    height: int


def prepare_photo(data: bytes, field: str = "photo") -> PreparedPhoto:
    """The photo as the portal keeps it; Invalid when it is not a whole JPEG, PNG or HEIC photo."""
    image = open_photo(data, field)
    try:
        with _quiet():
            if image.format in ("JPEG", "MPO"):
                # libjpeg decodes at 1/2, 1/4 or 1/8 scale for a fraction of the work: the largest
                # scale whose short side stays at least half of MAX_SIDE (a 12 MP photo: 2000×1500,
                # nothing left to resize). The whole file is still read, so a truncated one still fails.
                image.draft(None, (MAX_SIDE // 2, MAX_SIDE // 2))
            image.load()
    except Exception:
        raise Invalid({field: [_l("The photo is damaged or incomplete: it cannot be read in full.")]}) from None
    try:
        if image.mode not in ("RGB", "RGBA", "L", "CMYK"):  # palette, 16-bit...: resampled only as RGB(A)
            image = image.convert("RGBA" if _transparent(image) else "RGB")
        # Smaller first, then upright and in sRGB: turning and colour-converting 3 MP, not 12.
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        ImageOps.exif_transpose(image, in_place=True)
        image = _as_srgb(image)
        thumbnail = image.copy()
        # reducing_gap 1.5 (Pillow's default is 2): a cheap whole-pixel reduction first, then LANCZOS over less;
        # for a 320 px thumbnail the difference cannot be seen, and it takes half the time (18 -> 9 ms for a
        # 1100 px photo, 9.6 -> 6.8 ms for 2000×1500; bench.photos).
        thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS, reducing_gap=1.5)
        return PreparedPhoto(_jpeg(image, QUALITY), _jpeg(thumbnail, THUMBNAIL_QUALITY), image.width, image.height)
    except Exception:
        # Decoded, but in a form this code cannot turn into a JPEG: refused rather than kept as it came.
        raise Invalid({field: [_l("This photo cannot be processed. Save it as a JPEG and try again.")]}) from None


def read_position(data: bytes, field: str = "photo") -> Position | None:
    """Where the photo was taken, from its EXIF GPS, or None. Reads the header only."""
    return _position_of(open_photo(data, field, whole=False))


def open_photo(data: bytes, field: str = "photo", *, whole: bool = True) -> Image.Image:
    """The photo opened (its header read, nothing decoded), after the checks that cost nothing.

    `whole=False`: `data` may be only the start of the file (enough for its header and EXIF).
    """
    if not data:
        raise Invalid({field: [_l("The photo is empty.")]})
    try:
        with _quiet():
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(field) from None
    except Exception:
        raise NotAPhoto({field: [_l("This is not a JPEG, PNG or HEIC photo.")]}) from None
    if whole and len(data) > MAX_PHOTO_BYTES:
        raise Invalid({field: [_l("The photo is larger than 5 MB.")]})
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels(field)
    return image


def _too_many_pixels(field: str) -> Invalid:
    return Invalid({field: [_l("The photo has too many pixels: at most %(megapixels)s megapixels.",
                               megapixels=MAX_PIXELS // 1_000_000)]})


@contextmanager
def _quiet():
    """Pillow's warnings about odd but readable files are not the citizen's problem; a bomb is."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _as_srgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB: transparency onto white, an embedded colour profile applied, then dropped."""
    if _transparent(image):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "CMYK", "L"):
        try:
            return ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(profile)), ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
        except Exception:
            pass  # a broken profile: the colours as they are
    return image if image.mode == "RGB" else image.convert("RGB")


def _transparent(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    # Pillow writes a comment or XMP it finds in `info` unless told otherwise: keep none.
    image.info.clear()
    buffer = io.BytesIO()
    # Baseline, with optimised Huffman tables: progressive encoding took more than twice as long (60 against
    # 27 ms for a 12 MP phone photo scaled to 2000×1500, a fifth of the whole preparation) for a file no
    # smaller (259 against 255 KB). Pages show the 320 px thumbnail first; the photo itself is opened on demand.
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _position_of(image: Image.Image) -> Position | None:
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        latitude = _degrees(gps[ExifTags.GPS.GPSLatitude], gps[ExifTags.GPS.GPSLatitudeRef], "S")
        longitude = _degrees(gps[ExifTags.GPS.GPSLongitude], gps[ExifTags.GPS.GPSLongitudeRef], "W")
    except Exception:
        return None  # no GPS, or not readable: nothing to offer
    if not (abs(latitude) <= 90 and abs(longitude) <= 180) or (latitude == 0 and longitude == 0):
        return None  # (0, 0) is what a phone without a fix writes
    return Position(round(latitude, 6), round(longitude, 6))


def _degrees(value, ref, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    decimal = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(decimal):
        raise ValueError("not a position")
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return -decimal if str(ref).strip().upper() == negative else decimal
