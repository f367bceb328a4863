"""Options with a learned duration (`hold`, :class:`aerena.agents.play.SidePlay`).

* Invariants on random choices: between decisions an agent keeps its action, which stays
  legal; it decides again exactly when its duration is used up or its action stopped
  being legal; choices decode as (action, duration).
* Training (the batched sampler) and the B = 1 env agree (tests/test_batched.py); here
  evaluation / league (`LearnedPlayer`) and deploy (`aerena.deploy.OnnxPlayer`, from
  `aerena export` with the run's play options) play the same module identically.
* The experiment validates the option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aerena.agents.play import SidePlay, check_hold
from aerena.envs.airdefense.world import World

HOLD = {"radar": [1, 3, 7], "launcher": [1, 2]}
SMALL = {"dim": 16, "embed_dim": 16, "heads": 2, "layers": 1, "hidden": 32}


def test_hold_invariants_on_random_choices() -> None:
    from aerena.agents.scripted import make_player, side_columns

    B = 4
    world = World("tiny", B)
    play = SidePlay(world, "defender", hold=HOLD)
    opp = make_player("attacker", "random", world, seed=1)
    cols_att = side_columns(world, "attacker")
    rng = np.random.default_rng(0)
    world.reset([10 + b for b in range(B)])
    play.reset()
    opp.reset()
    acts = np.zeros((B, world.sizes["N"]), dtype=np.int64)
    prev: dict[str, np.ndarray] = {}
    left: dict[str, np.ndarray] = {}
    decided = 0
    held_steps = 0
    for _ in range(150):
        if world.done.any():
            break
        s = world.state
        decisions = play.decisions()
        choices = {}
        for g, due, mask in decisions:
            H = len(HOLD[g.role])
            assert mask.shape[2] == g.n_world * H
            legal = s.act_mask[:, g.cols, : g.n_world]
            np.testing.assert_array_equal(mask, np.tile(legal, (1, 1, H)))
            c = np.zeros(due.shape, np.int64)
            for b, j in zip(*np.nonzero(due), strict=True):
                c[b, j] = rng.choice(np.flatnonzero(mask[b, j]))
            choices[g.role] = c
            alive = s.agent_alive[:, g.cols]
            if g.role in prev:
                held = prev[g.role]
                still = np.take_along_axis(legal, held[..., None], 2)[..., 0]
                expect_due = alive & ((left[g.role] <= 0) | ~still)
                np.testing.assert_array_equal(due, expect_due)
        out = play.actions(choices)
        for g, due, _ in decisions:
            ks = np.asarray(HOLD[g.role])
            a = out[:, g.pos]
            c = choices[g.role]
            alive = s.agent_alive[:, g.cols]
            np.testing.assert_array_equal(a[due], c[due] % g.n_world)
            if g.role in prev:
                keep = alive & ~due
                np.testing.assert_array_equal(a[keep], prev[g.role][keep])
                held_steps += int(keep.sum())
            prev[g.role] = np.where(alive, a, prev.get(g.role, a))
            dur = ks[c // g.n_world] - 1
            left[g.role] = np.where(due, dur, left.get(g.role, np.zeros_like(dur)) - 1)
            decided += int(due.sum())
        acts[:, play.columns] = out
        acts[:, cols_att] = opp.act()
        world.step(acts)
    assert decided > 20 and held_steps > 20


def test_check_hold_refuses_bad_durations() -> None:
    assert check_hold({"radar": [1, 60]}) == {"radar": (1, 60)}
    for bad in ({"radar": []}, {"radar": [0, 5]}, {"radar": [5, 5]}, {"pilot": [1]}):
        with pytest.raises(ValueError):
            check_hold(bad)
    world = World("tiny", 1)
    with pytest.raises(ValueError, match="action_repeat too"):
        SidePlay(world, "defender", hold={"radar": [1, 5]}, action_repeat={"radar": 3})
    with pytest.raises(ValueError, match="hold.radar"):
        SidePlay(world, "defender", hold={"radar": [1, 5]}, emission_latch=True)


def test_experiment_validates_hold() -> None:
    from aerena.training.config import Experiment

    exp = Experiment(scenario="tiny", learn="defender", hold={"radar": [1, 30, 120]})
    assert exp.play_options()["hold"] == {"radar": [1, 30, 120]}
    for bad, msg in (
        ({"hold": {"uav": [1, 2]}}, "not a role of the defender"),
        ({"hold": {"radar": [3, 3]}}, "distinct"),
        ({"hold": {"radar": [1, 4]}, "action_repeat": {"radar": 2}}, "action_repeat too"),
        ({"hold": {"radar": [1, 4]}, "emission_latch": True}, "hold.radar"),
    ):
        with pytest.raises(ValueError, match=msg):
            Experiment(scenario="tiny", learn="defender", **bad)


def _modules(hold: dict[str, list[int]]) -> dict[str, Any]:
    torch = pytest.importorskip("torch")
    from aerena.agents.rl_module import EntityGNNModule
    from aerena.training.side_env import SideEnv

    env = SideEnv({"scenario": "tiny", "learn": "defender", "hold": hold})
    first: dict[str, str] = {}
    for a in env.possible_agents:
        first.setdefault(a.rsplit("_", 1)[0], a)
    torch.manual_seed(0)
    out = {}
    for role, a in first.items():
        m = EntityGNNModule(
            observation_space=env.observation_spaces[a],
            action_space=env.action_spaces[a],
            model_config={**SMALL, "role": role},
        )
        for p in m.pi.parameters():
            torch.nn.init.normal_(p, std=0.5)
        out[role] = m.eval()
    env.close()
    return out


class _Recorder:
    def __init__(self, player: Any) -> None:
        self.player, self.log = player, []

    def reset(self, worlds: np.ndarray | None = None) -> None:
        self.player.reset(worlds)

    def act(self) -> np.ndarray:
        a = self.player.act()
        self.log.append(a.copy())
        return a


def test_evaluate_and_deploy_play_a_hold_module_identically(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    import torch

    from aerena.agents.onnx_export import export_policy
    from aerena.agents.rl_module import LearnedPlayer
    from aerena.agents.scripted import make_player
    from aerena.deploy import OnnxPolicy
    from aerena.errors import UserError
    from aerena.training.evaluate import play_episodes

    hold = {"radar": [1, 5, 25], "launcher": [1, 3]}
    play = {"hold": hold}
    modules = _modules(hold)
    assert int(modules["radar"].action_space.n) == 6
    with pytest.raises(UserError, match="play options give"):  # exported without them
        export_policy(modules, "defender", tmp_path / "bad.onnx", scenario="tiny",
                      parity_count=64)  # fmt: skip
    out = tmp_path / "m.onnx"
    export_policy(modules, "defender", out, scenario="tiny", parity_count=128, play=play)
    policy = OnnxPolicy.load(out)
    assert policy.play_options() == play
    meanings = policy.models["radar"].action_meanings
    assert meanings[3] == "silent, for 5 steps"
    torch.set_num_threads(1)
    runs = {}
    for label in ("torch", "onnx"):
        world = World("tiny", 2)
        if label == "torch":
            me = _Recorder(LearnedPlayer(world, "defender", modules, seed=5, **play))
        else:
            me = _Recorder(policy.player(world, "defender", seed=5))
        opp = make_player("attacker", "scripted", world, seed=6)
        rows = play_episodes(world, {"defender": me, "attacker": opp}, 4, 100)
        runs[label] = (rows, me.log)
    (rows_t, log_t), (rows_o, log_o) = runs["torch"], runs["onnx"]
    assert rows_t == rows_o
    assert len(log_t) == len(log_o) > 10
    for a, b in zip(log_t, log_o, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(UserError, match="keep decisions across steps"):
        policy.act_dict({})
