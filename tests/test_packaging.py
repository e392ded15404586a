"""The wheel a plain `pip install .` builds must carry every package and data file the app needs."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_python_package_is_listed_for_the_wheel() -> None:
    listed = set(_config()["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "simulator").rglob("__init__.py")
    }
    missing = on_disk - listed
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_non_python_files_inside_the_package_ship_as_package_data() -> None:
    data = _config()["tool"]["setuptools"]["package-data"]
    unshipped = []
    for f in (ROOT / "simulator").rglob("*"):
        if not f.is_file() or f.suffix in (".py", ".pyc") or "__pycache__" in f.parts:
            continue
        package = ".".join(f.parent.relative_to(ROOT).parts)
        patterns = data.get(package, [])
        rel = f.relative_to(f.parent)
        if not any(rel.match(p) for p in patterns):
            # templates/ live one level down from their package
            parent_pkg = ".".join(f.parent.parent.relative_to(ROOT).parts)
            sub = f.relative_to(f.parent.parent)
            if not any(sub.match(p) for p in data.get(parent_pkg, [])):
                unshipped.append(str(f.relative_to(ROOT)))
    assert not unshipped, f"add package-data patterns for: {unshipped}"
