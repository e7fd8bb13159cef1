"""Files altered the way an attacker or a failing disk would: one byte flipped in place."""

from __future__ import annotations


def flip_one_byte(path) -> None:
    """Invert the middle byte of ``path`` in place: same size, different content."""
    with open(path, "r+b") as fh:
        fh.seek(len(fh.read()) // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
