"""The plan form: HTML fields ⇄ the plan.yaml-shaped document the library's own checks read."""
from __future__ import annotations

import re

import yaml

from planner.library_writer import dump_yaml

# Text fields typed as they are written in plan.yaml.
TEXT_FIELDS = ("code", "number", "issuer", "unit", "place", "issued_on", "title", "summary", "starts_on", "ends_on",
               "period_rule")
# details lists of one line each, and the structured lists edited as YAML.
LINE_LISTS = ("purposes", "requirements", "funding")
YAML_LISTS = ("indicators", "duties", "deadlines", "reporting")
SIGNER_FIELDS = ("on_behalf", "title", "position", "name")
# The Decree 30 header and signer of the plan's reports (top-level plan.yaml keys): form field → document key.
# The report signer's fields carry a prefix: signer_title/signer_name are the plan's own signer (details.signer).
REPORT_FIELDS = {"governing_body": "governing_body", "issuing_body": "issuing_body",
                 "issuer_abbreviation": "issuer_abbreviation", "signer_authority": "signer_authority",
                 "report_signer_title": "signer_title", "report_signer_name": "signer_name"}
FORM_FIELDS = (*TEXT_FIELDS, "audiences", "themes", "channels", *LINE_LISTS, *YAML_LISTS,
               *(f"signer_{k}" for k in SIGNER_FIELDS), *REPORT_FIELDS)


def form_from_document(doc: dict) -> dict:
    """Form values (strings, and a list for channels) from a plan document."""
    details = doc.get("details") or {}
    form = {k: "" if doc.get(k) is None else str(doc.get(k)) for k in TEXT_FIELDS}
    form |= {name: str(doc.get(key) or "") for name, key in REPORT_FIELDS.items()}
    form["replan_missed"] = bool(doc.get("replan_missed"))
    for key in ("audiences", "themes"):
        form[key] = "\n".join(f"{item['code']}: {item['name']}" for item in doc.get(key) or [])
    form["channels"] = list(doc.get("channels") or [])
    for key in LINE_LISTS:
        form[key] = "\n".join(str(v) for v in details.get(key) or [])
    for key in YAML_LISTS:
        form[key] = dump_yaml(details[key]) if details.get(key) else ""
    signer = details.get("signer") or {}
    for key in SIGNER_FIELDS:
        form[f"signer_{key}"] = signer.get(key, "")
    return form


def document_from_form(form, base: dict | None = None) -> tuple[dict, dict[str, str]]:
    """(plan document, field errors found while parsing) from the posted form; `base` keeps other details."""
    errors: dict[str, str] = {}
    doc = {k: form.get(k, "").strip() for k in TEXT_FIELDS if form.get(k, "").strip()}
    doc |= {key: form.get(name, "").strip() for name, key in REPORT_FIELDS.items() if form.get(name, "").strip()}
    doc["replan_missed"] = form.get("replan_missed") == "1"
    for key in ("audiences", "themes"):
        doc[key] = _code_names(form.get(key, ""), key, errors)
    doc["channels"] = [c for c in form.getlist("channels")] if hasattr(form, "getlist") else form.get("channels", [])
    details = dict((base or {}).get("details") or {})
    for key in LINE_LISTS:
        lines = [line.strip() for line in form.get(key, "").splitlines() if line.strip()]
        details.pop(key, None)
        if lines:
            details[key] = lines
    for key in YAML_LISTS:
        details.pop(key, None)
        value = _yaml_list(form.get(key, ""), key, errors)
        if value:
            details[key] = value
    signer = {k: form.get(f"signer_{k}", "").strip() for k in SIGNER_FIELDS if form.get(f"signer_{k}", "").strip()}
    details.pop("signer", None)
    if signer:
        details["signer"] = signer
    doc["details"] = details
    if (base or {}).get("notes"):
        doc["notes"] = base["notes"]
    return doc, errors


def _code_names(text: str, key: str, errors: dict) -> list[dict]:
    """'code: name' lines → [{code, name}]."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        code, sep, name = line.partition(":")
        if not sep:
            errors.setdefault(key, f"Dòng {number}: cần dạng 'mã: tên' (ví dụ 'nguoi-dan: Người dân').")
            continue
        items.append({"code": code.strip(), "name": name.strip()})
    return items


def _yaml_list(text: str, key: str, errors: dict) -> list | None:
    if not text.strip():
        return None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"dòng {mark.line + 1}: " if mark else ""
        errors[key] = f"Lỗi cú pháp YAML ({where}{getattr(exc, 'problem', exc)})."
        return None
    if not isinstance(value, list):
        errors[key] = "Phải là một danh sách YAML (mỗi mục bắt đầu bằng '- ')."
        return None
    return _dates_as_text(value)


def _dates_as_text(value):
    """YAML turns 2026-04-15 into a date: the library reads dd/mm/yyyy text, so keep what people typed as text."""
    if isinstance(value, dict):
        return {str(k): _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if hasattr(value, "isoformat") and not isinstance(value, (int, float, str)):
        return value.isoformat()
    return value


_PATH = re.compile(r"^(?:details\.)?([a-z_]+)")


def form_errors(problem_fields: dict[str, str]) -> dict[str, str]:
    """The library's problems (field paths like 'details.indicators[2].target') grouped by form field."""
    out: dict[str, list[str]] = {}
    by_key = {key: name for name, key in REPORT_FIELDS.items()}
    for path, reason in problem_fields.items():
        match = _PATH.match(path)
        name = match.group(1) if match else "form"
        if path in by_key:                      # a top-level report header key, not details.signer
            name = by_key[path]
        elif name == "signer":
            name = "signer_title"
        if name not in FORM_FIELDS:
            name = "form"
        out.setdefault(name, []).append(reason if path in (name, REPORT_FIELDS.get(name)) else f"{path}: {reason}")
    return {k: "; ".join(v) for k, v in out.items()}
