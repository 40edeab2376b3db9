"""Reading time of a loudspeaker script: syllables at a reading rate plus a pause per sentence."""
from __future__ import annotations

import math
import re

# A sentence ends at . ! ? … ; followed by a space or the end, or at a line break
# (a dot inside "15.4" or "1.000" does not end a sentence).
_SENTENCE_END = re.compile(r"[.!?…;]+(?=\s|$)|\n")


def count_syllables(text: str) -> int:
    """Vietnamese syllables ≈ whitespace-separated tokens that hold a letter or digit."""
    return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))


def count_sentences(text: str) -> int:
    """Sentences = non-empty pieces between sentence ends and line breaks."""
    return sum(1 for piece in _SENTENCE_END.split(text) if any(ch.isalnum() for ch in piece))


def estimate_duration(text: str, *, rate_spm: float = 190, pause_s: float = 1.0) -> int:
    """Seconds to read `text` aloud: syllables / rate + pause per sentence, rounded up."""
    if rate_spm <= 0 or pause_s < 0:
        raise ValueError("Tốc độ đọc phải dương và thời gian nghỉ không được âm")
    seconds = count_syllables(text) * 60.0 / rate_spm + count_sentences(text) * pause_s
    return math.ceil(round(seconds, 6))


def message_duration(text: str, measured_s: float | None = None, *, rate_spm: float = 190,
                     pause_s: float = 1.0) -> int:
    """A measured audio duration when there is one (rounded up), else the script's estimate."""
    if measured_s is not None:
        if measured_s < 0:
            raise ValueError("Thời lượng đo được không được âm")
        return math.ceil(measured_s)
    return estimate_duration(text, rate_spm=rate_spm, pause_s=pause_s)
