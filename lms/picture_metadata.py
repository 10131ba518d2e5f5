"""Pictures lose what identifies where and with what they were taken before their original is stored.

GPS position, camera make and serial, owner name, dates, maker notes, XMP, IPTC and comments are
removed from every JPEG, PNG and WebP at ingest (every upload path calls `clean_picture` before the
original's hash is taken), so no download path can hand them out. A JPEG is rewritten without
decoding (its metadata segments and anything appended after the image, such as a phone's
second pictures with their own EXIF, are dropped) unless its EXIF asks for a rotation: then the
rotation is applied to the pixels first and the picture re-encoded, as are PNGs and WebPs that carry
metadata. The colour profile (ICC) and JFIF/Adobe colour markers are kept. Malformed or huge EXIF is
no obstacle: the segment is dropped unread. HEIC is left to its own converter (`pillow-heif`).
"""

import io
import tempfile

# JPEG markers
SOI, EOI, SOS, COM, APP0, APP2, APP14 = 0xD8, 0xD9, 0xDA, 0xFE, 0xE0, 0xE2, 0xEE
STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and the restart markers carry no length
ORIENTATION = 0x0112
# Pillow `info` keys that say nothing about a person or a place.
HARMLESS_INFO = {
    "dpi",
    "gamma",
    "transparency",
    "icc_profile",
    "srgb",
    "chromaticity",
    "aspect",
    "loop",
    "duration",
    "background",
    "bbox",
    "interlace",
    "timestamp",
    "blend",
    "disposal",
    "default_image",
}


class PictureUnreadable(Exception):
    """The picture could not be cleaned (its structure is broken); the caller refuses it."""


def _spool(data: bytes | None = None):
    spool = tempfile.SpooledTemporaryFile(max_size=2 * 1024 * 1024)  # noqa: SIM115 -- handed to the storage, closed with the upload
    if data:
        spool.write(data)
        spool.seek(0)
    return spool


def _orientation(source) -> int | None:
    from PIL import Image

    source.seek(0)
    try:
        with Image.open(source) as image:
            return image.getexif().get(ORIENTATION)
    except Exception:  # malformed EXIF reads as "no rotation"; the segment goes anyway
        return None
    finally:
        source.seek(0)


def jpeg_without_metadata(data: bytes) -> bytes:
    """The JPEG's bytes without APP1/APP3–APP13/APP15 segments, non-ICC APP2, comments, or trailing data."""
    if data[:2] != b"\xff\xd8":
        raise PictureUnreadable("not a JPEG")
    out = io.BytesIO()
    out.write(b"\xff\xd8")
    position, size = 2, len(data)
    while position < size:
        if data[position] != 0xFF:
            raise PictureUnreadable("marker expected")
        while position < size and data[position] == 0xFF:  # fill bytes
            position += 1
        if position >= size:
            break
        marker = data[position]
        position += 1
        if marker == EOI:
            out.write(b"\xff\xd9")
            return out.getvalue()  # anything after the image (MPF pictures, trailers) is dropped
        if marker in STANDALONE:
            out.write(bytes((0xFF, marker)))
            continue
        if position + 2 > size:
            raise PictureUnreadable("truncated segment")
        length = int.from_bytes(data[position : position + 2], "big")
        segment = data[position : position + length]
        if length < 2 or len(segment) < length:
            raise PictureUnreadable("truncated segment")
        position += length
        if marker == SOS:
            # Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart.
            end = position
            while True:
                end = data.find(b"\xff", end)
                if end < 0 or end + 1 >= size:  # cut off inside the image data: kept as sent, minus metadata
                    out.write(bytes((0xFF, marker)) + segment + data[position:])
                    return out.getvalue()
                following = data[end + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    end += 1
                    continue
                break
            out.write(bytes((0xFF, marker)) + segment + data[position:end])
            position = end
            continue
        keep = (
            marker == APP0
            or (marker == APP2 and segment[2:14] == b"ICC_PROFILE\x00")
            or (marker == APP14 and segment[2:7] == b"Adobe")
            or not (0xE0 <= marker <= 0xEF or marker == COM)
        )
        if keep:
            out.write(bytes((0xFF, marker)) + segment)
    raise PictureUnreadable("no end of image")


def _has_metadata(source) -> bool:
    from PIL import Image

    source.seek(0)
    try:
        with Image.open(source) as image:
            text = getattr(image, "text", None) if image.format == "PNG" else None
            return bool(set(image.info) - HARMLESS_INFO) or bool(text)
    finally:
        source.seek(0)


def _reencoded(source, *, format_name: str) -> bytes:
    """Decode, apply the EXIF rotation, and encode again without any metadata but the colour profile."""
    from PIL import Image, ImageOps

    source.seek(0)
    with Image.open(source) as image:
        icc = image.info.get("icc_profile")
        lossless = format_name == "WEBP" and getattr(image, "_lossless", False)
        image.load()
        try:
            turned = ImageOps.exif_transpose(image)
        except Exception:  # unreadable EXIF: keep the pixels as they are
            turned = image
        if format_name == "JPEG" and turned.mode not in ("RGB", "L", "CMYK"):
            turned = turned.convert("RGB")
        if turned is image:
            turned = image.copy()
        turned.info = {}  # Pillow writes a comment, EXIF or XMP it finds here: nothing but the profile goes
        out = io.BytesIO()
        options = {"icc_profile": icc} if icc else {}
        if format_name == "JPEG":
            options |= {"quality": 92, "optimize": True}
        elif format_name == "WEBP":
            options |= {"lossless": True} if lossless else {"quality": 90}
        turned.save(out, format=format_name, **options)
        return out.getvalue()


def clean_picture(source, *, content_type: str):
    """A new file with the picture's identifying metadata removed, or None when it carries none.

    `source` is a seekable file already checked (type by content, pixel cap). Raises
    PictureUnreadable when a picture with metadata cannot be rewritten."""
    from PIL import UnidentifiedImageError

    try:
        if content_type == "image/jpeg":
            if _orientation(source) not in (None, 1):
                return _spool(_reencoded(source, format_name="JPEG"))
            source.seek(0)
            data = source.read()
            cleaned = jpeg_without_metadata(data)
            return None if cleaned == data else _spool(cleaned)
        if content_type in ("image/png", "image/webp"):
            if not _has_metadata(source):
                return None
            return _spool(_reencoded(source, format_name="PNG" if content_type == "image/png" else "WEBP"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise PictureUnreadable(str(error)) from error
    finally:
        source.seek(0)
    return None
