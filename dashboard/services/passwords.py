"""Password hashing: argon2id (argon2-cffi), with its parameters in this one place.

Hashes made before argon2id (scrypt, ``scrypt$n$r$p$salt$digest``) are still verified, and
``needs_rehash`` tells the sign-in service to store a fresh argon2id hash after the next successful
sign-in, so old hashes disappear as people sign in.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP Password Storage Cheat Sheet (2025), argon2id minimum: 19 MiB of memory, 2 iterations,
# 1 degree of parallelism. About 25 ms a hash on one core of a 2-core clinic server.
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1

_HASHER = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True for a hash that is not argon2id with today's parameters."""
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _verify_scrypt(password: str, stored: str) -> bool:
    """The hashes of the first version (scrypt, N=2^14): verified only, never made any more."""
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=len(digest) // 2, n=int(n), r=int(r), p=int(p)
        )
        return hmac.compare_digest(got.hex(), digest)
    except (ValueError, TypeError):
        return False
