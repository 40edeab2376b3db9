"""An invisible reference in every online post, so the worker can later ask the platform "is it there?".

The delivery id is written in base 4 with zero-width characters between two invisible separators
(U+2063) at the end of the post's first line: readers see nothing, the platform keeps the text, and
listing a page's posts shows which deliveries really arrived. Only for reconciliation — the text
the editor previews is the post without it (`strip_marker`).
"""
from __future__ import annotations

import re

DIGITS = "\u200b\u200c\u200d\u2060"   # zero width space / non-joiner / joiner, word joiner: 0–3
FENCE = "\u2063"                      # invisible separator
_FOUND = re.compile(f"{FENCE}([{DIGITS}]+){FENCE}")


def marker(reference: int) -> str:
    """The invisible marker of delivery `reference` (a positive integer)."""
    if reference < 0:
        raise ValueError("reference must not be negative")
    digits = ""
    while True:
        reference, digit = divmod(reference, 4)
        digits = DIGITS[digit] + digits
        if not reference:
            return FENCE + digits + FENCE


def with_marker(text: str, reference: int | None) -> str:
    """`text` with the marker at the end of its first line (unchanged when there is no reference)."""
    if reference is None:
        return text
    first, newline, rest = text.partition("\n")
    return first + marker(reference) + newline + rest


def find_markers(text: str) -> list[int]:
    """The references marked in `text` (normally one)."""
    found = []
    for match in _FOUND.finditer(text or ""):
        value = 0
        for char in match.group(1):
            value = value * 4 + DIGITS.index(char)
        found.append(value)
    return found


def strip_marker(text: str) -> str:
    """`text` without markers: what the reader sees and what the editor previewed."""
    return _FOUND.sub("", text or "")
