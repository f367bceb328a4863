"""Doctrine behaviours as held options (`doctrine`, :class:`aerena.agents.play.SidePlay`).

* A UAV that always chooses behaviour 0 (the doctrine's own target) is the scripted
  attacker, action for action; behaviour 1 + t is `target_plan`'s choice 1 + t.
* Random choices: the mask is the world's actions then the behaviours, per duration; a
  world-action choice is carried out and held; an agent decides again exactly when its
  option is used up (or its world action stopped being legal).
* The prior gives the behaviours their probability; the experiment validates the option;
  a PPO run trains with it, and evaluation and deploy play its module identically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aerena.agents.play import SidePlay, check_doctrine, doctrine_behaviours, doctrine_prior
from aerena.envs.airdefense import layout as Lo
from aerena.envs.airdefense.world import World

HOLD = {"uav": [1, 4, 20]}
SEEDS = [31, 32, 33]


def _episode(play_fn: Any, steps: int = 400, B: int = 3) -> list[np.ndarray]:
    """Attacker actions per step on strike_small against the scripted defender;
    `play_fn(world)` returns `act() -> [B, U]` for the attacker's columns."""
    from aerena.agents.scripted import make_player, side_columns

    world = World("strike_small", B)
    world.reset(SEEDS[:B])
    act = play_fn(world)
    dfd = make_player("defender", "scripted", world, seed=5)
    dfd.reset()
    att, dcols = side_columns(world, "attacker"), side_columns(world, "defender")
    log = []
    acts = np.zeros((B, world.sizes["N"]), dtype=np.int64)
    for _ in range(steps):
        if world.done.all():
            break
        a = act()
        log.append(a.copy())
        acts[:, att] = a
        acts[:, dcols] = dfd.act()
        world.step(acts)
    return log


def _constant(play: SidePlay, choice: Any) -> Any:
    """`act` of a SidePlay whose due agents all choose `choice(group)` ([B, n] or int)."""

    def act() -> np.ndarray:
        out = {}
        for g, due, mask in play.decisions():
            c = np.broadcast_to(np.asarray(choice(g), dtype=np.int64), due.shape)
            assert mask[due][np.arange(int(due.sum())), c[due]].all()  # a legal choice
            out[g.role] = c
        return play.actions(out)

    play.reset()
    return act


