"""Password hashing with Argon2id.

``HASHER`` holds the parameters new hashes are made with (argon2-cffi's RFC 9106
low-memory profile: 64 MiB, 3 passes, 4 lanes).  Hashes carry their own parameters, so
raising them later leaves old hashes verifiable; :func:`needs_rehash` tells the login code
to re-hash a user's password with the new parameters while it has the plaintext at hand.

    >>> stored = hash_password("correct horse")
    >>> stored.startswith("$argon2id$")
    True
    >>> verify_password("correct horse", stored), verify_password("wrong", stored)
    (True, False)
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

#: The hasher new hashes are made with.  Tests may swap in cheaper parameters.
HASHER = PasswordHasher(type=Type.ID)

_dummy_hashes: dict[tuple[int, int, int, int, int], str] = {}


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """An Argon2id hash (``$argon2id$v=19$m=…,t=…,p=…$salt$digest``) with a fresh salt."""
    return (hasher or HASHER).hash(password)


def verify_password(password: str, password_hash: str, *,
                    hasher: PasswordHasher | None = None) -> bool:
    """Whether ``password`` matches ``password_hash``; a malformed hash never matches."""
    try:
        return (hasher or HASHER).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, *, hasher: PasswordHasher | None = None) -> bool:
    """Whether a stored hash was made with other parameters (or another type) than now."""
    try:
        return (hasher or HASHER).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def verify_dummy(password: str, *, hasher: PasswordHasher | None = None) -> bool:
    """Spend the time of a real verification and fail.

    Used when the username does not exist, so that the response time does not tell an
    attacker which usernames are real.  The dummy hash uses the current parameters,
    since a hash with other parameters would take another time to verify.
    """
    hasher = hasher or HASHER
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len,
           hasher.salt_len)
    dummy = _dummy_hashes.get(key)
    if dummy is None:
        dummy = _dummy_hashes[key] = hasher.hash("openjxc-dummy-password")
    verify_password(password, dummy, hasher=hasher)
    return False
