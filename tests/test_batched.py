"""The batched RLlib path (`training.sampler`, `training.batched_runner`) against SideEnv.

* The sampler at B = 1 plays exactly SideEnv's episodes (observations, actions, summed
  rewards, terminated / truncated, outcomes) under the same seed and the same action
  rule, for every play option: decision intervals, emission latch and plan, target plan,
  centralised critic, random opponent, both sides learning, options with a learned
  duration (`hold`).
* At B > 1 world b plays SideEnv's episodes at vector index b (seeds line up per world).
* Sampled actions never violate the masks; agents without a choice give no rows.
* A 2-iteration PPO / APPO / IMPALA run on the batched path trains, checkpoints and
  resumes; one experiment seed gives identical first iterations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from aerena.training.sampler import BatchedSampler
from aerena.training.side_env import SideEnv

SEED = 3


def choose(obs: dict[str, Any]) -> int:
    """A deterministic legal action from an observation (a hash of its features)."""
    legal = np.flatnonzero(np.asarray(obs["action_mask"]) != 0)
    if len(legal) == 0:
        return 0
    h = int(abs(float(np.asarray(obs["self"], np.float64).sum())) * 997)
    h += int(np.asarray(obs["entity_mask"]).sum())
    return int(legal[h % len(legal)])


def rule_policy(role: str, obs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    n = len(obs["self"])
    a = np.array([choose({k: v[i] for k, v in obs.items()}) for i in range(n)], np.int64)
    return a, np.zeros(n, np.float32), np.zeros((n, obs["action_mask"].shape[1]), np.float32)


def _new(tr: dict, a: str) -> dict:
    return tr.setdefault(a, {"obs": [], "act": [], "rew": [], "term": False, "trunc": False})


def side_episodes(cfg: dict[str, Any], n: int) -> list[tuple[int, dict, dict]]:
    """n episodes of SideEnv played by `choose`: (env steps, per-agent data, outcome)."""
    env = SideEnv(cfg)
    out = []
    for _ in range(n):
        obs, _ = env.reset()
        traj: dict[str, dict] = {}
        for a, o in obs.items():
            _new(traj, a)["obs"].append(o)
        steps = 0
        while True:
            acts = {a: choose(o) for a, o in obs.items()
                    if not (traj[a]["term"] or traj[a]["trunc"])}  # fmt: skip
            for a, x in acts.items():
                traj[a]["act"].append(x)
            obs, rew, term, trunc, _ = env.step(acts)
            steps += 1
            for a, o in obs.items():
                tr = _new(traj, a)
                if len(tr["act"]) > len(tr["rew"]):
                    tr["rew"].append(rew.get(a, 0.0))
                tr["obs"].append(o)
                tr["term"], tr["trunc"] = bool(term.get(a)), bool(trunc.get(a))
            if term["__all__"] or trunc["__all__"]:
                break
        out.append((steps, traj, env.last_episode))
    return out


def sampler_episodes(smp: BatchedSampler, n: int, world: int = 0) -> list[tuple[int, dict, dict]]:
    """The first n episodes of one world of the sampler, gathered from its chunks."""
    eps: dict[str, dict] = {}
    order: list[str] = []
    outcomes: list[dict] = []
    while sum(eps[e]["done"] for e in order) < n:
        for ch in smp.collect(97, rule_policy):
            if ch.world != world:
                continue
            if ch.episode_id not in eps:
                eps[ch.episode_id] = {"T": 0, "traj": {}, "done": False}
                order.append(ch.episode_id)
            e = eps[ch.episode_id]
            e["T"] += ch.t1 - ch.t0
            e["done"] = ch.terminated or ch.truncated
            for sg in ch.segments:
                tr = _new(e["traj"], sg.agent)
                obs = [{k: v[i] for k, v in sg.obs.items()} for i in range(len(sg.actions) + 1)]
                tr["obs"] += obs[1:] if tr["obs"] else obs  # a cut chunk's bootstrap obs
                tr["act"] += [int(x) for x in sg.actions]
                tr["rew"] += [float(x) for x in sg.rewards]
                tr["term"], tr["trunc"] = sg.terminated, sg.truncated
        outcomes += [o for o in smp.finished]
        smp.finished = []
    return [(eps[e]["T"], eps[e]["traj"], None) for e in order[:n]]


def assert_same(a: list, b: list) -> None:
    for e, ((ta, xa, _), (tb, xb, _)) in enumerate(zip(a, b, strict=False)):
        assert ta == tb, f"episode {e}: {ta} vs {tb} env steps"
        assert set(xa) == set(xb), f"episode {e}: agents {set(xa) ^ set(xb)}"
        for agent in xa:
            p, q = xa[agent], xb[agent]
            assert p["act"] == q["act"], (e, agent)
            np.testing.assert_allclose(p["rew"], q["rew"], rtol=0, atol=1e-9)
            assert len(p["obs"]) == len(q["obs"]), (e, agent)
            for o1, o2 in zip(p["obs"], q["obs"], strict=True):
                assert set(o1) == set(o2)
                for k in o1:
                    np.testing.assert_array_equal(np.asarray(o1[k]), np.asarray(o2[k]))
            assert (p["term"], p["trunc"]) == (q["term"], q["trunc"]), (e, agent)


CASES = [
    {"learn": "defender"},
    {"learn": "attacker"},
    {"learn": "defender", "action_repeat": {"radar": 5}, "emission_latch": True},
    {"learn": "attacker", "action_repeat": {"uav": 3}},
    {"learn": "defender", "emission_plan": (30.0, 5)},
    {"learn": "attacker", "target_plan": True},
    {"learn": "defender", "global_state": True, "opponent": "random"},
    {"learn": "both"},
    {"learn": "defender", "hold": {"radar": [1, 7, 40], "launcher": [1, 3]}},
    {"learn": "attacker", "hold": {"uav": [2, 5]}},
    {"learn": "attacker", "hold": {"uav": [2, 5]}, "shaping": {"progress": 1.0, "exposure": 0.01}},
    {"learn": "both", "shaping": {"progress": 0.5}},
    {"learn": "defender", "time_limit": "terminal", "overrides": {"episode.max_steps": 40}},
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}" for k in c) + c["learn"])
def test_sampler_b1_plays_side_env_episodes(case: dict[str, Any]) -> None:
    cfg = {"scenario": "tiny", "seed": SEED, **case}
    want = side_episodes(cfg, 3)
    smp = BatchedSampler({**cfg, "skip_forced": False}, 1)
    got = sampler_episodes(smp, 3)
    assert_same(want, got)
    # the outcomes and both sides' team returns agree too
    smp2 = BatchedSampler({**cfg, "skip_forced": False}, 1)
    while len(smp2.finished) < 3:
        smp2.collect(200, rule_policy)
    for (_, _, last), fin in zip(want, smp2.finished, strict=False):
        for key in ("asset_value_destroyed", "return_attacker", "return_defender", "kills"):
            assert last[key] == pytest.approx(fin[key], abs=1e-9), key


def test_world_b_plays_side_env_at_vector_index_b() -> None:
    class Ctx(dict):
        worker_index, vector_index = 1, 2

    cfg = {"scenario": "tiny", "seed": SEED, "learn": "defender", "opponent": "random"}
    ctx = Ctx(cfg)
    env = SideEnv(ctx)
    smp = BatchedSampler({**cfg, "skip_forced": False}, 4, worker_index=1)
    # the world seeds (and so the scenario draws) of world 2 are SideEnv's at index 2
    env.reset()
    smp.collect(1, rule_policy)
    assert env.world.seeds[0] == smp.world.seeds[2]
    np.testing.assert_array_equal(env.world.state.gnd_pos[0], smp.world.state.gnd_pos[2])


def test_sampled_actions_respect_masks_and_forced_rows_are_skipped() -> None:
    rng = np.random.default_rng(0)
    seen: dict[str, int] = {}

    def random_policy(role: str, obs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        m = obs["action_mask"] != 0
        assert m.any(axis=1).all()
        if role == "launcher":
            assert (m.sum(axis=1) > 1).all(), "a launcher with one legal action decided"
        g = rng.random(m.shape) * m
        a = g.argmax(axis=1)
        seen[role] = seen.get(role, 0) + len(a)
        return a, np.zeros(len(a), np.float32), np.where(m, 0.0, -1e30).astype(np.float32)

    smp = BatchedSampler({"scenario": "tiny", "seed": 1, "learn": "both"}, 16)
    chunks = smp.collect(2000, random_policy)
    assert set(seen) == {"uav", "launcher", "radar"}
    steps = sum(c.t1 - c.t0 for c in chunks)
    assert steps >= 2000
    assert int(smp.world.state.invalid_count.sum()) == 0  # no masked action reached the world
    for c in chunks:
        for sg in c.segments:
            am = sg.obs["action_mask"][:-1]
            assert am[np.arange(len(sg.actions)), sg.actions].all()
            assert len(sg.obs["self"]) == len(sg.actions) + 1


def test_time_limit_terminal_ends_decisions_at_max_steps() -> None:
    """`time_limit: terminal`: decisions at the time limit end terminated (no bootstrap
    from the critic); the default keeps them truncated."""
    cfg = {"scenario": "tiny", "seed": SEED, "learn": "defender", "overrides":
           {"episode.max_steps": 40}}  # fmt: skip
    flags = {}
    for mode in ("bootstrap", "terminal"):
        smp = BatchedSampler({**cfg, "time_limit": mode}, 4, complete_episodes=True)
        chunks = [c for _ in range(3) for c in smp.collect(100, rule_policy)]
        segs = [sg for c in chunks for sg in c.segments]
        flags[mode] = (sum(sg.truncated for sg in segs), sum(c.truncated for c in chunks))
        assert segs and all(sg.terminated or sg.truncated for sg in segs)
    assert min(flags["bootstrap"]) > 0, flags
    assert flags["terminal"] == (0, 0), flags
    with pytest.raises(ValueError, match="time_limit"):
        BatchedSampler({**cfg, "time_limit": "never"}, 1)


# --------------------------------------------------------------------------------------
# RLlib: the runner in real algorithms
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [CASES[0], CASES[8], CASES[1]], ids=["def", "hold", "att"])
def test_complete_episodes_are_the_truncated_episodes_whole(case: dict[str, Any]) -> None:
    """`complete_episodes`: only ended world-episodes come back, each whole (one chunk from
    step 0, every segment from the agent's first decision), and they are exactly the
    episodes the truncating sampler returns in pieces."""
    cfg = {"scenario": "tiny", "seed": SEED, "skip_forced": False, **case}
    whole = BatchedSampler(cfg, 4, worker_index=1, complete_episodes=True)
    for _ in range(6):
        for ch in whole.collect(97, rule_policy):
            assert ch.t0 == 0 and (ch.terminated or ch.truncated)
            assert all(sg.t_started == 0 for sg in ch.segments)
    for b in (0, 3):
        a = sampler_episodes(BatchedSampler(cfg, 4, worker_index=1, complete_episodes=True), 2, b)
        t = sampler_episodes(BatchedSampler(cfg, 4, worker_index=1), 2, b)
        assert_same(a, t)


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)  # fmt: skip
    yield ray
    ray.shutdown()


def _quick(algo: str, **extra: Any) -> Any:
    from aerena.training.config import experiment_for_scenario
    from tests.quick_runs import QUICK_RUN

    ov = {**QUICK_RUN, "algorithm.name": algo, "algorithm.train_batch_size": 400,
          "resources.num_envs_per_env_runner": 8, "stop.iterations": 2,
          "checkpoint.every": 1, **extra}  # fmt: skip
    return experiment_for_scenario("tiny", ov)


@pytest.mark.parametrize("algo", ["PPO", "APPO", "IMPALA"])
def test_two_iterations_checkpoint_and_resume(algo: str, tmp_path: Any, ray_local: Any) -> None:
    from aerena.training.train import train

    res = train(_quick(algo), runs_dir=tmp_path, file=open("/dev/null", "w"))  # noqa: SIM115
    assert res.iterations == 2 and res.env_steps > 0
    assert res.checkpoint is not None and res.checkpoint.is_dir()
    again = train(resume=res.run_dir, overrides={"stop.iterations": 3},
                  file=open("/dev/null", "w"))  # noqa: SIM115  # fmt: skip
    assert again.iterations == 3 and again.env_steps > res.env_steps


def test_same_seed_same_first_iterations(ray_local: Any) -> None:
    from aerena.training.train import build_algorithm_config

    runs = []
    for _ in range(2):
        algo = build_algorithm_config(_quick("PPO").config).build_algo()
        rec = []
        for _ in range(2):
            r = algo.train()
            rec.append((r["num_env_steps_sampled_lifetime"],
                        r["env_runners"].get("episode_return_mean")))  # fmt: skip
        algo.stop()
        runs.append(rec)
    assert runs[0] == runs[1]


def test_plan_radar_with_frozen_launchers_trains_on_short_fragments(
    tmp_path: Any, ray_local: Any
) -> None:
    """A plan radar's one decision closes only at its episode's end: with many worlds and
    short fragments the runner samples on until a trained module has a row."""
    from aerena.training.train import train

    exp = _quick("PPO", **{"emission_plan": {"step_s": 10.0, "choices": 4},
                           "init.freeze": ["launcher"], "stop.iterations": 1,
                           "algorithm.train_batch_size": 64,
                           "resources.num_envs_per_env_runner": 32})  # fmt: skip
    res = train(exp, runs_dir=tmp_path, file=open("/dev/null", "w"))  # noqa: SIM115
    assert res.iterations == 1 and res.env_steps >= 64


def test_complete_episodes_train(tmp_path: Any, ray_local: Any) -> None:
    """`resources.batch_mode: complete_episodes` trains on the batched path."""
    from aerena.training.train import train

    exp = _quick("PPO", **{"resources.batch_mode": "complete_episodes", "stop.iterations": 1})
    res = train(exp, runs_dir=tmp_path, file=open("/dev/null", "w"))  # noqa: SIM115
    assert res.iterations == 1 and res.env_steps >= 400


def test_the_single_path_still_trains(tmp_path: Any, ray_local: Any) -> None:
    """`resources.sampler: single` (RLlib's runner over SideEnv, B = 1) for debugging."""
    from aerena.training.train import train

    exp = _quick("PPO", **{"resources.sampler": "single", "resources.num_envs_per_env_runner": 1,
                           "stop.iterations": 1})  # fmt: skip
    res = train(exp, runs_dir=tmp_path, file=open("/dev/null", "w"))  # noqa: SIM115
    assert res.iterations == 1 and res.env_steps >= 400


def test_fragment_and_batch_arithmetic_is_checked_with_the_experiment() -> None:
    """RLlib's PPO rule (train batch = whole rounds of fragment x runners x worlds, within
    10%) is refused as one experiment error, before any Ray start; a fitting one passes."""
    from aerena.training.config import Experiment

    res = {"num_env_runners": 2, "num_envs_per_env_runner": 32, "rollout_fragment_length": 300}
    Experiment(scenario="tiny", algorithm={"train_batch_size": 19200}, resources=res)
    with pytest.raises(ValueError, match=r"rollout_fragment_length: 300 x 2 runners .* or 250"):
        Experiment(scenario="tiny", algorithm={"train_batch_size": 16000}, resources=res)
    Experiment(scenario="tiny", algorithm={"name": "APPO", "train_batch_size": 16000},
               resources=res)  # fmt: skip
    # the batch is per learner: 2 learners x 9600 = 19200 fits, 2 x 19200 is two rounds
    for tbs in (9600, 19200):
        Experiment(scenario="tiny", algorithm={"train_batch_size": tbs},
                   resources={**res, "num_learners": 2})  # fmt: skip
    with pytest.raises(ValueError, match="x 2 learners = 16000"):
        Experiment(scenario="tiny", algorithm={"train_batch_size": 8000},
                   resources={**res, "num_learners": 2})  # fmt: skip
