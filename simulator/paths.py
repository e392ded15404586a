"""Every filesystem location the application uses, in one place.

Only names are computed here; creating directories is the store's job.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "intake-sim"
DATA_DIR_ENV = "INTAKE_SIM_DATA_DIR"
DB_FILENAME = "intake-sim.sqlite3"
BACKUPS_DIRNAME = "backups"


def data_dir(override: str | Path | None = None) -> Path:
    """The override, else $INTAKE_SIM_DATA_DIR, else the platform's per-user data directory."""
    if override is not None and str(override) != "":
        return Path(override).expanduser()
    from_env = os.environ.get(DATA_DIR_ENV, "")
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def db_path(data_dir: Path) -> Path:
    return Path(data_dir) / DB_FILENAME


def backups_dir(data_dir: Path) -> Path:
    return Path(data_dir) / BACKUPS_DIRNAME
