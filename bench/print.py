"""Benchmark: a print product through planner's pipeline against raw WeasyPrint and Chromium on the same
HTML, and the stored proof's re-download; prints JSON.

Run: python bench/print.py [--runs N] [--only leaflet|rosters_batch|report|proof_download]
- `leaflet`: the library leaflet (to-roi-6-buoc) as an A5 leaflet. `planner_s` is render_print_product
  (fit loop, layout preflight, PDF written); `raw_weasyprint_s` is WeasyPrint rendering and writing the
  HTML of the first fit (the one that is kept) with the same fonts; `chromium_s` is headless Chromium
  (Playwright, /usr/bin/chromium) printing that HTML with the fonts inlined. Medians of N warm runs.
- `rosters_batch`: the real library, next week's Ngọc Lặc loudspeaker schedule (42 villages) generated with
  schedule_plan, then one roster batch through the worker step (rosters drawn with reportlab by groups of
  ROSTER_BATCH_CHUNK villages, the commune PDF, a ZIP of one PDF per village, stored), twice: drawn in the
  worker itself (`in_worker_*`, the default; `in_worker_rss_growth_mb` is the worker's peak RSS growth over the
  batches, fonts registered before) and in 2 warmed render processes (`pool_*`; `render_processes_cpu_s`
  is their CPU for one batch, `render_process_peak_mb` / `render_process_growth_mb` their peaks), against headless
  Chromium printing the same 42 village-weeks from the roster HTML (print/roster.html, fonts inlined) as one document.
  Medians of N/3 batches each. `loadavg_start` / `loadavg_end` bracket the part.
- `report`: Xã Ngọc Lặc's six-monthly report (a week of its villages scheduled; figures, tables, charts and
  narrative as the worker builds them) through printing.render_report vs raw WeasyPrint and headless Chromium
  on the same HTML, medians of N/2 warm runs.
- `loadavg`: os.getloadavg() at the end (the machine is shared: compare figures of one run only).
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


def chromium_seconds(html: str, runs: int) -> float | None:
    """Median seconds for headless Chromium (Playwright, /usr/bin/chromium) to print `html`, fonts inlined."""
    from planner import print_documents as docs
    from planner import printing

    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)
    if not chromium:
        return None
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

        seconds = _median(chrome, runs)
        browser.close()
    return seconds


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
    chromium_s = chromium_seconds(html, runs)
    if chromium_s is not None:
        out["chromium_s"] = chromium_s
        out["planner_vs_chromium"] = round(out["planner_s"] / out["chromium_s"], 2)
    return out


def _bench_app(tmp: str):
    """The real app on a SQLite file in `tmp`, the library imported, the demo users made."""
    from planner import create_app
    from planner.db import Base, utcnow
    from planner.operations.importing import import_paths

    os.environ["PLANNER_INSTANCE_PATH"] = str(Path(tmp, "instance"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                      "DEMO_PASSWORD": "bench-print-pw", "BASE_URL": "https://ngoclac.example.vn"})
    db = app.extensions["planner_db"]
    Base.metadata.create_all(db.engine)
    with db.session() as s:
        import_paths(s, [ROOT / "content_library", ROOT / "schedules"], now=utcnow())
        s.commit()
    assert app.test_cli_runner().invoke(args=["users", "demo"]).exit_code == 0
    return app


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pool_pids() -> list[int]:
    from planner import print_pool

    return sorted(print_pool._pool._processes) if print_pool._pool is not None else []


def _children_hwm_mb() -> list[float]:
    """Peak RSS (VmHWM) of each render process of the pool, in MB."""
    out = []
    for pid in _pool_pids():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out.append(round(int(line.split()[1]) / 1024, 1))
    return out


def _children_cpu_s() -> float:
    """CPU seconds (user + system) the pool's render processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in _pool_pids():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return round(total / ticks, 3)