def test_behaviour_zero_is_the_scripted_attacker() -> None:
    from aerena.agents.scripted.attacker import ScriptedAttacker

    def doctrine(world: World) -> Any:
        play = SidePlay(world, "attacker", hold=HOLD, doctrine={"uav": 0.5}, pilot_seed=7,
                        skip_forced=True)  # fmt: skip
        m = Lo.UAV_ACTIONS + play.behaviours["uav"]
        assert play.groups[0].n_choices == m * 3
        return _constant(play, lambda g: m * 2 + Lo.UAV_ACTIONS)  # behaviour 0, 20 steps

    def scripted(world: World) -> Any:
        p = ScriptedAttacker(world, seed=7)
        p.reset()
        return p.act

    a, b = _episode(doctrine), _episode(scripted)
    assert len(a) == len(b) > 300
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_behaviour_of_a_target_is_the_target_plan() -> None:
    targets = np.array([[1, 2, 3, 4, 1, 2, 3, 4, 2, 1, 4, 3, 3, 2]])  # 1 + slot per UAV

    def doctrine(world: World) -> Any:
        play = SidePlay(world, "attacker", hold={"uav": [5]}, doctrine={"uav": 0.5},
                        pilot_seed=7)  # fmt: skip
        t = targets[:, : len(play.columns)]
        return _constant(play, lambda g: Lo.UAV_ACTIONS + t)

    def planned(world: World) -> Any:
        play = SidePlay(world, "attacker", target_plan=True, pilot_seed=7)
        t = targets[:, : len(play.columns)]
        return _constant(play, lambda g: t)

    a, b = _episode(doctrine), _episode(planned)
    assert len(a) == len(b) > 300
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_doctrine_invariants_on_random_choices() -> None:
    from aerena.agents.scripted import make_player, side_columns

    B = 4
    world = World("strike_small", B)
    world.reset([40 + b for b in range(B)])
    play = SidePlay(world, "attacker", hold=HOLD, doctrine={"uav": 0.5}, pilot_seed=3)
    play.reset()
    P = play.behaviours["uav"]
    n = Lo.UAV_ACTIONS
    m = n + P
    ks = np.asarray(HOLD["uav"])
    dfd = make_player("defender", "scripted", world, seed=4)
    dfd.reset()
    att, dcols = side_columns(world, "attacker"), side_columns(world, "defender")
    rng = np.random.default_rng(0)
    acts = np.zeros((B, world.sizes["N"]), dtype=np.int64)
    left = prev = beh = None
    counts = {"world": 0, "behaviour": 0, "held": 0}
    for _ in range(300):
        if world.done.any():
            break
        s = world.state
        [(g, due, mask)] = play.decisions()
        legal = s.act_mask[:, g.cols, :n]
        alive = s.agent_alive[:, g.cols]
        block = np.concatenate([legal, np.repeat(legal.any(2)[..., None], P, 2)], axis=2)
        np.testing.assert_array_equal(mask, np.tile(block, (1, 1, len(ks))))
        if left is not None:
            still = np.take_along_axis(legal, prev[..., None], 2)[..., 0] | beh
            np.testing.assert_array_equal(due, alive & ((left <= 0) | ~still))
        c = np.zeros(due.shape, np.int64)
        for b, j in zip(*np.nonzero(due), strict=True):
            c[b, j] = rng.choice(np.flatnonzero(mask[b, j]))
        out = play.actions({"uav": c})
        base = c % m
        own = due & (base < n)
        np.testing.assert_array_equal(out[own], base[own])
        np.testing.assert_array_equal(np.take_along_axis(legal, out[..., None], 2)[..., 0]
                                      | ~alive, np.ones_like(alive))  # fmt: skip
        if prev is not None:
            keep = alive & ~due & ~beh
            np.testing.assert_array_equal(out[keep], prev[keep])
            counts["held"] += int(keep.sum())
        started = due & (base >= n)
        beh = np.where(due, started, beh if beh is not None else started) & alive
        counts["world"] += int(own.sum())
        counts["behaviour"] += int(started.sum())
        left = np.where(due, ks[c // m] - 1, (left if left is not None else 0) - 1)
        prev = np.where(alive, out, prev if prev is not None else out)
        acts[:, att] = out
        acts[:, dcols] = dfd.act()
        world.step(acts)
    assert min(counts.values()) > 10, counts


def test_prior_and_checks() -> None:
    p = doctrine_prior(54, 5, 3, 0.8)
    assert p.shape == (177,) and abs(p.sum() - 1) < 1e-12
    block = p.reshape(3, 59).sum(0)
    assert abs(block[54:].sum() - 0.8) < 1e-12 and np.allclose(block[54:], 0.16)
    world = World("strike_small", 1)
    from aerena.agents.scripted.attacker import ScriptedAttacker

    assert doctrine_behaviours(world, "uav") == 1 + len(ScriptedAttacker(world).target_names)
    assert check_doctrine({"uav": 0.5}, {"uav": (1,)}, False) == {"uav": 0.5}
    for bad, msg in (
        ({"radar": 0.5}, "only uav"),
        ({"uav": 1.0}, r"in \(0, 1\)"),
    ):
        with pytest.raises(ValueError, match=msg):
            check_doctrine(bad, {"uav": (1,)}, False)
    with pytest.raises(ValueError, match="give hold.uav"):
        check_doctrine({"uav": 0.5}, {}, False)
    with pytest.raises(ValueError, match="target_plan"):
        check_doctrine({"uav": 0.5}, {"uav": (1,)}, True)
    # one set of play options serves both sides of a league: the defender ignores it
    play = SidePlay(world, "defender", hold={"uav": [1]}, doctrine={"uav": 0.5})
    assert play.pilot is None and not play.behaviours and play.options()["doctrine"] == {}


def test_experiment_validates_doctrine() -> None:
    from aerena.training.config import Experiment

    ok = {"scenario": "strike_small", "learn": "attacker", "hold": HOLD}
    exp = Experiment(**ok, doctrine={"uav": 0.9})
    assert exp.play_options()["doctrine"] == {"uav": 0.9}
    for bad, msg in (
        ({"doctrine": {"uav": 0.9}, "hold": {}}, "give hold.uav"),
        ({"doctrine": {"uav": 0.9}, "learn": "defender", "hold": {}}, "hold.uav|not a role"),
        ({"doctrine": {"uav": 0.9}, "resources": {"sampler": "single"}}, "batched"),
        ({"doctrine": {"uav": 0.9}, "init": {"imitate": "scripted"}}, "drop init"),
        ({"doctrine": {"uav": 1.5}}, "less than 1"),
    ):
        with pytest.raises(ValueError, match=msg):
            Experiment(**{**ok, **bad})


def test_a_doctrine_run_trains_and_plays_identically_in_evaluate_and_deploy(
    tmp_path: Path, ray_local: Any
) -> None:
    pytest.importorskip("onnxruntime")
    import torch

    from aerena.agents.onnx_export import export_policy
    from aerena.agents.rl_module import LearnedPlayer
    from aerena.agents.scripted import make_player
    from aerena.deploy import OnnxPolicy
    from aerena.training.config import experiment_for_scenario
    from aerena.training.evaluate import play_episodes
    from aerena.training.train import build_algorithm_config
    from tests.quick_runs import QUICK_RUN

    ov = {**QUICK_RUN, "algorithm.train_batch_size": 400, "resources.num_envs_per_env_runner": 4,
          "learn": "attacker", "hold": {"uav": [1, 10]}, "doctrine": {"uav": 0.9},
          "overrides.episode.max_steps": 150}  # fmt: skip
    exp = experiment_for_scenario("strike_small", ov).config
    algo = build_algorithm_config(exp).build_algo()
    try:
        module = algo.get_module("uav")
        n = int(module.action_space.n)
        assert n == 2 * (Lo.UAV_ACTIONS + 5)
        probs = torch.softmax(module.pi.net[-1].bias.detach(), 0).numpy()
        np.testing.assert_allclose(probs, doctrine_prior(Lo.UAV_ACTIONS, 5, 2, 0.9), rtol=1e-5)
        res = algo.train()
        assert res["env_runners"]["num_env_steps_sampled"] > 0
        modules = {"uav": algo.get_module("uav").eval()}
    finally:
        algo.stop()
    play = exp.play_options()
    out = tmp_path / "m.onnx"
    export_policy(modules, "attacker", out, scenario="strike_small", parity_count=64,
                  play=play, overrides=dict(exp.overrides))  # fmt: skip
    policy = OnnxPolicy.load(out)
    assert policy.models["uav"].action_meanings[Lo.UAV_ACTIONS] == "fly the doctrine, for 1 steps"
    torch.set_num_threads(1)
    rows = {}
    for label in ("torch", "onnx"):
        world = World("strike_small", 2, **exp.overrides)
        me = (
            LearnedPlayer(world, "attacker", modules, seed=5, **play)
            if label == "torch"
            else policy.player(world, "attacker", seed=5)
        )
        opp = make_player("defender", "scripted", world, seed=6)
        rows[label] = play_episodes(world, {"attacker": me, "defender": opp}, 2, 150)
    assert rows["torch"] == rows["onnx"]
