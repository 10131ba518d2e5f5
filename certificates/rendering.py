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
from datetime import UTC, date, datetime, time
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

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
    "issuer_short_name",
    "issued_on",
    "serial",
    "code",
    "verify_url",
    "qr_svg",
    "signature_line",
    "seal",
)
TRUSTED = ("qr_svg", "seal")  # markup made by this code (an SVG, an inline image), inserted unescaped
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
.lms-seal {{ position: fixed; right: 70mm; bottom: 18mm; width: 40mm; height: 40mm; }}
.lms-seal img, img.seal-image {{ width: 40mm; height: 40mm; opacity: .88; }}
.lms-specimen {{ position: fixed; left: 0; right: 0; top: 85mm; text-align: center; font-family: "Certificate Sans";
  font-size: 40pt; color: rgba(200, 16, 30, .35); transform: rotate(-18deg); }}
.lms-signature-line {{ position: fixed; left: 0; right: 0; bottom: 4.5mm; margin: 0; text-align: center;
  font-family: "Certificate Sans"; font-size: 7pt; color: #5f6b64; }}
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
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=1)
            self.refused: list[str] = []
            self._fonts = {p.resolve() for p in font_files().values()}

        def fetch(self, url, headers=None):
            from weasyprint.urls import URLFetcherResponse

            parts = urlsplit(url)
            if url.startswith(("data:image/png;base64,", "data:image/jpeg;base64,")):
                return super().fetch(url)  # an inline image (the seal): no file, no network
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
        if name in TRUSTED:
            return values.get(name, "")
        return html.escape(str(values.get(name, "")), quote=True) if name in PLACEHOLDERS else ""

    filled = _PLACEHOLDER.sub(replace, template_html)
    extra = ""
    if values.get("seal") and not _placeholder_named("seal").search(template_html):
        # A template without a place for the seal still carries it, over the issuer's line.
        extra += f'<div class="lms-seal">{values["seal"]}</div>'
    if values.get("specimen"):
        extra += f'<p class="lms-specimen">{html.escape(values["specimen"])}</p>'
    if extra:
        at = filled.lower().rfind("</body>")
        filled = filled[:at] + extra + filled[at:] if at >= 0 else filled + extra
    line = values.get("signature_line")
    if line and not _placeholder_named("signature_line").search(template_html):
        # A template saved before signing existed still says, at the foot of the page, who signed it.
        paragraph = f'<p class="lms-signature-line">{html.escape(line)}</p>'
        at = filled.lower().rfind("</body>")
        filled = filled[:at] + paragraph + filled[at:] if at >= 0 else filled + paragraph
    return filled


def _placeholder_named(name: str) -> re.Pattern:
    return re.compile(r"\{\{\s*" + name + r"\s*\}\}")


def verify_url(code: str) -> str:
    base = getattr(settings, "LMS_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/verify/{code}/"


def certificate_values(
    *,
    trainee_name,
    course_title,
    cohort_name,
    issuing_body,
    issued_on: date,
    serial,
    code,
    signature_line="",
    issuer_short_name="",
    seal="",
) -> dict[str, str]:
    """The placeholders' values. `seal` is the seal's markup: given only for a certificate about to be signed."""
    url = verify_url(code)
    return {
        "trainee_name": trainee_name,
        "course_title": course_title,
        "cohort_name": cohort_name,
        "issuing_body": issuing_body,
        "issuer_short_name": issuer_short_name or issuing_body,
        "seal": seal,
        "issued_on": f"{issued_on.year}年{issued_on.month}月{issued_on.day}日",
        "serial": serial,
        "code": code,
        "verify_url": url,
        "qr_svg": qr_svg(url),
        "signature_line": signature_line,
    }


SAMPLE = {
    "trainee_name": "刘䶮",
    "cohort_name": "南海区2022年社区规划师培育班",
    "issuing_body": "佛山市南海区民政局",
    "issued_on": date(2022, 12, 31),
    "serial": "NH-2022-0001",
    "code": "7K3M-Q9TX-2HDW-8RVB",
}


@dataclass(frozen=True)
class Archival:
    """What makes a certificate an archival PDF/A-3a: its XMP metadata and the embedded credential."""

    title: str
    issuer: str
    issued_on: date
    subject: str = ""
    language: str = "zh-Hans"
    credential: bytes = b""
    credential_name: str = "credential.json"
    credential_description: str = "Open Badges 3.0 credential (VC-JWT)"


ARCHIVAL_OPTIONS = {"pdf_variant": "pdf/a-3a", "pdf_tags": True}


def _xmp_description(archival: Archival) -> bytes:
    """Dublin Core and XMP properties WeasyPrint does not write: issuer, language, date."""
    from xml.sax.saxutils import escape

    issuer = escape(archival.issuer)
    return (
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"<dc:publisher><rdf:Bag><rdf:li>{issuer}</rdf:li></rdf:Bag></dc:publisher>"
        f"<dc:language><rdf:Bag><rdf:li>{escape(archival.language)}</rdf:li></rdf:Bag></dc:language>"
        f"<dc:date><rdf:Seq><rdf:li>{archival.issued_on.isoformat()}</rdf:li></rdf:Seq></dc:date>"
        "</rdf:Description>"
    ).encode()


def _archival_finisher(archival: Archival):
    from certificates.fonts import compact_fonts, object_number

    def finish(document, pdf):
        compact_fonts(document, pdf)
        if "AF" in pdf.catalog:  # WeasyPrint lists an attachment once per way it finds it
            unique = list(dict.fromkeys(pdf.catalog["AF"]))
            pdf.catalog["AF"].clear()
            pdf.catalog["AF"].extend(unique)
        metadata = pdf.objects[object_number(pdf.catalog["Metadata"])]
        content = b"".join(metadata.stream)
        metadata.stream = [content.replace(b"</rdf:RDF>", _xmp_description(archival) + b"</rdf:RDF>", 1)]

    return finish


def _write_archival(document, archival: Archival) -> bytes:
    """The laid-out document written as PDF/A-3a; returns before the caller collects the layout's cycles."""
    from weasyprint import Attachment

    from certificates.fonts import compact_subsetting

    metadata = document.metadata
    metadata.title = archival.title
    metadata.authors = [archival.issuer]
    metadata.description = archival.subject or None
    metadata.lang = archival.language
    metadata.created = metadata.modified = archival.issued_on.isoformat()
    attachments = []
    if archival.credential:
        # WeasyPrint writes these dates with a "Z": give them in UTC (the start of the day of issue in Shanghai).
        moment = datetime.combine(archival.issued_on, time(), ZoneInfo(settings.TIME_ZONE)).astimezone(UTC)
        attachments.append(
            Attachment(
                string=archival.credential,
                name=archival.credential_name,
                description=archival.credential_description,
                relationship="Alternative",
                created=moment,
                modified=moment,
            )
        )
    with compact_subsetting():
        return document.write_pdf(finisher=_archival_finisher(archival), attachments=attachments, **ARCHIVAL_OPTIONS)


def render_pdf(
    *,
    template_html: str,
    css: str,
    values: dict[str, str],
    archival: Archival | None = None,
    max_pages: int | None = None,
) -> tuple[bytes, list[str]]:
    """The PDF bytes and the URLs the template asked for but was refused. Raises RenderError.

    With `archival`, a tagged PDF/A-3a with XMP metadata, the credential embedded as an associated file
    and compact fonts; without, a plain PDF (template previews). With `max_pages`, a layout longer than
    that is refused before any PDF is written.
    """
    from weasyprint import HTML

    renderer = _renderer()
    fetcher = renderer.fetcher_class()
    try:
        stylesheets = [renderer.base_css]
        if css.strip():
            stylesheets.append(_template_css(css, threading.get_ident()))
        source = HTML(string=fill(template_html, values), base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=fetcher)
        options = ARCHIVAL_OPTIONS if archival is not None else {}
        laid_out = source.render(stylesheets=stylesheets, font_config=renderer.font_config, **options)
        if max_pages is not None and len(laid_out.pages) > max_pages:
            raise TooManyPages(len(laid_out.pages), max_pages)
        pdf = laid_out.write_pdf() if archival is None else _write_archival(laid_out, archival)
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


def warm_up(*, certificates: bool = False) -> None:
    """Load WeasyPrint, the fonts and the base CSS once, so the first render is not slow.

    With `certificates` (a worker), also render the default certificate both ways: the compact subsetter
    then keeps its faces, and the first certificate costs what the next ones do.
    """
    render_pdf(template_html="<p>{{ trainee_name }}</p>", css="", values={"trainee_name": "预热"})
    if certificates:
        values = certificate_values(course_title="社区规划师培育课程", **SAMPLE)
        archival = Archival(title="", issuer="", issued_on=SAMPLE["issued_on"])
        render_pdf(template_html=DEFAULT_HTML, css=DEFAULT_CSS, values=values)
        render_pdf(template_html=DEFAULT_HTML, css=DEFAULT_CSS, values=values, archival=archival)


PDFTOPPM = "/usr/bin/pdftoppm"  # poppler-utils (bin/setup installs it)


def first_page_png(pdf: bytes, *, dpi: int = 100) -> bytes:
    """The first page as a PNG (poppler's pdftoppm), for showing a certificate inside a page. Raises RenderError."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="certificate-image-") as folder:
        source = Path(folder) / "c.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(  # noqa: S603 -- fixed arguments; the PDF is our own signed file in a private folder
                [PDFTOPPM, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(source), f"{folder}/p"],
                check=True,
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise RenderError(f"pdftoppm: {error}") from error
        return (Path(folder) / "p.png").read_bytes()
