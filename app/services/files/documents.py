"""PDF documents an officer attaches as evidence: checked by content, kept as sent.

A file is a PDF when it starts like one AND pypdf reads it through: its page
tree and every page's content. Its name is kept only to offer it back as the
download's name; it never reaches a path.
"""
from __future__ import annotations

import io
import unicodedata
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from pypdf import PdfReader

from ..errors import Invalid

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_PAGES = 500
MAGIC = b"%PDF-"
MAX_NAME = 120


@dataclass(frozen=True)
class PreparedDocument:
    data: bytes
    filename: str  # for the download, cleaned; ends in .pdf
    pages: int


def is_pdf(data: bytes) -> bool:
    return data.startswith(MAGIC)


def prepare_document(data: bytes, filename: str | None, field: str = "attachments") -> PreparedDocument:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise Invalid({field: [_l("The document is larger than 10 MB.")]})
    if not is_pdf(data):
        raise Invalid({field: [_l("This is not a PDF document.")]})
    # A PDF cut short (an interrupted download) lacks its end-of-file marker.
    if b"%%EOF" not in data[-2048:]:
        raise _damaged(field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            encrypted = reader.is_encrypted
            if not encrypted:
                pages = len(reader.pages)
                if not 0 < pages <= MAX_PAGES:
                    raise ValueError(f"{pages} pages")
                for page in reader.pages:
                    page.get_contents()  # every page's content streams decode
    except Exception:
        raise _damaged(field) from None
    if encrypted:
        raise Invalid({field: [_l("This PDF is protected by a password or encrypted. "
                                  "Save a copy without protection and attach that.")]})
    return PreparedDocument(data, clean_filename(filename), pages)


def _damaged(field: str) -> Invalid:
    return Invalid({field: [_l("This PDF is damaged or incomplete: it cannot be read. "
                               "It may have at most %(pages)s pages.", pages=MAX_PAGES)]})


def clean_filename(name: str | None) -> str:
    """A name fit for a Content-Disposition header and a page: no folders, no control characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*').strip()
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    return f"{stem.strip(' .')[:MAX_NAME].strip(' .') or 'document'}.pdf"
