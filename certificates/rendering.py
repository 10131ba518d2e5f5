"""Certificate PDFs with WeasyPrint: A4 landscape, an explicitly named CJK font, an SVG QR code.

One FontConfiguration and the pre-parsed base CSS are reused for the life of the process: a fresh
font configuration per render let a worker grow past 700 MB within 20 certificates. Rendering never
touches the network nor any file but the fonts and the template's own assets: WeasyPrint's URL
fetcher is replaced by one that refuses everything else. User text is HTML-escaped.
"""

import atexit
import functools
import gc
import hashlib
import html
import logging
import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings

from lms.qr import qr_svg

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
DEFAULT_HTML = (ASSETS_DIR / "default.html").read_text(encoding="utf-8")
DEFAULT_CSS = (ASSETS_DIR / "default.css").read_text(encoding="utf-8")
PLACEHOLDERS = (
    "trainee_name",
    "course_title",
    "cohort_name",
    "issuing_body",
    "issued_on",
    "serial",
    "code",
    "verify_url",
    "qr_svg",
)
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


class RenderError(Exception):
    """The template could not be rendered: a permanent failure, not worth retrying."""


class TooManyPages(RenderError):
    def __init__(self, pages: int, limit: int):
        self.pages, self.limit = pages, limit
        super().__init__(f"The certificate has {pages} pages; at most {limit} is allowed.")


def font_dir() -> Path:
    return Path(getattr(settings, "CERTIFICATES_FONT_DIR", "/usr/share/fonts/opentype/noto"))


def font_files() -> dict[str, Path]:
    directory = font_dir()
    return {
        "serif": directory / "NotoSerifCJK-Regular.ttc",
        "serif-bold": directory / "NotoSerifCJK-Bold.ttc",
        "sans": directory / "NotoSansCJK-Regular.ttc",
    }


def base_css_text() -> str:
    """Page size and the CJK faces, named explicitly: never a generic fallback."""
    faces = font_files()
    return f"""
@page {{ size: A4 landscape; margin: 0; }}
@font-face {{ font-family: "Certificate Serif"; font-weight: normal;
  src: local("Noto Serif CJK SC"), url("{faces["serif"].as_uri()}"); }}
@font-face {{ font-family: "Certificate Serif"; font-weight: bold;
  src: local("Noto Serif CJK SC Bold"), url("{faces["serif-bold"].as_uri()}"); }}
@font-face {{ font-family: "Certificate Sans";
  src: local("Noto Sans CJK SC"), url("{faces["sans"].as_uri()}"); }}
html {{ font-family: "Certificate Serif", "Noto Serif CJK SC"; }}
"""


def harfbuzz_subset_available() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (its own test: the library and version >= 4.1)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def check_environment() -> list[str]:
    """Problems that make certificates slow or wrong; logged as errors when a worker starts."""
    problems = []
    if not harfbuzz_subset_available():
        problems.append(
            "HarfBuzz subsetting (libharfbuzz-subset0) is unavailable: WeasyPrint would fall back to a "
            "pure-Python subsetter about 50x slower. Install libharfbuzz-subset0 (bin/setup does)."
        )
    for path in font_files().values():
        if not path.exists():
            problems.append(f"CJK font file missing: {path} (install fonts-noto-cjk).")
    return problems


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class AssetsOnlyFetcher(URLFetcher):
        """Serve the CJK fonts and files inside the template's assets folder; refuse all else."""

        def __init__(self):
            super().__init__(allowed_protocols={"file"}, allow_redirects=False, timeout=1)
            self.refused: list[str] = []
            self._fonts = {p.resolve() for p in font_files().values()}

        def fetch(self, url, headers=None):
            from weasyprint.urls import URLFetcherResponse

            parts = urlsplit(url)
            if parts.scheme == "file" and not parts.netloc:
                path = Path(unquote(parts.path)).resolve()
                if path in self._fonts or (path.is_relative_to(ASSETS_DIR) and path.is_file()):
                    return URLFetcherResponse(path.as_uri(), path.read_bytes())
            self.refused.append(url)
            logger.warning("Certificate rendering refused to fetch %s", url[:200])
            raise ValueError("Only the template's own assets may be loaded.")

    return AssetsOnlyFetcher


