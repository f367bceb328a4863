"""``aerena whatif``: reproduction checked frame by frame, branches, refusals, JSON, replays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aerena.cli import main
from aerena.envs.airdefense.recording import FRAME_KEYS, load_replay, write_replay
from aerena.envs.airdefense.rollout import run_rollouts
from aerena.envs.airdefense.whatif import reproduce, run_whatif

AT = 10


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scripted tiny episode, recorded by `aerena rollout` (second episode of a batch)."""
    d = tmp_path_factory.mktemp("scripted")
    result = run_rollouts("tiny", episodes=2, seed=0, record=d)
    return Path(result["episodes"][1]["replay"])


@pytest.fixture(scope="module")
def randoms(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Random players, 3 episodes on 2 worlds: episode 2 runs in a recycled world."""
    d = tmp_path_factory.mktemp("random")
    result = run_rollouts(
        "tiny",
        attacker="random",
        defender="random",
        episodes=3,
        seed=4,
        worlds=2,
        record=d,
        overrides={"episode.max_steps": 40},
    )
    return [Path(row["replay"]) for row in result["episodes"]]


def _tampered(src: Path, dst: Path, edit) -> Path:
    rp = load_replay(src)
    arrays = {k: v.copy() for k, v in rp.arrays.items()}
    meta = json.loads(json.dumps(rp.meta))
    edit(arrays, meta)
    return write_replay(dst, arrays, meta)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


# --------------------------------------------------------------------------------------
# Reproduction and branches
# --------------------------------------------------------------------------------------
def test_branch0_with_recorded_players_is_the_recorded_tail(scripted: Path, tmp_path: Path) -> None:
    rec = load_replay(scripted)
    result = run_whatif(scripted, AT, 3, record=tmp_path)
    assert result["reproduced"] is True and result["tail_reproduced"] is True
    b0 = result["branches"][0]
    assert b0["world_randomness"] == "recorded"
    for key in ("winner", "steps", "asset_value_destroyed", "kills", "interceptors_used"):
        assert b0[key] == rec.outcome[key]
    assert b0["return_attacker"] == pytest.approx(result["recorded"]["return_attacker"])
    branch = load_replay(b0["replay"])  # a replay starting at STEP
    assert branch.frames == rec.frames - AT
    assert int(branch.step[0]) == AT and branch.meta["branch"]["at"] == AT
    for key in FRAME_KEYS:
        np.testing.assert_array_equal(branch.arrays[key], rec.arrays[key][AT:], err_msg=key)
    for f in range(branch.frames):
        np.testing.assert_array_equal(branch.events_at(f), rec.events_at(AT + f))
    # every branch starts from the very state of the recording's frame STEP
    for row in result["branches"]:
        first = load_replay(row["replay"])
        for key in ("air_pos", "gnd_hp", "stock", "int_status", "known"):
            np.testing.assert_array_equal(first.arrays[key][0], rec.arrays[key][AT])


def test_branches_with_other_players_differ(scripted: Path, tmp_path: Path) -> None:
    rec = load_replay(scripted)
    result = run_whatif(scripted, AT, 2, defender="random", record=tmp_path)
    assert result["players"] == {"attacker": "scripted", "defender": "random"}
    assert result["tail_reproduced"] is None  # not the recorded players: nothing to compare
    for row in result["branches"]:
        br = load_replay(row["replay"])
        n = min(br.frames, rec.frames - AT)
        assert not np.array_equal(br.arrays["air_pos"][:n], rec.arrays["air_pos"][AT : AT + n])


def test_fresh_randomness_is_seeded(scripted: Path) -> None:
    a = run_whatif(scripted, AT, 4, seed=3)["branches"]
    b = run_whatif(scripted, AT, 4, seed=3)["branches"]
    assert a == b
    assert [r["world_randomness"] for r in a] == ["recorded", "fresh", "fresh", "fresh"]


def test_random_players_of_a_batched_rollout_reproduce(randoms: list[Path]) -> None:
    for path in randoms:  # episode 2 started in a recycled world, mid-run of the generator
        rp = load_replay(path)
        assert rp.meta["worlds"] == 2 and rp.meta["players"]["attacker"]["rng"] is not None
        repro = reproduce(rp, 20)
        assert repro.actions.shape == (20, rp.sizes["N"])


def test_random_state_tampered_is_refused(randoms: list[Path], tmp_path: Path) -> None:
    def edit(arrays: dict, meta: dict) -> None:
        meta["players"]["attacker"]["seed"] += 1  # the per-world generators derive from it

    bad = _tampered(randoms[2], tmp_path / "bad.aerena-replay.npz", edit)
    with pytest.raises(Exception, match="differs from the recording at step"):
        reproduce(load_replay(bad), 20)


# --------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------
def test_json_fields(scripted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "whatif", scripted, "--at", AT, "--episodes", 3, "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["reproduced"] is True and data["at"] == AT
    assert (
        data["recorded"]["asset_value_destroyed"]
        == load_replay(scripted).outcome["asset_value_destroyed"]
    )
    assert len(data["branches"]) == 3
    for k, row in enumerate(data["branches"]):
        assert row["branch"] == k
        for key in ("asset_value_destroyed", "winner", "steps", "kills", "uavs_lost"):
            assert key in row
    assert data["summary"]["episodes"] == 3 and data["summary"]["ci95"] is not None


def test_table(scripted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "whatif", scripted, "--at", AT, "--episodes", 2)
    assert rc == 0, err
    assert "recorded" in out and "95% CI" in out and "asset value destroyed" in out
    assert "replays the recorded tail exactly" in out


def _refused(capsys: pytest.CaptureFixture[str], *argv: object) -> str:
    rc, out, err = _run(capsys, "whatif", *argv)
    assert rc == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_tampered_frame_is_refused(
    scripted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(arrays: dict, meta: dict) -> None:
        arrays["air_pos"][5, 2, 0] += 1.0

    bad = _tampered(scripted, tmp_path / "moved.aerena-replay.npz", edit)
    err = _refused(capsys, bad, "--at", AT)
    assert "differs from the recording at step 5 (air_pos of " in err

    # a change after STEP: the branch point reproduces, branch 0 then shows the difference
    def late_edit(arrays: dict, meta: dict) -> None:
        arrays["air_pos"][AT + 3, 2, 0] += 1.0

    late = _tampered(scripted, tmp_path / "late.aerena-replay.npz", late_edit)
    rc, out, err = _run(capsys, "whatif", late, "--at", AT, "--episodes", 1, "--json")
    assert rc == 0, err
    assert json.loads(out)["tail_reproduced"] is False


def test_refusals(scripted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def version(arrays: dict, meta: dict) -> None:
        meta["aerena_version"] = "0.0.1"

    def player(arrays: dict, meta: dict) -> None:
        meta["defender"] = "checkpoint"

    def anonymous(arrays: dict, meta: dict) -> None:
        del meta["attacker"]

    def terrain(arrays: dict, meta: dict) -> None:
        arrays["terrain"][0, 0] += 5.0

    cases = {
        version: "recorded by aerena 0.0.1",
        player: "player 'checkpoint' is not available",
        anonymous: "does not name its attacker player",
        terrain: "differs from the recording at step 0 (terrain)",
    }
    for edit, text in cases.items():
        bad = _tampered(scripted, tmp_path / f"{edit.__name__}.aerena-replay.npz", edit)
        assert text in _refused(capsys, bad, "--at", AT)
    steps = load_replay(scripted).frames - 1
    assert f"has steps 0 to {steps}" in _refused(capsys, scripted, "--at", steps)
    assert "in [1, 65,536]" in _refused(capsys, scripted, "--at", AT, "--episodes", 0)
    assert "no such replay file" in _refused(capsys, tmp_path / "nope.npz", "--at", 1)


def test_branch_replay_is_not_branched_again(
    scripted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = run_whatif(scripted, AT, 1, record=tmp_path)["branches"][0]
    assert "starts at step 10 (a branch)" in _refused(capsys, row["replay"], "--at", AT + 2)
