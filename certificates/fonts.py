"""Compact the CJK font subsets WeasyPrint embeds, so a certificate weighs ~40 KB instead of ~400 KB.

WeasyPrint 70 subsets with HarfBuzz's "retain glyph IDs" flag: the text is written with the original
glyph numbers, and each embedded face keeps ~62,000 empty glyph slots whose offsets, charset and
metrics are 97 % of the file. An archival render replaces that subsetting (see `compact_subsetting`):
each OpenType/CFF face is subset once, straight from the font file, to the glyphs actually drawn,
renumbered densely, and embedded as a bare CID-keyed CFF program (FontFile3 /CIDFontType0C). For such a
font PDF readers find a glyph by its CID through the CFF charset, so the charset names each kept glyph by
the code the page content uses (its old glyph number): content streams, widths (/W) and the ToUnicode
maps stay exactly as WeasyPrint wrote them, and so does the text.

Why replace rather than re-subset WeasyPrint's result: WeasyPrint's two retain-GIDs passes over a
65,535-glyph CJK face cost ~20-30 ms per face (four faces per certificate), more than the rest of
the archival work together; one pass over a HarfBuzz face kept for the process costs ~6 ms.
"""

import contextlib
import io
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

# Tables a PDF reader ignores for a CIDFontType0C program (only the CFF table is embedded).
_DROP_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "vhea", "vmtx", "VORG", "DSIG", "meta", "STAT"]
_FACES_KEPT = 16  # a few templates' faces; each is ~25 MB unless mapped from a known font file
_PROGRAMS_KEPT = 32  # compact programs per face, a few KB each


@dataclass
class _Kept:
    reference: object  # WeasyPrint's own face, held: while it is, its address names this face only
    face: object  # uharfbuzz
    programs: "OrderedDict[frozenset[int], bytes]" = field(default_factory=OrderedDict)


_state = threading.local()
_faces_lock = threading.Lock()
_faces: "OrderedDict[int, _Kept]" = OrderedDict()


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii").ljust(4), "big")


def _compact(face, used: set[int]) -> bytes:
    """A bare CID-keyed CFF of `face` with only the glyphs `used` (and .notdef), each one's CID its old number.

    HarfBuzz (C) drops the rest and renumbers; fontTools then rewrites only the small result's charset,
    so that CID = the glyph number the page content uses.
    """
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    subset_input = hb.SubsetInput()
    glyphs = subset_input.sets(hb.SubsetInputSets.GLYPH_INDEX)
    for gid in {0, *used}:
        if gid < face.glyph_count:
            glyphs.add(gid)
    drop = subset_input.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    for tag in _DROP_TABLES:
        drop.add(_tag(tag))
    subset_input.flags = (
        hb.SubsetFlags.NOTDEF_OUTLINE | hb.SubsetFlags.NO_LAYOUT_CLOSURE | hb.SubsetFlags.DESUBROUTINIZE
    )
    plan = hb.SubsetPlan(face, subset_input)
    new_to_old = dict(plan.new_to_old_glyph_mapping)
    compact = plan.execute()
    if compact is None:
        raise ValueError("HarfBuzz could not subset the font")
    font = TTFont(io.BytesIO(compact.blob.data), recalcBBoxes=False)  # bbox recalculation draws every glyph
    if "CFF " not in font:
        raise ValueError("not a CFF-flavoured OpenType font")
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        raise ValueError("not a CID-keyed CFF font")
    names = [".notdef" if new == 0 else f"cid{new_to_old[new]:05d}" for new in range(len(top.charset))]
    renamed = dict(zip(top.charset, names, strict=True))
    top.charset = names
    top.CharStrings.charStrings = {renamed[name]: index for name, index in top.CharStrings.charStrings.items()}
    font.setGlyphOrder(names)
    return font["CFF "].compile(font)


def compact_cff(font_file: bytes, used: set[int], index: int = 0) -> bytes:
    """`_compact` of face `index` of an OpenType font file (or collection) given as bytes."""
    import uharfbuzz as hb

    return _compact(hb.Face(hb.Blob(font_file), index), used)


def _blob(data: bytes):
    """A HarfBuzz blob of a font file: mapped from disk when it is one of the certificate fonts (the page
    cache is shared by all workers), else a copy."""
    import uharfbuzz as hb

    from certificates.rendering import font_files

    for path in font_files().values():
        with contextlib.suppress(OSError):
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return hb.Blob.from_file_path(str(path))
    return hb.Blob(data)


