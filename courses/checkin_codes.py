"""Rotating check-in credentials of a session: a signed token for the QR code and a short code to type.

Both are derived from (session id, time slot) and a server secret, so they bind to one session only
and go stale after a slot or two: a photo of the projector sent to a friend at home stops working.
The slot comes from `timezone.now()` (not `time.time()`), so tests move the clock by patching it.
"""

from datetime import UTC, datetime, timedelta

from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

SLOT_SECONDS = 60
CODE_LENGTH = 6
# The current slot and the previous one: a code read just before it rotates still works.
ACCEPTED_SLOTS = 2
# A QR token scanned where there was no network (the field outbox keeps it) is accepted when it arrives
# within this long of the moment it was shown, and that moment lay inside the session's check-in window.
OFFLINE_GRACE = timedelta(hours=2)


def current_slot(now=None) -> int:
    now = now or timezone.now()
    return int(now.timestamp()) // SLOT_SECONDS


def seconds_to_rotation(now=None) -> int:
    now = now or timezone.now()
    return SLOT_SECONDS - int(now.timestamp()) % SLOT_SECONDS


def _signer(session_id: int) -> signing.Signer:
    return signing.Signer(salt=f"courses.check-in.session.{session_id}")


def token_for(session_id: int, slot: int | None = None) -> str:
    slot = current_slot() if slot is None else slot
    return _signer(session_id).sign(f"{session_id}.{slot}")


def code_for(session_id: int, slot: int | None = None) -> str:
    slot = current_slot() if slot is None else slot
    digest = salted_hmac("courses.check-in.code", f"{session_id}.{slot}", algorithm="sha256").digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_LENGTH:0{CODE_LENGTH}d}"


def _recent_slots() -> range:
    slot = current_slot()
    return range(slot, slot - ACCEPTED_SLOTS, -1)


def token_is_valid(session_id: int, token: str) -> bool:
    try:
        value = _signer(session_id).unsign(token or "")
    except signing.BadSignature:
        return False
    token_session, _dot, slot = value.partition(".")
    return token_session == str(session_id) and slot.isdigit() and int(slot) in _recent_slots()


def normalise_code(code: str) -> str:
    """Digits only: people type spaces, and full-width digits from a Chinese keyboard."""
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKC", code or "") if ch.isdigit())


def code_is_valid(session_id: int, code: str) -> bool:
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        return False
    return any(constant_time_compare(code, code_for(session_id, slot)) for slot in _recent_slots())


def token_moment(session_id: int, token: str) -> datetime | None:
    """When a token of this session was shown (the start of its signed slot); None if it is not one."""
    try:
        value = _signer(session_id).unsign(token or "")
    except signing.BadSignature:
        return None
    token_session, _dot, slot = value.partition(".")
    if token_session != str(session_id) or not slot.isdigit():
        return None
    return datetime.fromtimestamp(int(slot) * SLOT_SECONDS, tz=UTC)
