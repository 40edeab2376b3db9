"""Benchmark: a print product through planner's pipeline against raw WeasyPrint and Chromium on the same
HTML, and the stored proof's re-download; prints JSON.

Run: python bench/print.py [--runs N]
- `leaflet`: the library leaflet (to-roi-6-buoc) as an A5 leaflet. `planner_s` is render_print_product
  (fit loop, layout preflight, PDF written); `raw_weasyprint_s` is WeasyPrint rendering and writing the
  HTML of the first fit (the one that is kept) with the same fonts; `chromium_s` is headless Chromium
  (Playwright, /usr/bin/chromium) printing that HTML with the fonts inlined. Medians of N warm runs.
- `proof_download`: a fresh SQLite app, one order whose proof the worker stored, then N downloads of
  the stored file by the print shop and N conditional re-downloads (If-None-Match → 304), in ms.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time as clock  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _median(fn, runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = clock.perf_counter()
        fn()
        times.append(clock.perf_counter() - started)
    return round(statistics.median(times), 4)


def leaflet(runs: int) -> dict:
    from planner import print_content as content
    from planner import print_documents as docs
    from planner import printing
    from planner.library import load_library
    from planner.markup import render_markdown

    message = next(m for m in load_library(ROOT / "content_library").messages if m.code == "to-roi-6-buoc")
    body_html = render_markdown(message.body_md)
    kwargs = dict(product="leaflet_a5", width_mm=None, height_mm=None, title=content.public_headline(message),
                  body_html=body_html, channel="leaflet",
                  meta={"issuer": "UBND xã Ngọc Lặc", "quantity": 500, "qr_url": "https://ngoclac.example.vn/"})
    html = printing.print_product_html(**kwargs)
    weasyprint, font_config, _ = printing._weasyprint()

    def raw():
        weasyprint.HTML(string=html, url_fetcher=printing.restricted_fetcher()).write_pdf(font_config=font_config)

    out = {"planner_s": _median(lambda: printing.render_print_product(**kwargs), runs),
           "raw_weasyprint_s": _median(raw, runs)}
    out["planner_vs_raw"] = round(out["planner_s"] / out["raw_weasyprint_s"], 2)
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)
    if chromium:
        inlined = html
        for font in sorted(docs.FONTS_DIR.glob("*.ttf")):
            data = base64.b64encode(font.read_bytes()).decode()
            inlined = inlined.replace(printing.FONT_URL_PREFIX + font.name, f"data:font/ttf;base64,{data}")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()

            def chrome():
                page.set_content(inlined)
                page.pdf(prefer_css_page_size=True, print_background=True)

            out["chromium_s"] = _median(chrome, runs)
            browser.close()
        out["planner_vs_chromium"] = round(out["planner_s"] / out["chromium_s"], 2)
    return out


def proof_download(runs: int) -> dict:
    from sqlalchemy import select

    from planner import create_app
    from planner.auth import issue_token
    from planner.db import Base, utcnow
    from planner.models import Message, Plan, PrintOrder, Unit, User
    from planner.operations.importing import import_paths
    from planner.operations.print_orders import create_print_order
    from planner.operations.print_proofs import approve_proof
    from planner.worker import tick

    with tempfile.TemporaryDirectory(prefix="planner-bench-print-") as tmp:
        os.environ["PLANNER_INSTANCE_PATH"] = str(Path(tmp, "instance"))
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                          "DEMO_PASSWORD": "bench-print-pw"})
        db = app.extensions["planner_db"]
        Base.metadata.create_all(db.engine)
        with db.session() as s:
            import_paths(s, [ROOT / "content_library", ROOT / "schedules"], now=utcnow())
            s.commit()
        assert app.test_cli_runner().invoke(args=["users", "demo"]).exit_code == 0
        with db.session() as s:
            officer = s.scalar(select(User).where(User.username == "vanhoa"))
            version = s.scalar(select(Message).join(Plan).where(Message.code == "to-roi-6-buoc")).approved
            shop = s.scalar(select(Unit).where(Unit.code == "in-ngoc-lac"))
            order = create_print_order(s, version, officer, {"product": "leaflet_a5", "quantity": "500",
                                                             "print_shop_id": str(shop.id)}, now=utcnow())
            s.commit()
            order_id = order.id
        started = clock.perf_counter()
        tick(db, app.config, instance_path=app.instance_path, worker_id="bench")
        worker_s = clock.perf_counter() - started
        with db.session() as s:
            order = s.get(PrintOrder, order_id)
            approve_proof(s, order, s.scalar(select(User).where(User.username == "vanhoa")), now=utcnow())
            token, _ = issue_token(s, s.scalar(select(User).where(User.username == "inan")), now=utcnow(), hours=1)
            s.commit()
            size = order.proof_bytes
        client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
        url = f"/api/v1/print-orders/{order_id}/pdf"
        etag = client.get(url, headers=headers).headers["ETag"]

        def timed(extra: dict, status: int) -> list[float]:
            times = []
            for _ in range(runs):
                started = clock.perf_counter()
                resp = client.get(url, headers={**headers, **extra})
                resp.get_data()
                times.append((clock.perf_counter() - started) * 1000)
                assert resp.status_code == status, resp.status_code
            return sorted(times)

        full, cached = timed({}, 200), timed({"If-None-Match": etag}, 304)
        db.engine.dispose()
    return {"worker_proof_s": round(worker_s, 3), "bytes": size,
            "download_p50_ms": round(full[len(full) // 2], 2), "download_p95_ms": round(full[int(len(full) * .95)], 2),
            "revalidate_p50_ms": round(cached[len(cached) // 2], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps({"leaflet": leaflet(args.runs), "proof_download": proof_download(max(args.runs, 20))}))


if __name__ == "__main__":
    main()
