"""docs/formats.md describes exactly the fields the library loader accepts: no more, no fewer."""
from __future__ import annotations

import re
from pathlib import Path

from planner.library import format_fields

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


def documented_fields() -> dict[str, set[str]]:
    """The first-column names of the table after each `<!-- fields: ID -->` marker."""
    sections, current = {}, None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        marker = re.fullmatch(r"<!-- fields: ([\w-]+) -->", line.strip())
        if marker:
            current = sections.setdefault(marker.group(1), set())
        elif current is not None and line.startswith("|"):
            name = re.match(r"\|\s*`([^`]+)`", line)
            if name:
                current.add(name.group(1))
        elif current is not None and not line.strip().startswith("|"):
            current = None if current else current
    return sections


def test_every_field_list_of_the_loader_has_its_table_in_the_format_document():
    assert set(documented_fields()) == set(format_fields())


def test_each_table_lists_exactly_the_fields_the_loader_accepts():
    documented = documented_fields()
    for section, accepted in format_fields().items():
        assert documented[section] == set(accepted), (
            f"{section}: accepted but undocumented {sorted(set(accepted) - documented[section])}, "
            f"documented but refused {sorted(documented[section] - set(accepted))}")
