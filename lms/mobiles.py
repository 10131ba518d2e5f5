"""Mainland mobile numbers as people type them: full-width digits, spaces, dashes, a +86 prefix."""

import re
import unicodedata

MOBILE_RE = re.compile(r"^1\d{10}$")


def normalise_mobile(text) -> str:
    """The number's 11 ASCII digits when it looks like one; otherwise the cleaned text (callers validate)."""
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():  # a spreadsheet cell typed as a number
        text = int(text)
    cleaned = unicodedata.normalize("NFKC", str(text))
    cleaned = re.sub(r"[\s\-()（）]", "", cleaned)
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    elif cleaned.startswith("0086"):
        cleaned = cleaned[4:]
    return cleaned


def is_mobile(text: str) -> bool:
    return bool(MOBILE_RE.fullmatch(text))


def mask_mobile(number: str) -> str:
    """A mobile shown to someone who may not read it (lms.predicates.can_view_mobile): 138****8000."""
    return f"{number[:3]}****{number[-4:]}" if is_mobile(number or "") else ("****" if number else "")
