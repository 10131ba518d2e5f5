"""A district's seal image: checked before it is stored, drawn as an inline image on signed certificates.

The image is read by its header only before the pixel cap is checked: a small file can decode to
gigabytes (12000x12000 one-bit pixels is 17 KB on disk, ~1.4 GB decoded).
"""

import base64
import io
import warnings

from django.utils.translation import gettext as _

from lms.errors import ValidationFailed

SEAL_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_SEAL_BYTES = 2 * 1024 * 1024
MAX_SEAL_PIXELS = 2000 * 2000


def seal_check(data: bytes) -> str:
    """The seal's media type; raises ValidationFailed (field "seal") for anything but a sane PNG or JPEG."""
    from PIL import Image, UnidentifiedImageError

    def refuse(message):
        return ValidationFailed(message, code="seal_refused", fields={"seal": [message]})

    if len(data) > MAX_SEAL_BYTES:
        raise refuse(_("The seal image is larger than %(size)s MB.") % {"size": MAX_SEAL_BYTES // (1024 * 1024)})
    try:
        with warnings.catch_warnings():  # Pillow warns of a bomb at ~89 Mpx; the cap below refuses far earlier
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
        with image:
            kind, (width, height) = image.format, image.size
            if kind not in SEAL_TYPES:
                raise refuse(_("The seal must be a PNG or JPEG image."))
            if width * height > MAX_SEAL_PIXELS:
                raise refuse(
                    _("The seal image is %(width)d×%(height)d pixels; at most %(limit)s million pixels are allowed.")
                    % {"width": width, "height": height, "limit": MAX_SEAL_PIXELS // 1_000_000}
                )
            image.verify()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refuse(_("The seal must be a PNG or JPEG image.")) from None
    return SEAL_TYPES[kind]


def seal_html(data: bytes, media_type: str, *, css_class: str = "seal-image") -> str:
    """The seal as an inline image (no file, no network): trusted markup built from checked bytes."""
    if not data or media_type not in SEAL_TYPES.values():
        return ""
    encoded = base64.b64encode(bytes(data)).decode("ascii")
    return f'<img class="{css_class}" alt="印章" src="data:{media_type};base64,{encoded}">'


def demo_seal(text: str) -> bytes:
    """A red round seal with a star and the issuing body's short name, for the demo districts (PNG)."""
    import math

    from PIL import Image, ImageDraw, ImageFont

    from certificates.rendering import font_files

    size = 480
    red = (200, 16, 30, 255)
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 12, size - 12, size - 12), outline=red, width=18)
    centre, outer, inner = size / 2, 70, 27
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((centre + radius * math.cos(angle), centre - 10 + radius * math.sin(angle)))
    draw.polygon(points, fill=red)
    try:
        font = ImageFont.truetype(str(font_files()["sans"]), 46, index=2)  # SC face of the collection
    except OSError:
        font = ImageFont.load_default()
    # The name around the upper arc, one character at a time, as a round official seal carries it.
    characters = list(text)[:14] or ["印"]
    span = math.radians(min(220, 24 * len(characters)))
    for index, character in enumerate(characters):
        angle = -math.pi / 2 - span / 2 + span * (index + 0.5) / len(characters)
        x, y = centre + 170 * math.cos(angle), centre + 170 * math.sin(angle)
        glyph = Image.new("RGBA", (64, 64), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((32, 32), character, font=font, fill=red, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
        image.alpha_composite(glyph, (int(x - 32), int(y - 32)))
    draw.line((centre - 80, centre + 120, centre + 80, centre + 120), fill=red, width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
