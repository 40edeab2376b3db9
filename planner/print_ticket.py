"""Pure job-ticket rules: paper, colours, finishing and their defaults per product; the split by households.

No Flask, no database: operations pass plain values in and store what comes out.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PAPERS = {
    "couche": "Giấy couché",
    "offset": "Giấy offset (Ford)",
    "bristol": "Giấy bristol",
    "hiflex": "Bạt hiflex",
    "silk": "Vải lụa (phướn)",
}
COLOURS = {"4/0": "4/0 – in màu một mặt", "4/4": "4/4 – in màu hai mặt", "1/0": "1/0 – in đen một mặt",
           "1/1": "1/1 – in đen hai mặt"}
FINISHING = {
    "trim": "Xén",
    "fold_half": "Gấp đôi",
    "fold_roll": "Gấp 3 (cuộn)",
    "hems": "May/dán viền",
    "grommets": "Đóng khoen (ô-dê)",
    "pole_pocket": "May ống luồn cán",
}
MAX_TEXT = 300
# Banner options on the order: a sewn hem (added on every side of the finished size) and grommets.
HEM_CHOICES_CM = (0, 2, 3, 4, 5)
GROMMET_MIN_CM, GROMMET_MAX_CM = 20, 200
GROMMET_CHOICES_CM = (30, 50, 75, 100)  # offered on the form; the API takes any spacing of 20–200 cm
OPTIONS_NOT_OFFERED = "Viền may và khoen chỉ dành cho băng rôn và cờ phướn."


@dataclass(frozen=True)
class TicketDefaults:
    paper: str
    paper_gsm: int
    colours: str
    finishing: tuple[str, ...]


def ticket_defaults(product: str) -> TicketDefaults:
    """What a print shop expects for a product unless the orderer says otherwise."""
    if product.startswith("banner"):
        return TicketDefaults("hiflex", 440, "4/0", ("hems", "grommets"))
    if product.startswith("flag"):
        return TicketDefaults("silk", 90, "4/0", ("hems", "pole_pocket"))
    if product.startswith("poster"):
        return TicketDefaults("couche", 150, "4/0", ("trim",))
    if product == "leaflet_trifold_a4":
        return TicketDefaults("couche", 150, "4/4", ("trim", "fold_roll"))
    if product.startswith("leaflet"):
        return TicketDefaults("couche", 150, "4/4", ("trim",))
    return TicketDefaults("couche", 150, "4/0", ("trim",))


def sides(colours: str) -> int:
    """1 for '4/0', 2 for '4/4'."""
    return 1 if colours.endswith("/0") else 2


def parse_ticket(product: str, data: dict, *, today: dt.date) -> tuple[dict, dict[str, str]]:
    """The ticket fields from a form or JSON body, defaults filled in; (values, errors by field)."""
    base = ticket_defaults(product)
    errors: dict[str, str] = {}
    paper = str(data.get("paper") or base.paper).strip()
    if paper not in PAPERS:
        errors["paper"] = "Loại giấy không hợp lệ."
    gsm_text = str(data.get("paper_gsm") or base.paper_gsm).strip()
    gsm = int(gsm_text) if re.fullmatch(r"\d{2,4}", gsm_text) else 0
    if not 40 <= gsm <= 1000:
        errors["paper_gsm"] = "Định lượng giấy phải là số nguyên từ 40 đến 1000 g/m²."
    colours = str(data.get("colours") or base.colours).strip()
    if colours not in COLOURS:
        errors["colours"] = "Số màu phải là 4/0, 4/4, 1/0 hoặc 1/1."
    finishing = _finishing(data.get("finishing"), base.finishing, errors)
    delivery_date = _date(data.get("delivery_date"), today, errors)
    address = str(data.get("delivery_address") or "").strip()
    contact = str(data.get("contact") or "").strip()
    for field, value in (("delivery_address", address), ("contact", contact)):
        if len(value) > MAX_TEXT:
            errors[field] = f"Tối đa {MAX_TEXT} ký tự."
    return {"paper": paper, "paper_gsm": gsm, "colours": colours, "finishing": ",".join(finishing),
            "delivery_date": delivery_date, "delivery_address": address, "contact": contact}, errors


def takes_banner_options(product: str, channel: str) -> bool:
    """Hems and grommets are offered for banners and flags (and a custom-size slogan), nothing else."""
    return product.startswith(("banner", "flag")) or (product == "custom" and channel == "banner")


def parse_banner_options(product: str, channel: str, data: dict) -> tuple[dict, dict[str, str]]:
    """`hem_cm` and `grommet_every_cm` (0 = none) from a form or JSON body; (values, errors by field).

    Either one on a product that is not a banner or flag is refused with OPTIONS_NOT_OFFERED.
    """
    errors: dict[str, str] = {}
    hem = _whole(data.get("hem_cm"))
    if hem not in HEM_CHOICES_CM:
        errors["hem_cm"] = "Viền may phải là " + ", ".join(map(str, HEM_CHOICES_CM[:-1])) + \
            f" hoặc {HEM_CHOICES_CM[-1]} cm."
        hem = 0
    every = _whole(data.get("grommet_every_cm"))
    if every is None or (every and not GROMMET_MIN_CM <= every <= GROMMET_MAX_CM):
        errors["grommet_every_cm"] = (f"Khoảng cách khoen phải từ {GROMMET_MIN_CM} đến {GROMMET_MAX_CM} cm "
                                      "(0: không đóng khoen).")
        every = 0
    if (hem or every) and not takes_banner_options(product, channel):
        errors["hem_cm" if hem else "grommet_every_cm"] = OPTIONS_NOT_OFFERED
    return {"hem_cm": hem, "grommet_every_cm": every}, errors


def with_banner_options(finishing: str, hem_cm: int, grommet_every_cm: int) -> str:
    """The finishing codes with 'hems'/'grommets' added when the order asks for them."""
    codes = [c for c in finishing.split(",") if c]
    extra = [code for code, value in (("hems", hem_cm), ("grommets", grommet_every_cm)) if value]
    return ",".join(c for c in FINISHING if c in codes or c in extra)


def _whole(value) -> int | None:
    """0 for nothing given, the number for digits (or an int), None for anything else."""
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"\d{1,4}", text) else None


def _finishing(value, default: tuple[str, ...], errors: dict[str, str]) -> list[str]:
    if value is None:
        return list(default)
    items = value if isinstance(value, (list, tuple)) else [s for s in str(value).split(",")]
    codes = [str(s).strip() for s in items if str(s).strip()]
    unknown = [c for c in codes if c not in FINISHING]
    if unknown:
        errors["finishing"] = f"Gia công không hợp lệ: {', '.join(unknown[:3])}."
    return [c for c in FINISHING if c in codes]  # a stable order, no duplicates


def _date(value, today: dt.date, errors: dict[str, str]) -> dt.date | None:
    text = str(value or "").strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text) or re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    try:
        if match is None:
            raise ValueError
        parts = [int(p) for p in match.groups()]
        date = dt.date(*parts) if len(match.group(1)) == 4 else dt.date(parts[2], parts[1], parts[0])
    except ValueError:
        errors["delivery_date"] = "Ngày giao không hợp lệ (dd/mm/yyyy)."
        return None
    if date < today:
        errors["delivery_date"] = "Ngày giao không được ở trong quá khứ."
    return date


def finishing_labels(codes: str, hem_cm: int = 0, grommet_every_cm: int = 0) -> list[str]:
    """'trim,hems,grommets' → ['Xén', 'May viền 3 cm', 'Khoen mỗi 50 cm'] (sizes when the order gives them)."""
    sized = {"hems": f"May viền {hem_cm} cm" if hem_cm else "",
             "grommets": f"Khoen mỗi {grommet_every_cm} cm" if grommet_every_cm else ""}
    return [sized.get(c) or FINISHING.get(c, c) for c in codes.split(",") if c]


def split_by_households(quantity: int, villages: list[tuple[int, int | None]]) -> tuple[list[tuple[int, int]], bool]:
    """Split `quantity` over (id, households) by households, largest remainder first; sums to quantity.

    When any village lacks a household count (or all are zero) the split is equal shares, and the
    second value is False so the caller can say so. Ties in the remainder go to the earlier village.
    """
    if not villages:
        return [], False
    by_households = all(h for _, h in villages)
    weights = [h if by_households else 1 for _, h in villages]
    total = sum(weights)
    exact = [quantity * w / total for w in weights]
    shares = [int(x) for x in exact]
    left = quantity - sum(shares)
    order = sorted(range(len(villages)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return [(vid, share) for (vid, _), share in zip(villages, shares)], by_households
