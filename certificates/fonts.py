"""Compact the CJK font subsets WeasyPrint embeds, so a certificate weighs ~40 KB instead of ~400 KB.

WeasyPrint 70 subsets with HarfBuzz's "retain glyph IDs" flag: the text is written with the original
glyph numbers, and each embedded face keeps ~62,000 empty glyph slots whose offsets, charset and
metrics are 97 % of the file. This finisher re-subsets each embedded OpenType/CFF face with fontTools to
the glyphs actually drawn, renumbered densely, and embeds the bare CID-keyed CFF program
(FontFile3 /CIDFontType0C). For such a font PDF readers find a glyph by its CID through the CFF charset,
so the charset names each kept glyph by the code the page content uses (its old glyph number): content
streams, widths (/W) and the ToUnicode maps stay exactly as WeasyPrint wrote them, and so does the text.
"""

import io
import logging

logger = logging.getLogger(__name__)

# Tables a PDF reader ignores for a CIDFontType0C program (only the CFF table is embedded).
_DROP_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "vhea", "vmtx", "VORG", "DSIG", "meta", "STAT"]


def compact_cff(font_file: bytes, used: set[int]) -> bytes:
    """A bare CID-keyed CFF with only the glyphs `used` (and .notdef), each one's CID being its old number.

    HarfBuzz (C, ~10 ms) drops the empty slots and renumbers; fontTools then rewrites only the small
    result's charset, so that CID = the glyph number the page content uses.
    """
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    face = hb.Face(font_file)
    subset_input = hb.SubsetInput()
    glyphs = subset_input.sets(hb.SubsetInputSets.GLYPH_INDEX)
    for gid in {0, *used}:
        if gid < face.glyph_count:
            glyphs.add(gid)
    drop = subset_input.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    for tag in _DROP_TABLES:
        drop.add(hb.ot_tag_from_string(tag) if hasattr(hb, "ot_tag_from_string") else _tag(tag))
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


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii").ljust(4), "big")


def object_number(reference) -> int:
    """The object number of a pydyf reference (b"18 0 R" or "18 0 R")."""
    if isinstance(reference, bytes):
        reference = reference.decode()
    return int(str(reference).split()[0])


def _cids_of_widths(widths) -> set[int]:
    """The CIDs a /W array gives widths for: [first [w1 w2 …] first [w …] …] as WeasyPrint writes it."""
    cids, items = set(), list(widths)
    for first, run in zip(items[::2], items[1::2], strict=False):
        cids.update(range(int(first), int(first) + len(run)))
    return cids


def compact_fonts(_document, pdf) -> None:
    """WeasyPrint finisher: replace each embedded OpenType CFF face by its compact bare CFF."""
    import pydyf

    # Glyphs used per font file: the /W arrays of the CID fonts that point at it (WeasyPrint writes a
    # width for every glyph the text draws, and only for those).
    used: dict[int, set[int]] = {}
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Subtype") == "/CIDFontType0" and "W" in obj:
            descriptor = pdf.objects[object_number(obj["FontDescriptor"])]
            if "FontFile3" in descriptor:
                used.setdefault(object_number(descriptor["FontFile3"]), set()).update(_cids_of_widths(obj["W"]))
    for number, cids in used.items():
        obj = pdf.objects[number]
        if not isinstance(obj, pydyf.Stream) or obj.extra.get("Subtype") != "/OpenType":
            continue
        original = b"".join(part if isinstance(part, bytes) else bytes(part) for part in obj.stream)
        try:
            compact = compact_cff(original, cids)
        except Exception:  # a face fontTools cannot handle stays as WeasyPrint embedded it
            logger.exception("Could not compact an embedded font; keeping WeasyPrint's subset")
            continue
        obj.stream = [compact]
        obj.extra["Subtype"] = "/CIDFontType0C"
