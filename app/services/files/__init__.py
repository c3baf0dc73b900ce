"""Uploaded files: photos (made safe to keep and show) and PDF documents, and where they are stored.

`prepare_upload` checks one upload by its content (never its name or declared
type) and returns what the portal keeps of it; a `FileStore` keeps the bytes:
a directory (`DirectoryStore`) or S3-compatible object storage (`ObjectStore`),
as FILE_STORAGE says (`store_from_settings`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from ..errors import Invalid
from .documents import MAX_DOCUMENT_BYTES, PreparedDocument, is_pdf, prepare_document
from .images import MAX_PHOTO_BYTES, NotAPhoto, Position, PreparedPhoto, prepare_photo, read_position
from .object_store import ObjectStore, S3Settings
from .store import DirectoryStore, FileStore, MissingObject, StoredObject, extension_of_key, key_for, sha_of_key

__all__ = [
    "MAX_DOCUMENT_BYTES", "MAX_PHOTO_BYTES", "STORAGE_BACKENDS", "DirectoryStore", "FileStore", "MissingObject",
    "NotAPhoto", "ObjectStore", "Position", "Prepared", "PreparedDocument", "PreparedPhoto", "S3Settings", "StoredObject",
    "Upload", "extension_of_key", "key_for", "prepare_document", "prepare_photo", "prepare_upload", "read_position",
    "sha_of_key", "store_from_settings",
]

STORAGE_BACKENDS = ("directory", "s3")


@dataclass(frozen=True)
class Upload:
    """A file as it came: the form field it came in, the name the sender gave it, its bytes."""

    field: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class Prepared:
    """What is kept of an upload, ready to store."""

    kind: str  # "photo" or "document"
    content_type: str
    extension: str
    data: bytes
    thumbnail: bytes | None = None
    filename: str | None = None  # documents: the name offered for the download


def prepare_upload(upload: Upload, *, documents: bool) -> Prepared:
    """A photo, or (when `documents`) a PDF document; Invalid under the upload's field otherwise.

    The content decides what a file is. Its name is never trusted to accept anything, but a
    file named as a PDF that is not one (a renamed photo, a document saved wrongly) is refused:
    whoever sent it meant a document, and it is not that.
    """
    if upload.filename.lower().endswith(".pdf") and not is_pdf(upload.data):
        raise Invalid({upload.field: [_l("This is not a PDF document, although its name ends in .pdf.")]})
    if is_pdf(upload.data):
        if not documents:
            raise Invalid({upload.field: [_l("Only photos can be attached here (JPEG, PNG or HEIC).")]})
        document = prepare_document(upload.data, upload.filename, upload.field)
        return Prepared("document", "application/pdf", "pdf", document.data, filename=document.filename)
    try:
        photo = prepare_photo(upload.data, upload.field)
    except NotAPhoto:
        if not documents:
            raise
        raise Invalid({upload.field: [_l("This is neither a photo (JPEG, PNG or HEIC) nor a PDF document.")]}) from None
    return Prepared("photo", "image/jpeg", "jpg", photo.data, thumbnail=photo.thumbnail)


def store_from_settings(settings: Mapping[str, Any]) -> FileStore:
    """The store FILE_STORAGE names: "directory" (UPLOAD_DIR) or "s3" (S3_BUCKET and the S3_* settings)."""
    backend = settings.get("FILE_STORAGE") or "directory"
    if backend == "directory":
        return DirectoryStore(Path(settings["UPLOAD_DIR"]))
    if backend == "s3":
        return ObjectStore(S3Settings.from_settings(settings))
    raise ValueError(f"FILE_STORAGE must be one of {', '.join(STORAGE_BACKENDS)}, not {backend!r}")
