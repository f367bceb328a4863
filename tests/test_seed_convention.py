"""One seed convention: episode e of base seed S is the same episode through every face
(`aerena rollout`, the vector env, the PettingZoo env, the Gymnasium env; `aerena evaluate`
is checked in tests/test_training.py, which needs a trained checkpoint)."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import aerena
from aerena.agents.scripted import make_player, side_columns
from aerena.envs.airdefense.rollout import run_rollouts
from aerena.seeding import player_seed

SCEN = "tiny"
OVR = {"episode.max_steps": 60}
S, EPISODES = 7, 3
KINDS = [("scripted", "scripted"), ("random", "random")]


def test_episode_seed_rule_and_bad_input() -> None:
    assert aerena.episode_seed(10, 0) == 10 and aerena.episode_seed(10, 5) == 15
    assert aerena.episode_seed(2**63 - 1, 1) == 0  # 63-bit world seeds wrap
    with pytest.raises(ValueError):
        aerena.episode_seed(-1, 0)


def row_of(outcome: dict, returns: np.ndarray, seed: int) -> dict:
    row = {"seed": seed, **outcome}
    row["return_attacker"], row["return_defender"] = float(returns[0]), float(returns[1])
    return row


def comparable(row: dict) -> dict:
    """A rollout row without the fields other faces report elsewhere."""
    return {k: v for k, v in row.items() if k not in ("episode", "terminated", "truncated")}


def players_on(world, kinds, seed):
    return {
        side: make_player(side, kind, world, seed=player_seed(seed, side))
        for side, kind in zip(("attacker", "defender"), kinds, strict=True)
    }


def parallel_face(kinds) -> list[dict]:
    env = aerena.parallel_env(SCEN, **OVR)
    index = {a: n for n, a in enumerate(env.possible_agents)}
    out = []
    for e in range(EPISODES):
        obs, _ = env.reset(seed=S) if e == 0 else env.reset()
        w = env.world
        players = players_on(w, kinds, S)
        cols = {side: side_columns(w, side) for side in players}
        for p in players.values():
            p.reset()
        ret = np.zeros(2)
        while not w.done[0]:
            act = np.zeros(w.sizes["N"], dtype=np.int64)
            for side, p in players.items():
                act[cols[side]] = p.act()[0]
            env.step({a: int(act[index[a]]) for a in env.agents})
            ret += w.state.reward[0]
        assert env.skipped_steps == 0
        out.append(row_of(w.outcome(0), ret, env.episode_seed))
    return out


def single_face(kinds, side: str) -> list[dict]:
    other = "defender" if side == "attacker" else "attacker"
    opp_kind = kinds[0] if other == "attacker" else kinds[1]
    my_kind = kinds[1] if other == "attacker" else kinds[0]
    env = gymnasium.make(
        "aerena/AirDefense-v2", scenario=SCEN, side=side, opponent=opp_kind, seed=S, **OVR
    ).unwrapped
    out = []
    for _ in range(EPISODES):
        _, info = env.reset()
        w = env.world
        me = make_player(side, my_kind, w, seed=player_seed(S, side))
        me.reset()
        ret = np.zeros(2)
        done = False
        while not done:
            _, _, term, trunc, _ = env.step(me.act()[0])
            ret += w.state.reward[0]
            done = term or trunc
        out.append(row_of(w.outcome(0), ret, info["episode_seed"]))
    return out


def vector_face(kinds) -> list[dict]:
    """World b plays episode b first: its outcome (no team returns: rewards are per agent)."""
    venv = aerena.vector_env(SCEN, EPISODES, seed=S, **OVR)
    venv.reset()
    w = venv.world
    assert list(venv.episode_number) == list(range(EPISODES))
    seeds = [int(x) for x in w.seeds]
    players = players_on(w, kinds, S)
    cols = {side: side_columns(w, side) for side in players}
    for p in players.values():
        p.reset()
    out: list[dict | None] = [None] * EPISODES
    while any(r is None for r in out):
        act = np.zeros((EPISODES, w.sizes["N"]), dtype=np.int64)
        for side, p in players.items():
            act[:, cols[side]] = p.act()
        _, _, _, _, info = venv.step(act)
        for b, outcome in zip(info.get("final_index", ()), info.get("final_info", ()), strict=True):
            if out[b] is None:
                out[b] = {"seed": seeds[b], **outcome}
    return out  # type: ignore[return-value]


@pytest.mark.parametrize("kinds", KINDS, ids=["scripted", "random"])
def test_same_episodes_through_every_face(kinds) -> None:
    ref = run_rollouts(SCEN, *kinds, episodes=EPISODES, seed=S, worlds=2, overrides=OVR)
    want = [comparable(r) for r in ref["episodes"]]
    assert [r["seed"] for r in want] == [aerena.episode_seed(S, e) for e in range(EPISODES)]
    assert [comparable(r) for r in parallel_face(kinds)] == want
    no_returns = [{k: v for k, v in r.items() if not k.startswith("return_")} for r in want]
    assert vector_face(kinds) == no_returns
    for side in ("attacker", "defender"):
        assert [comparable(r) for r in single_face(kinds, side)] == want, side
