"""Verification codes: 80 random bits in Crockford base32, grouped for reading aloud."""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16  # 16 symbols x 5 bits = 80 bits
GROUP = 4
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")


def code_generate() -> str:
    """A fresh code from `secrets`, unrelated to the serial, in its canonical form."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return _group(raw)


def code_normalise(value: str) -> str | None:
    """The canonical form of a typed code (case, dashes, O/0 and I/L/1 forgiven), or None if malformed."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    raw = _SEPARATORS.sub("", value).upper().translate(_CONFUSABLE)
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return _group(raw)


def _group(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))
