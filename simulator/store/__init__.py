"""Persistence: trainees, sessions and choices in one SQLite file (journal mode: sqlite_safety.py)."""

from simulator.store.db import Store, utc_now
from simulator.store.errors import DiskFullError, StoreCorruptError, StoreError
from simulator.store.files import atomic_write
from simulator.store.models import CheckReport, ChoiceRow, SelfReport, SessionRow, Trainee

__all__ = [
    "CheckReport",
    "ChoiceRow",
    "DiskFullError",
    "SelfReport",
    "SessionRow",
    "Store",
    "StoreCorruptError",
    "StoreError",
    "Trainee",
    "atomic_write",
    "utc_now",
]
