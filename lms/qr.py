"""QR codes as inline SVG: the check-in screen and the certificates draw theirs here."""

import re


def qr_svg(url: str, *, box_size: int = 10) -> str:
    """An inline SVG QR code for `url` (vector, so sharp on a projector and in print)."""
    import qrcode  # loaded on first use: web workers that never draw one stay smaller
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size, border=2)
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", image.to_string(encoding="unicode"))
