"""Processes as a service manager runs them: the worker beats from its own thread and stops on SIGTERM;
the demo launcher started in the background stops itself and its children promptly."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def env(tmp_path):
    from planner.db import Base
    import planner.models  # noqa: F401

    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return {**os.environ, "PLANNER_DATABASE_URL": url, "PLANNER_INSTANCE_PATH": str(tmp_path / "instance"),
            "PLANNER_SECRET_KEY": "s", "PLANNER_WORKER_INTERVAL_SECONDS": "1", "PYTHONPATH": str(ROOT)}


def beats(url: str) -> list:
    from planner.db import Database
    from planner.models import WorkerHeartbeat

    db = Database(url)
    try:
        with db.session() as s:
            return [(b.name, b.beat_at) for b in s.scalars(select(WorkerHeartbeat))]
    finally:
        db.engine.dispose()


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_worker_stops_promptly_on_sigterm_and_says_so(env):
    proc = subprocess.Popen([sys.executable, "-m", "planner.cli", "worker"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: beats(env["PLANNER_DATABASE_URL"]))
        time.sleep(1.5)  # a tick or two have run
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
        assert beats(env["PLANNER_DATABASE_URL"]) == []  # /healthz shows it down at once
        assert b"stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_worker_busy_with_a_slow_platform_still_beats(env):
    slow = ("import time, planner.worker as w; w.dispatch_tick = lambda *a, **k: time.sleep(60); "
            "from planner.cli import main; main()")
    proc = subprocess.Popen([sys.executable, "-c", slow, "worker"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first = wait_for(lambda: beats(env["PLANNER_DATABASE_URL"]))[0][1]
        later = wait_for(lambda: [b for b in beats(env["PLANNER_DATABASE_URL"]) if b[1] > first], timeout=10)
        assert later
    finally:
        proc.kill()
        proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_demo_launcher_in_the_background_stops_with_its_children_on_sigterm(env):
    def ignore_sigint():  # what a shell does to a job started with `&`
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    proc = subprocess.Popen([sys.executable, "-m", "planner.cli", "demo", "--port", str(_free_port()),
                             "--fake-port", str(_free_port())], env=env, cwd=ROOT, preexec_fn=ignore_sigint,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # fake platforms, mail sink, worker, web server
        children = wait_for(lambda: len(_children(proc.pid)) == 4 and _children(proc.pid))
        wait_for(lambda: beats(env["PLANNER_DATABASE_URL"]))  # the worker is up
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        assert time.monotonic() - started < 8
        assert not [pid for pid in children if _alive(pid)]
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in _children(proc.pid):
            os.kill(pid, signal.SIGKILL)
