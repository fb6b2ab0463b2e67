"""Hardening fixtures: cheap password hashing and a small populated store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# helper modules of this folder (hardening_*.py) import by name under importlib mode
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap Argon2 parameters: these tests check behaviour, not the work factor."""
    from argon2 import PasswordHasher

    import trichometry.store.passwords as passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
