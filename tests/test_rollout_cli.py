"""``aerena rollout``: JSON and table output, replays, errors, batching and determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import aerena.agents.scripted as scripted_pkg
from aerena.cli import main
from aerena.envs.airdefense.recording import load_replay
from aerena.envs.airdefense.rollout import run_rollouts, summarise, t_quantile_975

RANDOM = ["--attacker", "random", "--defender", "random"]
SHORT = ["--set", "episode.max_steps=40"]
_SCRIPTED_DIR = Path(scripted_pkg.__file__).parent
HAVE_SCRIPTED = (_SCRIPTED_DIR / "attacker.py").is_file() and (
    _SCRIPTED_DIR / "defender.py"
).is_file()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "rollout", "tiny", "--episodes", "2", "--json", *RANDOM, *SHORT)
    assert rc == 0, err
    data = json.loads(out)  # the whole of stdout is one JSON object
    for key in ("scenario", "attacker", "defender", "episodes", "summary"):
        assert key in data
    assert data["scenario"] == "tiny"
    assert data["attacker"] == data["defender"] == "random"
    assert data["overrides"] == {"episode.max_steps": 40}
    eps = data["episodes"]
    assert [e["episode"] for e in eps] == [0, 1]
    assert [e["seed"] for e in eps] == [0, 1]
    for e in eps:
        assert e["winner"] in ("attacker", "defender")
        assert 1 <= e["steps"] <= 40
        for key in (
            "asset_value_destroyed",
            "asset_value_saved",
            "uavs_lost",
            "interceptors_used",
            "kills",
            "leakers",
        ):
            assert key in e
    s = data["summary"]
    assert s["episodes"] == 2
    assert s["wins"]["attacker"] + s["wins"]["defender"] == 2
    mean = s["mean"]["steps"]
    assert mean == pytest.approx((eps[0]["steps"] + eps[1]["steps"]) / 2)
    lo, hi = s["ci95"]["steps"]
    assert lo <= mean <= hi


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "rollout", "tiny", "--episodes", "2", *RANDOM, *SHORT)
    assert rc == 0, err
    assert "winner" in out
    assert "mean" in out and "95% CI" in out and "±" in out
    assert "interceptors" in out and "lost strike" in out


def test_record_writes_one_replay_per_episode(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    d = tmp_path / "replays"
    rc, out, err = _run(
        capsys, "rollout", "tiny", "--episodes", "3", "--worlds", "2", "--seed", "5",
        "--record", str(d), *RANDOM, *SHORT,
    )  # fmt: skip
    assert rc == 0, err
    files = sorted(p.name for p in d.iterdir())
    assert files == [f"tiny_seed{5 + e}_ep{e}.aerena-replay.npz" for e in range(3)]
    assert str(d) in out
    for e in range(3):
        r = load_replay(d / files[e])
        assert r.meta["seed"] == 5 + e and r.meta["episode"] == e
        assert r.frames == r.meta["outcome"]["steps"] + 1
        assert r.meta["attacker"] == "random"


def test_record_json_lists_replays(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, out, err = _run(
        capsys, "rollout", "tiny", "--json", "--record", str(tmp_path), *RANDOM, *SHORT
    )
    assert rc == 0, err
    (ep,) = json.loads(out)["episodes"]
    assert Path(ep["replay"]).is_file()
    assert json.loads(out)["summary"]["ci95"] is None  # one episode: no interval


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["rollout", "no_such_scenario"], "unknown scenario"),
        (["rollout", "missing/file.yaml"], "not found"),
        (["rollout", "tiny", "--set", "episode.max_stepz=3"], "max_stepz"),
        (["rollout", "tiny", "--episodes", "0"], "--episodes"),
        (["rollout", "tiny", "--worlds", "0"], "--worlds"),
    ],
)
def test_user_errors(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    rc, out, err = _run(capsys, *argv, *RANDOM)
    assert rc == 2
    assert err.startswith("error:") and needle in err
    assert "Traceback" not in err + out
    assert out == ""


def test_batching_refills_worlds_and_is_deterministic() -> None:
    kw = dict(episodes=5, seed=7, worlds=2, overrides={"episode.max_steps": 30})
    a = run_rollouts("tiny", "random", "random", **kw)
    b = run_rollouts("tiny", "random", "random", **kw)
    assert a == b
    assert a["worlds"] == 2
    assert [e["seed"] for e in a["episodes"]] == [7, 8, 9, 10, 11]
    assert all(e["steps"] >= 1 for e in a["episodes"])
    one = run_rollouts("tiny", "random", "random", episodes=1, seed=0, worlds=8)
    assert one["worlds"] == 1  # min(episodes, worlds)


def test_statistics() -> None:
    assert t_quantile_975(1) == pytest.approx(12.706)
    assert t_quantile_975(30) == pytest.approx(2.042)
    assert t_quantile_975(31) == pytest.approx(2.0395, abs=1e-3)
    assert t_quantile_975(1000) == pytest.approx(1.9623, abs=1e-3)
    row = {
        "winner": "attacker",
        "asset_value_destroyed": 1.0,
        "asset_value_saved": 0.0,
        "asset_fraction_destroyed": 1.0,
        "defence_value_destroyed": 0.0,
        "uavs_lost_total": 1,
        "uavs_lost": {"strike": 1},
        "interceptors_used": 2,
        "kills": 1,
        "leakers": 1,
        "steps": 10,
        "return_attacker": 1.0,
        "return_defender": -1.0,
    }
    s = summarise([row, {**row, "steps": 20, "winner": "defender"}])
    assert s["wins"] == {"attacker": 1, "defender": 1}
    assert s["mean"]["steps"] == 15.0 and s["mean"]["attacker_win"] == 0.5
    lo, hi = s["ci95"]["steps"]
    assert (hi - lo) / 2 == pytest.approx(12.706 * 5.0)  # sd 7.07, / sqrt(2)
    assert s["ci95"]["kills"] == [1.0, 1.0]


@pytest.mark.skipif(not HAVE_SCRIPTED, reason="scripted attacker/defender not written yet")
def test_scripted_players(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "rollout", "tiny", "--episodes", "2", "--json", *SHORT)
    assert rc == 0, err
    data = json.loads(out)
    assert data["attacker"] == data["defender"] == "scripted"
    assert len(data["episodes"]) == 2


def test_random_players_give_the_same_episodes_for_any_worlds_count() -> None:
    kw = dict(episodes=5, seed=3, overrides={"episode.max_steps": 60})
    runs = [run_rollouts("tiny", "random", "random", worlds=w, **kw) for w in (1, 2, 5)]
    assert runs[0]["episodes"] == runs[1]["episodes"] == runs[2]["episodes"]


def test_record_removes_what_a_killed_writer_left(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs
    stale = tmp_path / f".tiny_seed0_ep0.aerena-replay.npz.{dead.pid}.x1y2.tmp"
    live = tmp_path / f".tiny_seed0_ep0.aerena-replay.npz.{os.getpid()}.x1y2.tmp"
    stale.write_bytes(b"half a replay")
    live.write_bytes(b"being written by a running process")
    rc, _, err = _run(capsys, "rollout", "tiny", "--record", str(tmp_path), *RANDOM, *SHORT)
    assert rc == 0, err
    assert not stale.exists() and live.exists()
