"""`make run` on a fresh checkout says only what a newcomer needs: the demo sign-ins and the address."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _checkout(tmp_path: Path) -> Path:
    """The project's files as a fresh clone has them, with this test run's libraries already installed
    (the install step is make's own and runs once per machine)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    copy = tmp_path / "checkout"
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    venv = copy / ".venv"
    venv.mkdir()
    (venv / "bin").symlink_to(Path(sys.executable).parent)
    (venv / ".installed").touch()
    return copy


def test_make_run_prints_the_sign_ins_and_the_address_and_nothing_else(tmp_path):
    if shutil.which("make") is None or shutil.which("git") is None:
        # CI runs this suite through make, so there it is always a failure, never a skip.
        if os.environ.get("CI") == "true":
            pytest.fail("make and git are needed to run `make run` from a checkout")
        pytest.skip("needs make and git, which `make test` itself needs")
    checkout = _checkout(tmp_path)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHRONOLOGY_", "FLASK_", "SQLALCHEMY_"))}
    env["CHRONOLOGY_INSTANCE"] = str(tmp_path / "instance")
    server = subprocess.Popen(["make", "--no-print-directory", "run", f"PORT={port}"], cwd=checkout, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        status = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    status = response.status
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200
        # The page has been served: anything the server says about starting up or about that request
        # has been said by now.
        time.sleep(1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[:2] == ["Created Demo Primary (synthetic data) (URN 999001).",
                         "Demo sign-ins (synthetic data only; never use these passwords for real):"]
    assert [line.split()[0] for line in lines[2:5]] == [
        "dsl@demo.example.org", "teacher@demo.example.org", "office@demo.example.org"]
    assert lines[5] == (f"Open http://127.0.0.1:{port} and sign in with one of the logins above. "
                        "Press Ctrl+C to stop.")
    # Nothing from alembic, the server's start-up or its request log, and make echoes no commands;
    # make may say it was stopped, as it does when Ctrl+C stops the server.
    assert [line for line in lines[6:] if not line.startswith("make: ***")] == [], output
    assert "INFO" not in output and "WARNING" not in output and ".venv/bin" not in output
