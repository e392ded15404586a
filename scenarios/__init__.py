"""Bundled scenarios (data package; see pyproject.toml)."""
