"""Self-play league: PFSP sampling, Elo updates, admission, league.json and its table."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from aerena.training.league import (
    League,
    elo_expected,
    elo_update,
    pfsp_probs,
    pfsp_weights,
    print_league,
    read_league,
    sample_opponents,
)


def test_pfsp_weights_and_probs() -> None:
    p = np.array([0.0, 0.5, 1.0, 0.75])
    np.testing.assert_allclose(pfsp_weights(p, "hard"), [1.0, 0.25, 0.0, 0.0625])
    np.testing.assert_allclose(pfsp_weights(p, "even"), [0.0, 0.25, 0.0, 0.1875])
    np.testing.assert_allclose(pfsp_weights(p, "uniform"), [1, 1, 1, 1])
    np.testing.assert_allclose(pfsp_probs(p, "hard"), np.array([1.0, 0.25, 0.0, 0.0625]) / 1.3125)
    # every opponent always beaten: the hard weights vanish, the draw is uniform
    np.testing.assert_allclose(pfsp_probs(np.ones(4), "hard"), [0.25] * 4)
    with pytest.raises(ValueError, match="PFSP"):
        pfsp_weights(p, "nope")


def test_pfsp_sampling_is_seeded_and_follows_the_weights() -> None:
    p = np.array([0.0, 0.5, 1.0])  # hard probs 0.8, 0.2, 0
    a = sample_opponents(np.random.default_rng(3), p, 20_000)
    b = sample_opponents(np.random.default_rng(3), p, 20_000)
    np.testing.assert_array_equal(a, b)
    freq = np.bincount(a, minlength=3) / len(a)
    np.testing.assert_allclose(freq, [0.8, 0.2, 0.0], atol=0.01)
    assert not (a == 2).any()


def test_elo_update_is_zero_sum_and_textbook() -> None:
    assert elo_expected(1000, 1000) == 0.5
    assert elo_expected(1400, 1000) == pytest.approx(1 / (1 + 10**-1))
    a, b = elo_update(1000, 1000, 1.0, k=16)
    assert (a, b) == (1008.0, 992.0)
    a, b = elo_update(1200, 1000, 0.5, k=32)
    e = 1 / (1 + 10 ** (-200 / 400))
    assert a == pytest.approx(1200 + 32 * (0.5 - e)) and a + b == pytest.approx(2200)
    # a draw between equals changes nothing
    assert elo_update(1000, 1000, 0.5) == (1000.0, 1000.0)


def test_league_records_admits_and_writes_json(tmp_path: Path) -> None:
    lg = League(window=4, threshold=0.75, pfsp="hard", k=16)
    lg.add_scripted()
    opps, probs = lg.opponent_probs("attacker")
    assert [o.id for o in opps] == ["defender_scripted"] and probs.tolist() == [1.0]
    for s in (1.0, 1.0, 0.0):
        lg.record("attacker", "defender_scripted", s)
    assert lg.p_win("attacker", "defender_scripted") == pytest.approx(2 / 3)
    assert not lg.ready("attacker", 4)  # 3 games < window
    lg.record("attacker", "defender_scripted", 1.0)
    assert lg.ready("attacker", 4)  # 3 of 4 = 0.75 >= threshold
    main = lg.entries["main_attacker"]
    assert main.games == 4 and main.wins == 3 and main.elo > 1000
    assert main.elo + lg.entries["defender_scripted"].elo == pytest.approx(2000)
    snap = lg.admit("attacker", "/x/attacker_000", 1)
    assert snap.id == "attacker_000" and snap.elo == main.elo and snap.kind == "snapshot"
    assert not lg.ready("attacker", 4)  # the window restarts
    # the defender main now faces two attackers; never tried: p = 0.5 each -> even draw
    opps, probs = lg.opponent_probs("defender")
    assert [o.id for o in opps] == ["attacker_scripted", "attacker_000"]
    np.testing.assert_allclose(probs, [0.5, 0.5])
    lg.record("defender", "attacker_000", 1.0)  # beaten once: drawn less
    _, probs = lg.opponent_probs("defender")
    np.testing.assert_allclose(probs, [1.0, 0.0])  # (1-0.5)^2 vs (1-1)^2

    lg.round = 1
    path = lg.save(tmp_path / "league.json")
    data = json.loads(path.read_text())
    assert data == read_league(tmp_path)
    assert {e["id"] for e in data["ratings"]} == {
        "main_attacker", "main_defender", "attacker_scripted", "defender_scripted", "attacker_000"
    }  # fmt: skip
    assert [e["id"] for e in data["pfsp"]["attacker"]] == ["attacker_scripted", "attacker_000"]
    assert data["pfsp"]["attacker"][1]["path"] == "/x/attacker_000"
    assert not list(tmp_path.glob(".*tmp"))
    buf = io.StringIO()
    print_league(tmp_path, file=buf)
    text = buf.getvalue()
    assert "main_attacker" in text and "attacker_000" in text and "Elo" in text


@pytest.mark.slow
def test_short_league_run_admits_snapshots_that_play_as_opponents(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("ray.rllib")
    import ray

    from aerena.training.config import experiment_for_scenario
    from aerena.training.league import load_snapshot_modules, train_league
    from aerena.training.side_env import SideEnv

    exp = experiment_for_scenario(
        "tiny",
        {"league.rounds": 2, "league.phase_iterations": 1, "league.eval_episodes": 2,
         "league.window": 2, "league.threshold": 0.0, "algorithm.train_batch_size": 100,
         "algorithm.minibatch_size": 100, "algorithm.num_epochs": 1,
         "resources.num_envs_per_env_runner": 1},
    )  # fmt: skip
    buf = io.StringIO()
    try:
        run_dir = train_league(exp, runs_dir=tmp_path, file=buf)
    finally:
        ray.shutdown()
    assert "round 2 defender" in buf.getvalue()
    data = read_league(run_dir)
    ids = {e["id"]: e for e in data["ratings"]}
    # threshold 0: every phase admits a snapshot
    for side in ("attacker", "defender"):
        assert f"{side}_000" in ids and f"{side}_001" in ids
        assert ids[f"main_{side}"]["games"] == 4
    assert ids["attacker_000"]["round"] == 1 and ids["attacker_001"]["round"] == 2
    assert all(np.isfinite(e["elo"]) for e in data["ratings"])
    probs = [e["prob"] for e in data["pfsp"]["defender"]]
    assert len(probs) == 3 and sum(probs) == pytest.approx(1.0)
    snap = ids["defender_001"]["path"]
    assert set(load_snapshot_modules(snap)) == {"launcher", "radar"}
    assert (Path(snap) / "aerena_weights.json").is_file()  # weights only: no pickle
    assert not list(Path(snap).rglob("*.pkl"))
    assert (run_dir / "checkpoints" / "attacker" / "rllib_checkpoint.json").is_file()
    assert (run_dir / "checkpoints" / "attacker" / "weights" / "aerena_weights.json").is_file()
    # a frozen snapshot plays the opponent of a SideEnv (opponent: checkpoint)
    env = SideEnv({"scenario": "tiny", "learn": "attacker", "opponent": "checkpoint",
                   "opponent_checkpoint": snap, "seed": 0})  # fmt: skip
    obs, _ = env.reset(seed=0)
    steps = 0
    while steps < 50:
        acts = {a: env.action_spaces[a].sample(mask=o["action_mask"].astype(np.int8))
                for a, o in obs.items()}  # fmt: skip
        obs, _, term, trunc, _ = env.step(acts)
        steps += 1
        if term["__all__"] or trunc["__all__"]:
            break
    assert steps > 0
    # self-play env draws its opponents from league.json
    env = SideEnv({"scenario": "tiny", "learn": "defender", "opponent": "self_play",
                   "league_file": str(run_dir / "league.json"), "seed": 1})  # fmt: skip
    seen = set()
    for _ in range(6):
        env.reset()
        seen.add(env.opponent_id)
    assert seen <= {"attacker_scripted", "attacker_000", "attacker_001"} and seen
