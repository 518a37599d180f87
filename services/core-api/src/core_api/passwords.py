"""Password hashing: argon2id for everything we write; bcrypt accepted for
hashes the legacy application left (``$2a$``/``$2b$``/``$2y$``), which are
replaced by argon2 on the first successful login.

Hashing is CPU-bound (tens of milliseconds by design), so it runs in a worker
thread to keep the event loop serving other requests.
"""

import asyncio
from dataclasses import dataclass

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_argon2 = PasswordHasher()
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
# bcrypt only ever looked at the first 72 bytes; the legacy app relied on that.
_BCRYPT_MAX_BYTES = 72
# Verified against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _argon2.hash("sendfx-no-such-user")


@dataclass(frozen=True)
class Verification:
    ok: bool
    needs_rehash: bool = False


def hash_password_sync(password: str) -> str:
    return _argon2.hash(password)


def verify_password_sync(stored_hash: str | None, password: str) -> Verification:
    if not stored_hash:
        _argon2_verify(_DUMMY_HASH, password)
        return Verification(False)
    if stored_hash.startswith(_BCRYPT_PREFIXES):
        try:
            ok = bcrypt.checkpw(password.encode()[:_BCRYPT_MAX_BYTES], stored_hash.encode())
        except ValueError:
            return Verification(False)
        return Verification(ok, needs_rehash=ok)
    if not _argon2_verify(stored_hash, password):
        return Verification(False)
    return Verification(True, needs_rehash=_argon2.check_needs_rehash(stored_hash))


def _argon2_verify(stored_hash: str, password: str) -> bool:
    try:
        return _argon2.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hash_password_sync, password)


async def verify_password(stored_hash: str | None, password: str) -> Verification:
    return await asyncio.to_thread(verify_password_sync, stored_hash, password)
