"""Uploaded files: photos (made safe to keep and show) and PDF documents, and where they are stored.

`prepare_upload` checks one upload by its content (never its name or declared
type) and returns what the portal keeps of it; a `FileStore` keeps the bytes.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..errors import Invalid
from .documents import MAX_DOCUMENT_BYTES, PreparedDocument, is_pdf, prepare_document
from .images import MAX_PHOTO_BYTES, NotAPhoto, Position, PreparedPhoto, prepare_photo, read_position
from .store import DirectoryStore, FileStore, sha_of_key

__all__ = [
    "MAX_DOCUMENT_BYTES", "MAX_PHOTO_BYTES", "DirectoryStore", "FileStore", "NotAPhoto", "Position", "Prepared", "PreparedDocument",
    "PreparedPhoto", "Upload", "prepare_document", "prepare_photo", "prepare_upload", "read_position", "sha_of_key",
]


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
