"""`intake-sim` in a real child process, as a user runs it, for the command-line tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str,
    stdin: str = "",
    cwd: Path = ROOT,
    data_dir: Path | None = None,
    env: dict[str, str] | None = None,
    unset: Iterable[str] = (),
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m simulator ARGS`; `unset` removes variables the caller's shell may carry."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}
    for name in unset:
        full_env.pop(name, None)
    if data_dir is not None:
        full_env["INTAKE_SIM_DATA_DIR"] = str(data_dir)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )
