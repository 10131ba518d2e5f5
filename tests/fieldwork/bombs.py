"""Picture bombs from issue 26, built byte by byte: tiny files that decode to hundreds of megabytes.

WebP: a lossless (VP8L) bitstream of one flat colour is the same whatever the size, after a header that
carries width − 1 and height − 1 in 14 bits each; the tails below are what libwebp writes for white and
black (Pillow: `Image.new("RGB", size, "white").save(f, "WEBP", lossless=True, method=0, quality=0)`).
PNG: rows of zeros, compressed as they are produced, so building costs no memory.
"""

import struct
import zlib

WHITE_TAIL = bytes.fromhex("07d0fffef7bfff8188e87f00")
BLACK_TAIL = bytes.fromhex("071011fd0f4444ff03")


def _vp8l(width: int, height: int, tail: bytes) -> bytes:
    bits = (width - 1) | (height - 1) << 14  # no alpha, version 0
    return b"\x2f" + bits.to_bytes(4, "little") + tail


def _chunk(tag: bytes, data: bytes) -> bytes:
    return tag + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")


def _riff(*chunks: bytes) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def lossless_webp(width: int, height: int) -> bytes:
    return _riff(_chunk(b"VP8L", _vp8l(width, height, WHITE_TAIL)))


def animated_webp(width: int, height: int) -> bytes:
    """Two full-canvas lossless frames."""
    size = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    header = _chunk(b"VP8X", bytes([0x02, 0, 0, 0]) + size)  # animation flag
    animation = _chunk(b"ANIM", bytes(4) + (0).to_bytes(2, "little"))
    frames = [
        _chunk(
            b"ANMF",
            bytes(6) + size + bytes(3) + bytes([0x02 if i == 0 else 0]) + _chunk(b"VP8L", _vp8l(width, height, tail)),
        )
        for i, tail in enumerate((WHITE_TAIL, BLACK_TAIL))
    ]
    return _riff(header, animation, *frames)


def png(width: int, height: int, *, bit_depth: int, colour_type: int) -> bytes:
    """A PNG of zero rows: colour type 6 (RGBA) at 16 bits, or 0 (grey) at 1 bit."""
    channels = {0: 1, 2: 3, 6: 4}[colour_type]
    row = b"\x00" + bytes((width * channels * bit_depth + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(tag: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
