"""The file services on their own (no web): what becomes of odd photos, bombs, positions,
documents' names, and the directory store."""
from __future__ import annotations

import hashlib
import io
import time

import pytest
from PIL import Image

from app.services import files
from app.services.errors import Invalid
from app.services.files import images
from app.services.files.documents import clean_filename
from tests.app import media


def test_a_12_megapixel_photo_is_made_small_quickly():
    original = media.noisy_photo((4000, 3000))

    started = time.perf_counter()
    photo = files.prepare_photo(original)
    seconds = time.perf_counter() - started

    # Upright (orientation 6), decoded at half scale by libjpeg: at most 2048 px, nothing left to resample.
    assert (photo.width, photo.height) == (1500, 2000)
    with Image.open(io.BytesIO(photo.thumbnail)) as thumbnail:
        assert thumbnail.size == (240, 320)
    assert len(photo.data) < len(original) / 4
    assert seconds < 10, f"{seconds:.1f} s for a 12 MP photo"  # 0.2 to 0.4 s here; generous for a busy machine


def test_a_big_jpeg_cut_short_is_refused_though_decoded_at_a_smaller_scale():
    whole = media.noisy_photo((4000, 3000))  # decoded at half scale (libjpeg's draft mode)

    with pytest.raises(Invalid) as refused:
        files.prepare_photo(whole[: len(whole) * 9 // 10])
    assert refused.value.errors == {"photo": ["The photo is damaged or incomplete: it cannot be read in full."]}


@pytest.mark.parametrize(("mode", "color"), [("RGBA", (0, 0, 0, 0)), ("LA", (0, 0)), ("P", None)],
                         ids=["transparent-rgba", "transparent-grey", "palette-with-transparency"])
def test_transparency_becomes_white(mode, color):
    image = Image.new(mode, (30, 20), color)
    buffer = io.BytesIO()
    if mode == "P":
        image.save(buffer, "PNG", transparency=0)
    else:
        image.save(buffer, "PNG")

    kept = files.prepare_photo(buffer.getvalue())

    with Image.open(io.BytesIO(kept.data)) as result:
        assert result.mode == "RGB" and all(channel > 245 for channel in result.getpixel((15, 10)))


@pytest.mark.parametrize(("mode", "image_format"), [("CMYK", "JPEG"), ("L", "JPEG"), ("I;16", "PNG"), ("1", "PNG")])
def test_other_colour_modes_are_kept_as_rgb_jpeg(mode, image_format):
    buffer = io.BytesIO()
    Image.new(mode, (30, 20)).save(buffer, image_format)

    with Image.open(io.BytesIO(files.prepare_photo(buffer.getvalue()).data)) as result:
        assert result.mode == "RGB" and result.size == (30, 20)


def test_a_png_declaring_a_huge_size_is_refused_before_anything_is_decoded():
    # A valid PNG header for 100,000 × 100,000 pixels (ten gigapixels) and almost no data: Pillow's own alarm.
    header = media.png((1, 1))
    bomb = header[:16] + (100_000).to_bytes(4, "big") * 2 + header[24:]
    with pytest.raises(Invalid) as refused:
        files.prepare_photo(_fix_ihdr_crc(bomb))
    assert refused.value.errors == {"photo": ["The photo has too many pixels: at most 50 megapixels."]}


def test_the_truncated_9000_by_9000_png_is_refused_by_decoding_too(monkeypatch):
    # With a pixel limit that would let it through, load() still finds the data cut short.
    monkeypatch.setattr(images, "MAX_PIXELS", 100_000_000)
    with pytest.raises(Invalid) as refused:
        files.prepare_photo(media.truncated_png((9000, 9000)))
    assert refused.value.errors == {"photo": ["The photo is damaged or incomplete: it cannot be read in full."]}


def _fix_ihdr_crc(png: bytes) -> bytes:
    import zlib

    return png[:29] + zlib.crc32(png[12:29]).to_bytes(4, "big") + png[33:]


@pytest.mark.parametrize(("gps", "expected"), [
    ((34.0151, 71.5249), (34.0151, 71.5249)),
    ((-33.8568, -70.6483), (-33.8568, -70.6483)),  # south and west are negative
    ((0.0, 0.0), None),  # what a phone without a fix writes
    (None, None),
], ids=["north-east", "south-west", "no-fix", "no-gps"])
def test_the_position_of_a_photo(gps, expected):
    position = files.read_position(media.phone_jpeg((64, 48), gps=gps))

    if expected is None:
        assert position is None
    else:
        assert (position.latitude, position.longitude) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize(("name", "cleaned"), [
    ("Inspection report.pdf", "Inspection report.pdf"),
    ("../../etc/passwd", "passwd.pdf"),
    ("C:\\Users\\officer\\Desktop\\report.PDF", "report.pdf"),
    ('bad"name\r\n<script>.pdf', "badnamescript.pdf"),
    ("", "document.pdf"),
    ("....pdf", "document.pdf"),
    ("معائنہ رپورٹ.pdf", "معائنہ رپورٹ.pdf"),
    ("x" * 300 + ".pdf", "x" * 120 + ".pdf"),
])
def test_a_documents_name_is_cleaned_for_the_download(name, cleaned):
    assert clean_filename(name) == cleaned


def test_the_directory_store_keys_by_content_and_keeps_to_its_root(tmp_path):
    store = files.DirectoryStore(tmp_path)
    key = store.put(b"evidence", "pdf")

    assert key == store.put(b"evidence", "pdf") and len(list(tmp_path.rglob("*.pdf"))) == 1
    assert files.sha_of_key(key) == hashlib.sha256(b"evidence").hexdigest()
    with store.open(key) as file:
        assert file.read() == b"evidence"
    for bad in ("../outside.pdf", f"{key[:2]}/../../{key[3:]}", "/etc/passwd", key.replace(".pdf", ".exe")):
        with pytest.raises(ValueError):
            store.open(bad)