def rosters_batch(runs: int) -> dict:
    """42 one-week village rosters of Ngọc Lặc as one batch (the worker's whole job: the rosters drawn with
    reportlab by groups of ROSTER_BATCH_CHUNK villages, commune PDF + ZIP of one PDF per village, stored), drawn
    in the worker itself (ROSTER_BATCH_PROCESSES 1, the default) and in 2 warmed render processes, medians of
    `runs` batches each, vs headless Chromium printing the same 42 village-weeks from the roster HTML
    (print/roster.html) as one document."""
    import datetime as dt

    from sqlalchemy import func, select

    from planner import print_pool, roster_pdf
    from planner.db import utcnow
    from planner.models import Occurrence, Plan, RosterBatch, Unit, User
    from planner.operations import roster_batches as ops
    from planner.operations.schedule import schedule_plan

    loadavg_start = [round(v, 2) for v in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="planner-bench-rosters-") as tmp:
        app = _bench_app(tmp)
        db = app.extensions["planner_db"]
        today = dt.date.today()
        first = today + dt.timedelta(days=7 - today.weekday())  # next Monday
        last = first + dt.timedelta(days=6)
        with db.session() as s:
            plan = s.scalar(select(Plan).where(Plan.code == "ngoc-lac-asxh-2026"))
            commune = s.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
            outcome = schedule_plan(s, plan, unit=commune, channel="loudspeaker", start=first, end=last,
                                    now=utcnow(), settings=app.config)
            s.commit()
            assert outcome.targets == 42 and outcome.placed > 0, outcome
            plan_id, commune_id, placed = plan.id, commune.id, outcome.placed
            per_village = s.scalars(select(func.count()).select_from(Occurrence).group_by(Occurrence.target_id)).all()
        directory = Path(app.instance_path) / app.config["ROSTER_DIR"]

        def one_batch(processes: int) -> tuple[float, float, int]:
            """(wall s, this process's CPU s, batch id) of one batch through the worker step."""
            with db.session() as s:
                officer = s.scalar(select(User).where(User.username == "vanhoa"))
                batch, _ = ops.request_batch(s, s.get(Plan, plan_id), s.get(Unit, commune_id), first, last, officer,
                                             base_url=app.config["BASE_URL"], now=utcnow())
                s.commit()
                batch_id = batch.id
            with db.session() as s:
                started, cpu = clock.perf_counter(), clock.process_time()
                assert ops.render_queued_batches(s, now=utcnow(), directory=directory,
                                                 settings={**app.config, "ROSTER_BATCH_PROCESSES": processes}) == 1
                wall, used = clock.perf_counter() - started, clock.process_time() - cpu
            with db.session() as s:
                batch = s.get(RosterBatch, batch_id)
                assert batch.status.value == "done", batch.error
            return wall, used, batch_id

        roster_pdf.styles()  # warm: a running worker has registered the fonts once
        rss_before = _maxrss_mb()
        inprocess = [one_batch(1) for _ in range(runs)]
        rss_after = _maxrss_mb()
        inprocess_s = statistics.median(t[0] for t in inprocess)
        inprocess_cpu_s = statistics.median(t[1] for t in inprocess)
        processes = max(2, app.config["ROSTER_BATCH_PROCESSES"])  # the pool, even when the worker draws itself
        print_pool.pool(processes)  # warm: the worker keeps its render processes (each registers the fonts once)
        children_before, children_cpu_before = _children_hwm_mb(), _children_cpu_s()
        pooled = [one_batch(processes) for _ in range(runs)]
        pool_s, pool_cpu_s = statistics.median(t[0] for t in pooled), statistics.median(t[1] for t in pooled)
        batch_id = pooled[-1][2]
        children_after = _children_hwm_mb()
        children_cpu_s = round((_children_cpu_s() - children_cpu_before) / runs, 3)  # a batch's share
        print_pool.shutdown()
        with db.session() as s:
            batch = s.get(RosterBatch, batch_id)
            pages, pdf_bytes, zip_bytes = batch.pdf_pages, batch.pdf_bytes, batch.zip_bytes
            html = ops.batch_html(s, batch, ops.village_targets(s, batch.unit), app.config, now=utcnow())
        db.engine.dispose()
    out = {"villages": 42, "pages": pages, "broadcasts": placed, "broadcasts_per_village_week_max": max(per_village),
           "chunk": app.config["ROSTER_BATCH_CHUNK"],
           "in_worker_s": round(inprocess_s, 3), "in_worker_cpu_s": round(inprocess_cpu_s, 3),
           "in_worker_rss_growth_mb": round(rss_after - rss_before, 1), "rss_peak_mb": round(rss_after, 1),
           "render_processes": processes, "pool_s": round(pool_s, 3), "pool_worker_cpu_s": round(pool_cpu_s, 3),
           "render_processes_cpu_s": children_cpu_s, "render_process_peak_mb": children_after,
           "render_process_growth_mb": round(max(children_after) - max(children_before), 1) if children_after else 0,
           "pdf_bytes": pdf_bytes, "zip_bytes": zip_bytes}
    chromium_s = chromium_seconds(html, runs)
    if chromium_s is not None:
        out["chromium_s"] = chromium_s
        out["in_worker_vs_chromium"] = round(inprocess_s / chromium_s, 2)
        out["pool_vs_chromium"] = round(pool_s / chromium_s, 2)
    out["loadavg_start"], out["loadavg_end"] = loadavg_start, [round(v, 2) for v in os.getloadavg()]
    return out


