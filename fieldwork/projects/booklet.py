"""The printable booklet of approved model cases (WeasyPrint, the certificates' CJK font)."""

import hashlib
import json
from dataclasses import asdict

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from fieldwork.projects.selectors import (
    LibraryFilters,
    case_sections,
    clean_library_filters,
    library_cases,
    library_stamp,
    participant_rows,
)

BOOKLET_DIR = "booklets"
MAX_CASES = 200

_font_config = None


def _fonts():
    # One font configuration per process keeps memory flat (see the field notes).
    global _font_config
    if _font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _font_config = FontConfiguration()
    return _font_config


def refusing_fetcher():
    """A URL fetcher that fetches nothing: user text cannot make the server reach out."""
    from weasyprint.urls import URLFetcher

    class RefuseEveryURL(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"Fetching {url!r} is not allowed while rendering the booklet.")

    return RefuseEveryURL()


def render_booklet(*, cases) -> bytes:
    """Render the given approved cases as one PDF; user text is escaped by the template."""
    from weasyprint import HTML

    entries = [
        {"case": case, "sections": case_sections(case), "rows": participant_rows(case.results or {})} for case in cases
    ]
    html = render_to_string(
        "projects/booklet.html",
        {"entries": entries, "generated_at": timezone.localtime(), "LANGUAGE_CODE": translation.get_language()},
    )
    return HTML(string=html, url_fetcher=refusing_fetcher(), base_url="about:blank").write_pdf(font_config=_fonts())


def booklet_name(*, filters: LibraryFilters, language: str) -> str:
    """The storage name of the booklet for these filters as the library stands now: any change to the
    library (a case approved or edited) gives a new name, so a stored booklet is never stale."""
    raw = json.dumps([asdict(filters), language, library_stamp()], sort_keys=True, default=str)
    return f"{BOOKLET_DIR}/{hashlib.sha256(raw.encode()).hexdigest()[:40]}.pdf"


def booklet_build(*, params: dict, language: str) -> str:
    """Render and store the booklet for the library's GET parameters, unless it is stored already.
    Runs in a worker; safe to run twice. Returns the storage name."""
    filters = clean_library_filters(**params)
    with translation.override(language):
        name = booklet_name(filters=filters, language=language)
        if default_storage.exists(name):
            return name
        pdf = render_booklet(cases=list(library_cases(filters=filters)[:MAX_CASES]))
    saved = default_storage.save(name, ContentFile(pdf))
    if saved != name:  # another worker stored the same booklet meanwhile: keep one copy
        default_storage.delete(saved)
    return name
