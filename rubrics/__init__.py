"""Bundled rubric (data package; see pyproject.toml)."""