@dataclass
class _Renderer:
    font_config: object
    base_css: object
    fetcher_class: type


_local = threading.local()


def _renderer() -> _Renderer:
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fetcher_class = _fetcher_class()
        font_config = FontConfiguration()
        base_css = CSS(string=base_css_text(), font_config=font_config, url_fetcher=fetcher_class())
        renderer = _Renderer(font_config=font_config, base_css=base_css, fetcher_class=fetcher_class)
        _local.renderer = renderer
        # Drop it before interpreter teardown, when WeasyPrint's __del__ can no longer call into C.
        atexit.register(_local.__dict__.pop, "renderer", None)
    return renderer


@functools.lru_cache(maxsize=16)
def _template_css(css_text: str, _thread_id: int):
    from weasyprint import CSS

    renderer = _renderer()
    return CSS(
        string=css_text,
        base_url=ASSETS_DIR.as_uri() + "/",
        font_config=renderer.font_config,
        url_fetcher=renderer.fetcher_class(),
    )


def fill(template_html: str, values: dict[str, str]) -> str:
    """Replace {{ placeholder }} with its HTML-escaped value; the QR SVG is the one trusted value."""

    def replace(match):
        name = match.group(1)
        if name == "qr_svg":
            return values.get("qr_svg", "")
        return html.escape(str(values.get(name, "")), quote=True) if name in PLACEHOLDERS else ""

    return _PLACEHOLDER.sub(replace, template_html)


def verify_url(code: str) -> str:
    base = getattr(settings, "LMS_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/verify/{code}/"


def certificate_values(
    *, trainee_name, course_title, cohort_name, issuing_body, issued_on: date, serial, code
) -> dict[str, str]:
    url = verify_url(code)
    return {
        "trainee_name": trainee_name,
        "course_title": course_title,
        "cohort_name": cohort_name,
        "issuing_body": issuing_body,
        "issued_on": f"{issued_on.year}年{issued_on.month}月{issued_on.day}日",
        "serial": serial,
        "code": code,
        "verify_url": url,
        "qr_svg": qr_svg(url),
    }


SAMPLE = {
    "trainee_name": "刘䶮",
    "cohort_name": "南海区2022年社区规划师培育班",
    "issuing_body": "佛山市南海区民政局",
    "issued_on": date(2022, 12, 31),
    "serial": "NH-2022-0001",
    "code": "7K3M-Q9TX-2HDW-8RVB",
}


def render_pdf(
    *, template_html: str, css: str, values: dict[str, str], max_pages: int | None = None
) -> tuple[bytes, list[str]]:
    """The PDF bytes and the URLs the template asked for but was refused. Raises RenderError.

    With `max_pages`, a layout longer than that is refused before any PDF is written.
    """
    from weasyprint import HTML

    renderer = _renderer()
    fetcher = renderer.fetcher_class()
    try:
        stylesheets = [renderer.base_css]
        if css.strip():
            stylesheets.append(_template_css(css, threading.get_ident()))
        document = HTML(string=fill(template_html, values), base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=fetcher)
        laid_out = document.render(stylesheets=stylesheets, font_config=renderer.font_config)
        if max_pages is not None and len(laid_out.pages) > max_pages:
            raise TooManyPages(len(laid_out.pages), max_pages)
        pdf = laid_out.write_pdf()
    except RenderError:
        raise
    except Exception as error:  # WeasyPrint raises many kinds on a broken template
        raise RenderError(f"{type(error).__name__}: {error}") from error
    finally:
        # The layout tree is cyclic: collect now rather than let a worker's memory saw upward.
        gc.collect(generation=1)
    return pdf, fetcher.refused


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def warm_up() -> None:
    """Load WeasyPrint, the fonts and the base CSS once, so the first certificate is not slow."""
    render_pdf(template_html="<p>{{ trainee_name }}</p>", css="", values={"trainee_name": "预热"})
