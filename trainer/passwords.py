"""Salted, slow password hashes for the dashboard's shared-password login.

``cla dashboard hash-password`` prints :func:`hash_password`'s result as the
``password_hash`` line of ``.streamlit/secrets.toml``; the dashboard checks a
login with :func:`verify_password`. The format is
``scrypt$<n>$<r>$<p>$<salt>$<key>`` (salt and key in base64): the salt keeps
two equal passwords from sharing a hash, and scrypt's memory-hard cost makes
guessing from a leaked secrets file slow. Plain Python: no Streamlit here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from trainer.errors import CLAError

SCHEME = "scrypt"
N, R, P = 2 ** 17, 8, 1  # ~128 MiB and a few hundred milliseconds per check (current guidance; 2**14 before)
SALT_BYTES = 16
KEY_BYTES = 32
MAX_N, MAX_R, MAX_P = 2 ** 20, 32, 16  # bounds on what a secrets file may ask a login to compute


class PasswordHashError(CLAError, ValueError):
    """A stored hash is not one :func:`hash_password` made; the message says what to do."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=129 * r * n * p + 1024 * 1024)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$key`` for ``password``, with a fresh random salt unless one is given."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    key = _derive(password, salt, N, R, P, KEY_BYTES)
    return "$".join([SCHEME, str(N), str(R), str(P), _b64(salt), _b64(key)])


def parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    """(n, r, p, salt, key) of a stored hash; raises PasswordHashError when it is malformed or out of bounds."""
    fix = "make a new one with `cla dashboard hash-password`"
    parts = str(encoded).strip().split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise PasswordHashError(f"password_hash is not a {SCHEME}$n$r$p$salt$key hash: {fix}")
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        raise PasswordHashError(f"password_hash has a part that does not parse: {fix}") from None
    if not (2 <= n <= MAX_N and n & (n - 1) == 0 and 1 <= r <= MAX_R and 1 <= p <= MAX_P) or not salt or not key:
        raise PasswordHashError(f"password_hash has parameters out of bounds (n a power of two up to {MAX_N}, "
                                f"r up to {MAX_R}, p up to {MAX_P}): {fix}")
    return n, r, p, salt, key


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches the stored hash (constant-time compare); PasswordHashError when malformed."""
    n, r, p, salt, key = parse_hash(encoded)
    return hmac.compare_digest(_derive(password, salt, n, r, p, len(key)), key)
