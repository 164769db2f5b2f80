"""The README is the contract: every environment variable the settings and the
gunicorn configuration read is in its Configuration table, and the table names
nothing that nobody reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(
    r"""(?:env_[a-z_]+\(\s*|os\.environ(?:\.get)?[\[(]\s*|getenv\(\s*)["']([A-Z][A-Z0-9_]+)["']"""
)
NAME = re.compile(r"`([A-Z][A-Z0-9_]+)`")
# Read by Django's createsuperuser, not by our code (the README says so).
ELSEWHERE = {
    "DJANGO_SUPERUSER_USERNAME",
    "DJANGO_SUPERUSER_EMAIL",
    "DJANGO_SUPERUSER_PASSWORD",
}


def names_read() -> set[str]:
    sources = [ROOT / "gunicorn.conf.py", *sorted((ROOT / "movie_api").glob("*.py"))]
    found = set()
    for source in sources:
        found |= set(READ.findall(source.read_text()))
    return found


def table_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    return [
        line.split("|")[1:] for line in section.splitlines() if line.startswith("| `")
    ]


def names_documented() -> set[str]:
    """Every name a row of the table shows, in its first cell or its text."""
    return {name for row in table_rows() for name in NAME.findall("|".join(row))}


def names_in_first_cells() -> set[str]:
    return {name for row in table_rows() for name in NAME.findall(row[0])}


def test_every_setting_read_is_documented():
    missing = names_read() - names_documented()
    assert not missing, f"settings read but not in the README table: {sorted(missing)}"


def test_every_documented_setting_is_read():
    stale = names_in_first_cells() - names_read() - ELSEWHERE
    assert not stale, f"README settings nobody reads: {sorted(stale)}"
