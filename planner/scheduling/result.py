"""ScheduleResult: placements kept columnar per group of identical targets, expanded lazily."""
from __future__ import annotations

from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime

from planner.scheduling.calendar import TZ, fmt_day, fmt_span, to_epoch, to_utc
from planner.scheduling.report import TARGET, title_of
from planner.scheduling.specs import PRIORITY_LABEL, Placement, ScheduleIssue

COLUMNS = ("target_id", "message_id", "session_start", "offset_s", "duration_s")


@dataclass
class Block:
    """The placement shared by targets with the same grids, messages and fixed items."""

    target_ids: list[int]
    message_id: array
    session_start: array
    offset_s: array
    duration_s: array
    reasons: list[tuple]
    issues: list[tuple]
    session_count: int = 0
    _index: dict | None = field(default=None, init=False, repr=False, compare=False)
    _texts: list[str] | None = field(default=None, init=False, repr=False, compare=False)

    def find(self, message_id: int, epoch: int) -> int:
        """Row of a placement of `message_id` in the session starting at `epoch`, or -1."""
        if self._index is None:
            self._index = {key: row for row, key in enumerate(zip(self.message_id, self.session_start))}
        return self._index.get((message_id, epoch), -1)

    def texts(self, messages: dict) -> list[str]:
        """The explanation of every row, computed once for all targets of the block."""
        if self._texts is None:
            starts: dict[int, list[int]] = {}
            for mid, start in zip(self.message_id, self.session_start):
                starts.setdefault(mid, []).append(start)    # rows are in time order
            self._texts = [_explain(self, row, messages[mid], starts[mid])
                           for row, mid in enumerate(self.message_id)]
        return self._texts


class ScheduleResult:
    """Placements and the exception report; `columns()` is the cheap bulk form."""

    def __init__(self, blocks: list[Block], messages: dict, labels: dict[int, str], issues=()):
        self._blocks = blocks
        self._by_target = {tid: block for block in blocks for tid in block.target_ids}
        self._messages, self._labels = messages, labels
        self._extra = list(issues)
        self._columns: dict[str, array] | None = None
        self._placements: list[Placement] | None = None
        self._issues: list[ScheduleIssue] | None = None

    @property
    def groups(self) -> list[list[int]]:
        """Target ids that share one placement pattern (same grids, messages and fixed items)."""
        return [block.target_ids for block in self._blocks]

    @property
    def session_count(self) -> int:
        """Session instances expanded over all targets (future and past, off blackout days)."""
        return sum(block.session_count * len(block.target_ids) for block in self._blocks)

    def __len__(self) -> int:
        return sum(len(b.message_id) * len(b.target_ids) for b in self._blocks)

    def columns(self) -> dict[str, array]:
        """Columnar placements ordered by target, session, offset; session_start in epoch seconds."""
        if self._columns is None:
            cols = {name: array("q") for name in COLUMNS}
            for tid in sorted(self._by_target):
                block = self._by_target[tid]
                cols["target_id"].extend(array("q", [tid]) * len(block.message_id))
                for name in COLUMNS[1:]:
                    cols[name].extend(getattr(block, name))
            self._columns = cols
        return self._columns

    @property
    def placements(self) -> list[Placement]:
        """Placement objects, built on first use (slow for millions: prefer columns())."""
        if self._placements is None:
            cols, moments = self.columns(), {}
            self._placements = [
                Placement(tid, mid, moments.get(start) or moments.setdefault(start, to_utc(start)), off, dur)
                for tid, mid, start, off, dur in zip(*(cols[name] for name in COLUMNS))]
        return self._placements

    @property
    def issues(self) -> list[ScheduleIssue]:
        """Every issue, per target, built on first use."""
        if self._issues is None:
            issues = list(self._extra)
            for tid in sorted(self._by_target):
                label = self._labels.get(tid) or str(tid)
                issues.extend(ScheduleIssue(kind, mid, tid, day, detail.replace(TARGET, label))
                              for kind, mid, day, detail in self._by_target[tid].issues)
            self._issues = issues
        return self._issues

    def explain(self, placement: Placement) -> str:
        """Why this placement is where it is, in Vietnamese."""
        block = self._by_target.get(placement.target_id)
        row = block.find(placement.message_id, to_epoch(placement.session_start)) if block else -1
        return block.texts(self._messages)[row] if row >= 0 else "Không có lượt xếp này trong kết quả."

    def explanations(self) -> list[str]:
        """The explanation of each row of columns(), in the same order (strings shared per group)."""
        texts: list[str] = []
        for tid in sorted(self._by_target):
            texts.extend(self._by_target[tid].texts(self._messages))
        return texts


def _explain(block: Block, row: int, spec, starts: list[int]) -> str:
    """Rule, priority and session choice of one row."""
    return " ".join([_rule(spec, block.reasons[row]), _priority(spec), _session(block, row, spec, starts)])


def _rule(spec, reason: tuple) -> str:
    """The frequency rule that asked for this placement."""
    kind, ordinal, k, n = reason
    if kind == "peak":
        return (f"Ngày {fmt_day(date.fromordinal(ordinal))} thuộc đợt cao điểm: tin '{title_of(spec)}' "
                f"cần {n} lần/ngày, đây là lần {k}.")
    first = date.fromordinal(ordinal)
    return (f"Tần suất tối thiểu: tin '{title_of(spec)}' cần {n} lần trong tuần "
            f"{fmt_span(first, date.fromordinal(ordinal + 6))}, đây là lần {k}.")


def _priority(spec) -> str:
    """The priority class and what it means for order."""
    if spec.priority == "normal":
        return "Mức thông thường: xếp sau tin khẩn cấp và ưu tiên, lần lượt công bằng giữa các tin."
    return f"Mức {PRIORITY_LABEL[spec.priority]}: được xếp trước tin thông thường và phát đầu phiên."


def _session(block: Block, row: int, spec, starts: list[int]) -> str:
    """Which session was chosen and the separation kept."""
    epoch = block.session_start[row]
    local = datetime.fromtimestamp(epoch, TZ)
    text = (f"Chọn phiên {local:%H:%M} ngày {local:%d/%m/%Y}: phiên còn đủ chỗ và ít tải nhất trong "
            f"khoảng cho phép (xen kẽ sáng/chiều), phát ở giây thứ {block.offset_s[row]} của phiên.")
    j = bisect_left(starts, epoch)
    others = starts[max(j - 1, 0):j] + starts[j + 1:j + 2]
    if spec.min_gap_hours and others:
        nearest = min(abs(s - epoch) for s in others) / 3600
        text += f" Cách lần phát gần nhất {nearest:.0f} giờ (tối thiểu {spec.min_gap_hours} giờ)."
    return text
