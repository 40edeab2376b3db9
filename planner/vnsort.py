"""Vietnamese natural sort order: Đ after D, Ă/Â after A, tones after the bare letter, Thôn 2 before Thôn 10."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining marks that make a separate letter of the alphabet (ă, â, ê, ô, ơ, ư), in alphabet order.
_LETTER_MARKS = {"\u0306": 1, "\u0302": 2, "\u031b": 3}
# Tone marks, in the order dictionaries use: ngang, huyền, sắc, hỏi, ngã, nặng.
_TONE_MARKS = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
_PARTS = re.compile(r"(\d+)")


def _word_key(text: str) -> tuple:
    letters: list[tuple[str, int]] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        if ch in _LETTER_MARKS and letters:
            base, _ = letters[-1]
            letters[-1] = (base, _LETTER_MARKS[ch])
        elif ch in _TONE_MARKS:
            tones[-1:] = [_TONE_MARKS[ch]]
        elif unicodedata.combining(ch):
            continue
        elif ch == "đ":
            letters.append(("d", 9))
            tones.append(0)
        else:
            letters.append((ch, 0))
            tones.append(0)
    return tuple(letters), tuple(tones)


@lru_cache(maxsize=16384)  # a pure function of the text; pages sort the same unit names again and again
def vietnamese_key(name: str) -> tuple:
    """Sort key: letters in Vietnamese alphabet order, numbers by value, tones only to break ties."""
    primary, secondary = [], []
    for part in _PARTS.split(name.strip()):
        if not part:
            continue
        if part.isdigit():
            primary.append((1, int(part), ()))
            secondary.append(())
        else:
            letters, tones = _word_key(part)
            primary.append((0, 0, letters))
            secondary.append(tones)
    return tuple(primary), tuple(secondary), name