def report(runs: int) -> dict:
    """The six-monthly report of Xã Ngọc Lặc's plan (a week of its 42 villages' broadcasts scheduled, the figures,
    tables, charts and narrative the worker builds) rendered to PDF by planner (printing.render_report: HTML,
    WeasyPrint, checks) vs raw WeasyPrint and headless Chromium on the same HTML; medians of warm runs."""
    import datetime as dt

    from sqlalchemy import select

    from planner import printing
    from planner.db import utcnow
    from planner.models import Plan, Unit, User
    from planner.operations.reporting import request_report
    from planner.operations.schedule import schedule_plan
    from planner.report_document import build_document

    with tempfile.TemporaryDirectory(prefix="planner-bench-report-") as tmp:
        app = _bench_app(tmp)
        db = app.extensions["planner_db"]
        today = dt.date.today()
        first = today + dt.timedelta(days=7 - today.weekday())
        with db.session() as s:
            plan = s.scalar(select(Plan).where(Plan.code == "ngoc-lac-asxh-2026"))
            commune = s.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
            schedule_plan(s, plan, unit=commune, channel="loudspeaker", start=first, end=first + dt.timedelta(days=6),
                          now=utcnow(), settings=app.config)
            s.commit()
            user = s.scalar(select(User).where(User.username == "vanhoa"))
            half = "second_half" if first.month > 6 else "first_half"
            made = request_report(s, plan, commune, user, {"kind": half, "year": str(first.year),
                                                           "signer_name": "Nguyễn Văn A",
                                                           "signer_title": "PHÓ CHỦ TỊCH"}, now=utcnow())
            s.commit()
            doc = build_document(s, made)
        db.engine.dispose()
    html = printing.report_html(doc)
    weasyprint, font_config, _ = printing._weasyprint()

    def raw():
        weasyprint.HTML(string=html, url_fetcher=printing.restricted_fetcher()).write_pdf(font_config=font_config)

    rendered = printing.render_report(doc)
    out = {"pages": rendered.pages, "pdf_bytes": len(rendered.data), "html_bytes": len(html),
           "planner_s": _median(lambda: printing.render_report(doc), runs), "raw_weasyprint_s": _median(raw, runs)}
    out["planner_vs_raw"] = round(out["planner_s"] / out["raw_weasyprint_s"], 2)
    chromium_s = chromium_seconds(html, runs)
    if chromium_s is not None:
        out["chromium_s"] = chromium_s
        out["planner_vs_chromium"] = round(out["planner_s"] / chromium_s, 2)
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
    parser.add_argument("--only", choices=("leaflet", "rosters_batch", "report", "proof_download"), action="append",
                        help="run only these parts (repeatable)")
    args = parser.parse_args()
    parts = {"leaflet": lambda: leaflet(args.runs), "rosters_batch": lambda: rosters_batch(max(1, args.runs // 3)),
             "report": lambda: report(max(1, args.runs // 2)),
             "proof_download": lambda: proof_download(max(args.runs, 20))}
    out = {name: run() for name, run in parts.items() if not args.only or name in args.only}
    out["loadavg"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
