"""Loudspeaker channel: a plain script read (or played) at commune/village slots (broadcast)."""
from __future__ import annotations

import math
import re

from planner.channels.base import Channel, ContentItem, require_text

MAX_SECONDS = 15 * 60  # longest bulletin a slot holds (Hà Nội urban rule: ≤ 15 minutes)
DEFAULT_RATE_SPM = 190  # syllables per minute (assumption, see domain notes §3)
DEFAULT_PAUSE_S = 1.0
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)")
_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MARKS = re.compile(r"[*_`~\[\]]|\(\S*\)")


def estimate_seconds(text: str, rate_spm: float = DEFAULT_RATE_SPM,
                     pause_s: float = DEFAULT_PAUSE_S) -> int:
    """Seconds needed to read `text` aloud (the scheduling core's formula when it exists)."""
    core = _core_estimate()
    if core is not None:
        try:
            value = core(text, rate_spm=rate_spm, pause_s=pause_s)
        except TypeError:  # a different signature: fall back rather than guess arguments
            value = None
        if value is not None:
            seconds = value.total_seconds() if hasattr(value, "total_seconds") else float(value)
            return int(math.ceil(seconds))
    return local_estimate_seconds(text, rate_spm, pause_s)


def local_estimate_seconds(text: str, rate_spm: float = DEFAULT_RATE_SPM,
                           pause_s: float = DEFAULT_PAUSE_S) -> int:
    """Whitespace tokens (≈ Vietnamese syllables) ÷ rate × 60 + a pause per sentence."""
    tokens = len((text or "").split())
    if tokens == 0:
        return 0
    sentences = max(1, len(_SENTENCE_END.findall(text)))
    return int(math.ceil(tokens / float(rate_spm) * 60 + pause_s * sentences))


def _core_estimate():
    """`planner.scheduling.estimate_duration` if the scheduling core provides it (one formula)."""
    try:
        from planner.scheduling import estimate_duration
    except ImportError:
        return None
    return estimate_duration


class LoudspeakerChannel(Channel):
    """A script for the loudspeaker roster; broadcasts are confirmed by people, not by an API."""

    code = "loudspeaker"
    label = "Loa truyền thanh"
    kind = "broadcast"

    def __init__(self, rate_spm: float = DEFAULT_RATE_SPM,
                 pause_s: float = DEFAULT_PAUSE_S) -> None:
        self.rate_spm = rate_spm
        self.pause_s = pause_s

    def validate(self, item: ContentItem) -> list[str]:
        """A non-empty script that fits one slot (≤ 15 minutes read or played)."""
        problems = require_text(item, "Kịch bản phát thanh")
        if problems:
            return problems
        seconds = self.duration_seconds(item)
        if seconds > MAX_SECONDS:
            problems.append(
                f"Thời lượng ước tính {_mmss(seconds)} vượt mức tối đa {_mmss(MAX_SECONDS)} "
                "cho một buổi phát."
            )
        return problems

    def duration_seconds(self, item: ContentItem) -> int:
        """The audio's own length when there is one, else the reading estimate of the script."""
        if item.audio_seconds is not None:
            return int(item.audio_seconds)
        return estimate_seconds(self.render(item), self.rate_spm, self.pause_s)

    def render(self, item: ContentItem) -> str:
        """The plain script text, without the Markdown headings (they are not read aloud)."""
        headings = {_normalise(m.group(1)) for line in (item.body_md or "").splitlines()
                    if (m := _ATX_HEADING.match(line))}
        lines = [line.strip() for line in (item.plain_text or "").splitlines()]
        return "\n".join(line for line in lines if line and _normalise(line) not in headings)


def _normalise(text: str) -> str:
    return " ".join(_MARKS.sub("", text).split()).casefold()


def _mmss(seconds: int) -> str:
    return f"{seconds // 60} phút {seconds % 60:02d} giây"
