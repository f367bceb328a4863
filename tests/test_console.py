"""The quiet console of the Ray commands: stderr (native writes too) goes to the run's log;
an unreachable --address is one error line, exit 2, before anything is written."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from aerena.errors import UserError
from aerena.training.console import check_address, host_port, ray_log


def test_ray_log_catches_python_native_and_child_writes(tmp_path: Path, capfd) -> None:
    log = tmp_path / "run" / "ray.log"
    with ray_log(log) as (got, console):
        assert got == log
        print("console line", file=console)
        print("python line", file=sys.stderr)
        os.write(2, b"native line\n")
        subprocess.run([sys.executable, "-c", "import os; os.write(2, b'child line\\n')"])
    print("after", file=sys.stderr)
    text = log.read_text()
    assert "python line" in text and "native line" in text and "child line" in text
    err = capfd.readouterr().err
    assert "after" in err and "native line" not in err and "child line" not in err
    assert "console line" in err and "console line" not in text


def test_ray_log_verbose_leaves_stderr(tmp_path: Path, capfd) -> None:
    with ray_log(tmp_path / "ray.log", verbose=True) as (got, console):
        assert got is None and console is sys.stderr
        os.write(2, b"shown\n")
    assert "shown" in capfd.readouterr().err and not (tmp_path / "ray.log").exists()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_check_address() -> None:
    assert host_port("auto") is None and host_port("ray://10.0.0.1:10001") == ("10.0.0.1", 10001)
    check_address(None)
    check_address("auto")  # Ray itself finds (or not) a local cluster
    port = closed_port()
    with pytest.raises(UserError, match=f"127.0.0.1:{port}: cannot reach"):
        check_address(f"ray://127.0.0.1:{port}")
    with pytest.raises(UserError, match="expected auto"):
        check_address("nonsense")


def test_train_unreachable_address_is_one_line_exit_2(tmp_path: Path) -> None:
    pytest.importorskip("ray.rllib")
    port = closed_port()
    out = subprocess.run(
        [sys.executable, "-m", "aerena.cli", "train", "--scenario", "tiny",
         "--address", f"127.0.0.1:{port}", "--runs-dir", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --address"), out.stderr
    assert not (tmp_path / "runs").exists()


def test_progress_title_never_wraps() -> None:
    from aerena.training.config import experiment_for_scenario
    from aerena.training.progress import ProgressView

    stop = experiment_for_scenario("tiny").config.stop
    title = "x" * 50 + " " + "y" * 60
    for live in (True, False):
        out = io.StringIO()
        with ProgressView(title, stop, live=live, file=out):
            pass
        lines = out.getvalue().splitlines()
        assert any(line.startswith("xxxxx") for line in lines)
        assert not any(line.lstrip().startswith("yyy") for line in lines), lines


def test_ray_start_failure_is_one_user_error(monkeypatch, tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    from aerena.training.config import experiment_for_scenario
    from aerena.training.train import init_ray

    def boom(*args, **kwargs):
        raise RuntimeError("raylet failed to start\nsecond line of details")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", boom)
    exp = experiment_for_scenario("tiny").config
    with pytest.raises(UserError) as err:
        init_ray(None, exp, tmp_path / "ray.log")
    msg = str(err.value)
    assert msg.startswith("could not start a local Ray: raylet failed to start")
    assert "\n" not in msg and str(tmp_path / "ray.log") in msg
