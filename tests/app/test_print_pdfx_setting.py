"""The worker's proofs are PDF/X-4 by default and PDF/X-1a when the setting asks; the CLI can choose too."""
from __future__ import annotations

import io

import pikepdf
import pytest
from sqlalchemy import select

from planner.models import PrintOrder
from tests.app import factories as f
from tests.app.test_print_orders import place_order, proof_dir, run_worker


def _proof(app, db, order_id):
    db.expire_all()
    order = db.get(PrintOrder, order_id)
    return order, pikepdf.open(io.BytesIO((proof_dir(app) / order.proof_file).read_bytes()))


def test_worker_proof_is_pdfx4_with_the_output_intent_named_in_the_preflight(app, login, db):
    order = place_order(login("vanhoa"), db, f.message(db, "ngoc-lac-asxh-2026", "bang-ron-tich-hop").approved,
                        product="flag_06x2")
    run_worker(app)
    order, pdf = _proof(app, db, order.id)
    assert pdf.Root.OutputIntents[0].DestOutputProfile.N == 4 and pdf.pdf_version == "1.6"
    assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4<" in pdf.Root.Metadata.read_bytes()
    assert "PDF/X-4 với hồ sơ màu CMYK FOGRA39" in order.proof_checks and "ArtBox" in order.proof_checks


def test_worker_proof_is_pdfx1a_when_the_setting_asks(app, login, db):
    app.config["PRINT_PDF_VARIANT"] = "pdf/x-1a"
    order = place_order(login("vanhoa"), db, f.message(db, "ngoc-lac-asxh-2026", "bang-ron-tich-hop").approved,
                        product="flag_06x2")
    run_worker(app)
    order, pdf = _proof(app, db, order.id)
    assert str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-1a:2003" and pdf.pdf_version == "1.4"
    assert "PDF/X-1a:2003 với hồ sơ màu CMYK FOGRA39" in order.proof_checks


def test_cli_render_writes_the_variant_asked_for(app, login, db, tmp_path):
    order = place_order(login("vanhoa"), db, f.message(db, "ngoc-lac-asxh-2026", "bang-ron-tich-hop").approved,
                        product="flag_06x2")
    out = tmp_path / "don.pdf"
    result = app.test_cli_runner().invoke(args=["render", str(order.id), "-o", str(out), "--pdf-variant", "pdf/x-1a"])
    assert result.exit_code == 0, result.output
    assert str(pikepdf.open(out).docinfo.GTS_PDFXVersion) == "PDF/X-1a:2003"
    bad = app.test_cli_runner().invoke(args=["render", str(order.id), "--pdf-variant", "pdf/x-3"])
    assert bad.exit_code != 0 and "pdf/x-3" in bad.output
    assert db.scalar(select(PrintOrder).where(PrintOrder.id == order.id)) is not None


def test_an_unknown_variant_setting_is_refused_at_start_and_the_lists_agree():
    from planner import pdfx
    from planner.config import PDF_VARIANTS, load_config

    assert set(PDF_VARIANTS) == set(pdfx.VARIANTS)
    with pytest.raises(ValueError, match="PLANNER_PRINT_PDF_VARIANT"):
        load_config({"PRINT_PDF_VARIANT": "pdf/x-3"})
    assert load_config()["PRINT_PDF_VARIANT"] == "pdf/x-4"
