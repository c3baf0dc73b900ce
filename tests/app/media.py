"""Real files for the upload tests, made here: a phone's JPEG (rotated, with GPS and the phone's
details), an iPhone's HEIC, a truncated PNG, PDFs whole, encrypted and broken."""
from __future__ import annotations

import functools
import io

import pillow_heif
from PIL import Image
from pypdf import PdfWriter

PESHAWAR = (34.0151, 71.5249)  # Qissa Khwani Bazaar
RED, BLUE = (220, 30, 30), (30, 30, 220)
ORIENTATION, MAKE, MODEL, GPS_IFD = 0x0112, 0x010F, 0x0110, 0x8825


def dms(value: float) -> tuple[float, float, float]:
    degrees = int(abs(value))
    minutes = int((abs(value) - degrees) * 60)
    return float(degrees), float(minutes), round((abs(value) - degrees - minutes / 60) * 3600, 4)


def phone_exif(*, orientation: int | None = 6, gps: tuple[float, float] | None = PESHAWAR) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = "Citizen Phone Co.", "Model 12 Pro"
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        latitude, longitude = gps
        exif[GPS_IFD] = {1: "N" if latitude >= 0 else "S", 2: dms(latitude),
                         3: "E" if longitude >= 0 else "W", 4: dms(longitude)}
    return exif


def two_tone(size: tuple[int, int]) -> Image.Image:
    """Top half red, bottom half blue, as the sensor saw it: a phone held sideways."""
    width, height = size
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, width, height // 2))
    return image


def phone_jpeg(size=(2600, 1950), *, orientation: int | None = 6, gps=PESHAWAR, icc: bool = True) -> bytes:
    """A photo as a phone writes it: EXIF with the phone's make and model, GPS and an orientation
    tag (6: to be turned 90° clockwise), an ICC profile, XMP and a comment."""
    buffer = io.BytesIO()
    two_tone(size).save(buffer, "JPEG", quality=90, exif=phone_exif(orientation=orientation, gps=gps).tobytes(),
                        icc_profile=_srgb_profile() if icc else None, comment=b"taken by Gul Rehman",
                        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description Owner="Gul Rehman"/></x:xmpmeta>')
    return buffer.getvalue()


def heic(size=(1200, 900), *, gps=PESHAWAR) -> bytes:
    """An iPhone's HEIC (pillow-heif's own encoder), with GPS in its EXIF."""
    buffer = io.BytesIO()
    two_tone(size).save(buffer, format="HEIF", quality=80, exif=phone_exif(orientation=None, gps=gps).tobytes())
    return buffer.getvalue()


@functools.cache
def noisy_photo(size=(4000, 3000), *, quality=90) -> bytes:
    """12 megapixels of noisy gradient: about as hard to compress as a street scene."""
    width, height = size
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 24)
    channels = [Image.blend(gradient, noise, 0.35),
                Image.blend(gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise, 0.35),
                Image.blend(gradient.transpose(Image.Transpose.FLIP_TOP_BOTTOM), noise.rotate(180), 0.35)]
    buffer = io.BytesIO()
    Image.merge("RGB", channels).save(buffer, "JPEG", quality=quality, exif=phone_exif().tobytes())
    return buffer.getvalue()


def png(size=(64, 48), color=(0, 128, 0, 128)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, color).save(buffer, "PNG")
    return buffer.getvalue()


@functools.cache
def truncated_png(size=(9000, 9000)) -> bytes:
    """A PNG whose header declares `size` and whose pixel data stops halfway."""
    buffer = io.BytesIO()
    two_tone(size).save(buffer, "PNG")
    data = buffer.getvalue()
    return data[: len(data) // 2]


def pdf(pages: int = 2) -> bytes:
    """A real PDF (Pillow's PDF writer): a scanned report of `pages` pages."""
    images = [Image.new("RGB", (595, 842), (255, 255, 255 - 40 * n)) for n in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], title="Inspection report")
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf(1)))
    writer.encrypt("secret-password")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def broken_pdf() -> bytes:
    """Starts and ends like a PDF, but its insides are gone."""
    return b"%PDF-1.7\n" + b"this is no longer a document\n" * 40 + b"%%EOF\n"


def exif_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif())


def _srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


pillow_heif.register_heif_opener()
assert pillow_heif.libheif_info()["HEIF"], "this pillow-heif wheel cannot encode HEIC"
