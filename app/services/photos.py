"""Photos: checked by content, stored outside the web root, named by their hash."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .errors import Invalid

MAX_PHOTO_BYTES = 5 * 1024 * 1024
ALLOWED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


@dataclass(frozen=True)
class StoredPhoto:
    content_type: str
    size: int
    sha256: str
    storage_key: str


@dataclass(frozen=True)
class PhotoStore:
    root: Path

    def save(self, data: bytes, field: str = "photo") -> StoredPhoto:
        content_type, extension = check_photo(data, field)
        sha = hashlib.sha256(data).hexdigest()
        key = f"{sha[:2]}/{sha}.{extension}"
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # never leave half a photo under its final name
        return StoredPhoto(content_type, len(data), sha, key)

    def path_of(self, storage_key: str) -> Path:
        path = (self.root / storage_key).resolve()
        if self.root.resolve() not in path.parents:
            raise Invalid({"photo": [_l("bad storage key")]})
        return path


def check_photo(data: bytes, field: str = "photo") -> tuple[str, str]:
    """JPEG or PNG by content (not by name or declared type), at most 5 MB."""
    if len(data) > MAX_PHOTO_BYTES:
        raise Invalid({field: [_l("The photo is larger than 5 MB.")]})
    if not data:
        raise Invalid({field: [_l("The photo is empty.")]})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format
                image.verify()
    except Exception:
        raise Invalid({field: [_l("This is not a JPEG or PNG photo.")]}) from None
    if image_format not in ALLOWED:
        raise Invalid({field: [_l("Only JPEG and PNG photos are accepted.")]})
    return ALLOWED[image_format]
