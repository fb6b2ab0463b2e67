"""Password hashing with Argon2id (argon2-cffi); plain passwords are never stored."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from trichometry.store.errors import InvalidInput

_HASHER = PasswordHasher()
MIN_LENGTH = 10


def check_strength(password: str) -> None:
    """Refuse passwords that are too short.

    Raises:
        InvalidInput: shorter than :data:`MIN_LENGTH` characters.
    """
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_LENGTH} characters; choose a longer one.")


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (salted, self-describing)."""
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (never raises for a mismatch)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random 20-character password for a first admin account."""
    return secrets.token_urlsafe(15)
