"""A small pool of processes that draw rosters (planner.roster_pdf, reportlab), so a batch uses every core.

reportlab is pure Python: one process draws one document at a time. The worker hands each group of villages
(their roster data, see roster_batches.batch_content) to the pool and gets the group's PDF and each village's
own PDF back, in order. The pool is made on first use and kept for the life of the process (each child
imports reportlab and registers the fonts once, when it starts); `spawn`, so a child never inherits the
worker's threads or open database connections. Processes ≤ 1 renders in this process.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger(__name__)
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_size = 0


def _warm() -> None:
    from planner import roster_pdf

    roster_pdf.styles()


def _render(job: dict, titles: list[str]):
    """(the group's PDF, [each village's own PDF titled `titles[i]`]) — split here too, beside the render.

    `job` is printing.render_roster_villages()'s keyword arguments (plain data, so it pickles)."""
    import io

    import pypdf

    from planner import printing

    data, _pages, ranges = printing.render_roster_villages(**job)
    reader, parts = pypdf.PdfReader(io.BytesIO(data)), []
    for title, (start, end) in zip(titles, ranges):
        one = pypdf.PdfWriter()
        one.append(reader, pages=(start, end))
        one.add_metadata({"/Title": title})
        buffer = io.BytesIO()
        one.write(buffer)
        parts.append(buffer.getvalue())
    return data, parts


def pool(processes: int) -> ProcessPoolExecutor | None:
    """The process pool of this size (made and warmed on first use), or None to render in this process."""
    global _pool, _size
    if processes <= 1:
        return None
    with _lock:
        if _pool is None or _size != processes:
            if _pool is not None:
                _pool.shutdown(wait=True)
            import multiprocessing

            _pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_warm)
            _size = processes
            for future in [_pool.submit(_warm) for _ in range(processes)]:
                future.result()
        return _pool


def shutdown() -> None:
    """Stop the pool's processes (the worker's exit; tests)."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def submit_roster(job: dict, titles: list[str], processes: int) -> Future:
    """Draw `job` (rosters of len(titles) villages) in the pool: (PDF of them all, [one PDF per village])."""
    executor = pool(processes)
    if executor is not None:
        try:
            return executor.submit(_render, job, titles)
        except (BrokenProcessPool, RuntimeError):
            log.warning("roster pool broken; rendering in the worker process")
            shutdown()
    future: Future = Future()
    try:
        future.set_result(_render(job, titles))
    except Exception as exc:  # noqa: BLE001 — delivered like a pool's result
        future.set_exception(exc)
    return future


def result(future: Future, job: dict, titles: list[str]):
    """The future's result; a pool that died under it (a killed child) is replaced by rendering here."""
    try:
        return future.result()
    except BrokenProcessPool:
        log.warning("roster pool broken; rendering in the worker process")
        shutdown()
        return _render(job, titles)
