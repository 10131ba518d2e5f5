"""The printable booklet of approved model cases (WeasyPrint, the certificates' CJK font)."""

from django.template.loader import render_to_string
from django.utils import timezone, translation

from fieldwork.projects.selectors import case_sections, participant_rows

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
