"""Write plans and messages back in the library format (plan.yaml, messages/*.md, units.yaml); pure."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml

_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})( \d{1,2}:\d{2})?$")


def vn_date(value: dt.date | str | None) -> str | None:
    """A date (or an ISO date string) as dd/mm/yyyy, as the library writes dates."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def shift_dates(value, days: int):
    """A copy of a plan/message document with every full dd/mm/yyyy[ HH:MM] value moved by `days`.

    Yearly dd/mm dates and dates inside free text stay as written (they are not full values).
    """
    if isinstance(value, dict):
        return {k: shift_dates(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [shift_dates(v, days) for v in value]
    if isinstance(value, str):
        match = _DATE.match(value.strip())
        if match:
            day = dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1))) + dt.timedelta(days=days)
            return day.strftime("%d/%m/%Y") + (match.group(4) or "")
    return value


class _Dumper(yaml.SafeDumper):
    """Block-style YAML that keeps Vietnamese text readable and long lines intact."""


def _str(dumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data) -> str:
    """YAML text for a plan, a units list or front matter (keys in the order given)."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000,
                     default_flow_style=False)


def message_text(front: dict, body: str) -> str:
    """A message file: YAML front matter, then the Markdown body."""
    return f"---\n{dump_yaml(front)}---\n\n{body.strip()}\n"


def write_bundle(root: Path, *, plan: dict, messages: list[tuple[dict, str]], units: list[dict],
                 windows: dict | None = None) -> Path:
    """Write one plan as a library folder: root/units.yaml, root/plans/<code>/plan.yaml and messages/, and
    (when given) root/schedules/windows.yaml, which `planner import root` reads along."""
    root = Path(root)
    folder = root / "plans" / plan["code"]
    (folder / "messages").mkdir(parents=True, exist_ok=True)
    if units:
        (root / "units.yaml").write_text(dump_yaml({"units": units}), encoding="utf-8")
    (folder / "plan.yaml").write_text(dump_yaml(plan), encoding="utf-8")
    if windows:
        (root / "schedules").mkdir(exist_ok=True)
        (root / "schedules" / "windows.yaml").write_text(dump_yaml(windows), encoding="utf-8")
    for front, body in messages:
        (folder / "messages" / f"{front['code']}.md").write_text(message_text(front, body), encoding="utf-8")
    return folder
