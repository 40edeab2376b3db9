"""Job-ticket defaults and validation, and the split of a print run over villages by households."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

from planner.print_ticket import (OPTIONS_NOT_OFFERED, finishing_labels, parse_banner_options, parse_ticket,
                                  split_by_households, ticket_defaults, with_banner_options)

TODAY = dt.date(2026, 4, 1)


def test_split_by_households_uses_largest_remainder_and_sums_to_the_quantity():
    shares, by_households = split_by_households(100, [(1, 10), (2, 20), (3, 30)])
    assert by_households is True
    # exact 16.67 / 33.33 / 50: the largest remainder (.67) takes the leftover copy
    assert shares == [(1, 17), (2, 33), (3, 50)]
    assert sum(q for _, q in shares) == 100


def test_split_falls_back_to_equal_shares_when_a_household_count_is_unknown():
    shares, by_households = split_by_households(10, [(1, 120), (2, None), (3, 80)])
    assert by_households is False
    assert shares == [(1, 4), (2, 3), (3, 3)]


def test_split_of_fewer_copies_than_villages_still_sums_to_the_quantity():
    shares, _ = split_by_households(2, [(n, 50) for n in range(5)])
    assert [q for _, q in shares] == [1, 1, 0, 0, 0]


def test_split_over_no_villages_is_empty():
    assert split_by_households(500, []) == ([], False)


def test_banner_defaults_are_hiflex_with_hems_and_grommets_and_leaflets_print_both_sides():
    banner, leaflet = ticket_defaults("banner_09x6"), ticket_defaults("leaflet_a5")
    assert (banner.paper, banner.colours, banner.finishing) == ("hiflex", "4/0", ("hems", "grommets"))
    assert (leaflet.paper, leaflet.paper_gsm, leaflet.colours) == ("couche", 150, "4/4")


def test_parse_ticket_fills_product_defaults_and_reads_a_vietnamese_date():
    values, errors = parse_ticket("banner_09x6", {"delivery_date": "15/04/2026", "contact": "Chị Lan 0912"},
                                  today=TODAY)
    assert errors == {}
    assert values["paper"] == "hiflex" and values["finishing"] == "hems,grommets"
    assert values["delivery_date"] == dt.date(2026, 4, 15) and values["contact"] == "Chị Lan 0912"


def test_parse_ticket_rejects_unknown_paper_colours_finishing_and_a_past_date():
    _, errors = parse_ticket("leaflet_a5", {"paper": "gold", "paper_gsm": "5", "colours": "6/6",
                                            "finishing": ["trim", "laser"], "delivery_date": "31/03/2026"},
                             today=TODAY)
    assert set(errors) == {"paper", "paper_gsm", "colours", "finishing", "delivery_date"}
    assert "laser" in errors["finishing"] and "quá khứ" in errors["delivery_date"]


def test_parse_ticket_rejects_an_impossible_date():
    _, errors = parse_ticket("leaflet_a5", {"delivery_date": "31/02/2026"}, today=TODAY)
    assert "dd/mm/yyyy" in errors["delivery_date"]


def test_banner_options_are_read_for_banners_and_flags_and_refused_elsewhere():
    assert parse_banner_options("banner_09x6", "banner", {"hem_cm": "3", "grommet_every_cm": 50}) == (
        {"hem_cm": 3, "grommet_every_cm": 50}, {})
    assert parse_banner_options("flag_06x2", "banner", {}) == ({"hem_cm": 0, "grommet_every_cm": 0}, {})
    assert parse_banner_options("custom", "banner", {"hem_cm": 2})[1] == {}           # a custom-size slogan
    for product, channel in (("leaflet_trifold_a4", "leaflet"), ("poster_a2", "banner"), ("custom", "poster")):
        assert parse_banner_options(product, channel, {"grommet_every_cm": 50})[1] == {
            "grommet_every_cm": OPTIONS_NOT_OFFERED}
    values, errors = parse_banner_options("banner_09x6", "banner", {"hem_cm": 6, "grommet_every_cm": 201})
    assert values == {"hem_cm": 0, "grommet_every_cm": 0} and set(errors) == {"hem_cm", "grommet_every_cm"}
    assert set(parse_banner_options("banner_09x6", "banner", {"hem_cm": True, "grommet_every_cm": "-5"})[1]) == {
        "hem_cm", "grommet_every_cm"}


def test_finishing_names_the_hem_and_grommet_sizes_and_the_roll_fold():
    codes = with_banner_options("trim", 3, 50)
    assert codes == "trim,hems,grommets"
    assert finishing_labels(codes, 3, 50) == ["Xén", "May viền 3 cm", "Khoen mỗi 50 cm"]
    assert finishing_labels("hems,grommets") == ["May/dán viền", "Đóng khoen (ô-dê)"]  # no sizes given
    assert ticket_defaults("leaflet_trifold_a4").finishing == ("trim", "fold_roll")
    assert finishing_labels("trim,fold_roll") == ["Xén", "Gấp 3 (cuộn)"]


def test_print_ticket_imports_neither_flask_nor_sqlalchemy():
    code = "import sys, planner.print_ticket; print('flask' in sys.modules or 'sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