def _kept(font) -> _Kept:
    """The HarfBuzz face (uharfbuzz) of a WeasyPrint font and its compact programs, kept for the process.

    Keyed by the address of WeasyPrint's own face, whose reference is kept with the entry: while held,
    that face cannot be freed, so the address cannot come to name another font.
    """
    import uharfbuzz as hb
    from weasyprint.text.ffi import ffi

    address = int(ffi.cast("uintptr_t", font.hb_face))
    with _faces_lock:
        if address in _faces:
            _faces.move_to_end(address)
            return _faces[address]
    kept = _Kept(reference=font.hb_face, face=hb.Face(_blob(font.file_content), font.index))
    with _faces_lock:
        kept = _faces.setdefault(address, kept)
        while len(_faces) > _FACES_KEPT:
            _faces.popitem(last=False)
    return kept


def _program(font, used: set[int]) -> bytes:
    """The compact program of `font` for the glyphs `used`; the same glyphs give the same program, so it is
    kept: a face whose text is the same on every certificate of a cohort (the body) is subset once."""
    kept = _kept(font)
    glyphs = frozenset(used)
    with _faces_lock:
        if (program := kept.programs.get(glyphs)) is not None:
            kept.programs.move_to_end(glyphs)
            return program
    program = _compact(kept.face, set(glyphs))
    with _faces_lock:
        kept.programs[glyphs] = program
        while len(kept.programs) > _PROGRAMS_KEPT:
            kept.programs.popitem(last=False)
    return program


def _compactable(font) -> bool:
    """A static OpenType/CFF outline face: what `_compact` handles (CJK fonts are)."""
    return "CFF " in font.tables and "fvar" not in font.tables and not (font.png or font.svg or font.colr)


def _subset(font, to_unicode, hinting):
    """Stands in for WeasyPrint's Font.subset: compact inside `compact_subsetting`, WeasyPrint's own outside."""
    if getattr(_state, "active", False) and to_unicode and _compactable(font):
        try:
            font.file_content = _program(font, set(to_unicode))
        except Exception:  # a face this cannot handle is subset and embedded as WeasyPrint does
            logger.exception("Could not compact the font %s; keeping WeasyPrint's subset", font.family)
        else:
            font.lms_compact = True
            return
    _weasyprint_subset(font, to_unicode, hinting)


def _weasyprint_subset(font, to_unicode, hinting):
    from weasyprint.pdf.fonts import Font

    Font.lms_weasyprint_subset(font, to_unicode, hinting)


def _install() -> None:
    from weasyprint.pdf.fonts import Font

    if not hasattr(Font, "lms_weasyprint_subset"):
        Font.lms_weasyprint_subset = Font.subset
        Font.subset = _subset


@contextlib.contextmanager
def compact_subsetting():
    """Within this block (this thread only), WeasyPrint embeds compact bare CFF faces; `compact_fonts`,
    the finisher, then labels them as such in the PDF."""
    _install()
    _state.active = True
    try:
        yield
    finally:
        _state.active = False


def object_number(reference) -> int:
    """The object number of a pydyf reference (b"18 0 R" or "18 0 R")."""
    if isinstance(reference, bytes):
        reference = reference.decode()
    return int(str(reference).split()[0])


def compact_fonts(document, pdf) -> None:
    """WeasyPrint finisher: declare each compacted face as the bare CFF it is.

    WeasyPrint took the compact program for a TrueType one (it does not start with "OTTO"): its stream,
    descriptor and CID font say FontFile2 / CIDFontType2; a bare CFF is FontFile3 /CIDFontType0C under a
    CIDFontType0 font.
    """
    import pydyf

    compacted = {id(font.file_content) for font in document.fonts.values() if getattr(font, "lms_compact", False)}
    if not compacted:
        return
    streams = set()
    for number, obj in enumerate(pdf.objects):
        if isinstance(obj, pydyf.Stream) and obj.stream and id(obj.stream[0]) in compacted:
            obj.extra.pop("Length1", None)
            obj.extra["Subtype"] = "/CIDFontType0C"
            streams.add(number)
    descriptors = set()
    for number, obj in enumerate(pdf.objects):
        if isinstance(obj, dict) and "FontFile2" in obj and object_number(obj["FontFile2"]) in streams:
            obj["FontFile3"] = obj.pop("FontFile2")
            descriptors.add(number)
    for obj in pdf.objects:
        cid_font = isinstance(obj, dict) and obj.get("Subtype") == "/CIDFontType2" and "FontDescriptor" in obj
        if cid_font and object_number(obj["FontDescriptor"]) in descriptors:
            obj["Subtype"] = "/CIDFontType0"
            obj.pop("CIDToGIDMap", None)  # a CIDFontType2 entry only
