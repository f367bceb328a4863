"""Behaviour cloning: warm-start the learning side's modules from a scripted teacher.

    init: {imitate: scripted, episodes: 100, epochs: 4}        # in an experiment YAML

RL from random weights on `strike_small` spends its first hours relearning what the
scripted players already do (fly terrain-masked routes, engage the right track). Like
AlphaStar's supervised stage, `aerena train` can first fit the modules to a teacher and
start RL from there:

1. **Demonstrations** (:func:`collect_demonstrations`): the teacher plays the learning
   side against the experiment's opponent (`scripted` or `random`) on `B` worlds at once,
   straight on the :class:`~aerena.envs.airdefense.world.World` arrays (no RLlib, no
   torch: thousands of steps per second). Each *decision row* -- an alive agent of a
   cloned role with at least two legal actions -- keeps the agent's observation exactly
   as RLlib's module sees it (`self`, `entities`, `entity_mask`, `action_mask`), the
   teacher's action and the agent's discounted return from that step (its own reward
   stream, the side's team reward while it is alive, with the experiment's `gamma`).
   Rows with a single legal action teach nothing and are left out.
2. **Fit** (:func:`fit_modules`): per role, cross-entropy of the masked logits on the
   teacher's action plus `value_coeff` x the squared error of the value head on the
   return (a warm critic: PPO's first advantages are not noise), Adam, minibatches.
   Accuracy is measured on a held-out tenth of the episodes.
3. **Load** (:func:`load_into_algorithm`): the fitted weights go into the learner's
   modules and are synced to every env runner before the first `algo.train()`.

Roles listed in `init.roles` are cloned; the others keep their random initial weights
(e.g. clone the launchers' fire control and let the radar's emission policy be learned
from scratch). The fit's figures go to `imitation.json` in the run folder.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from aerena.envs.airdefense import layout as Lo
from aerena.files import atomic_write

OBS_KEYS = ("self", "entities", "entity_mask", "action_mask")


def collect_demonstrations(
    world: Any,
    side: str,
    roles: list[str],
    teacher: Any,
    opponent: Any,
    episodes: int,
    seed: int,
    gamma: float,
    with_state: bool = False,
) -> dict[str, dict[str, np.ndarray]]:
    """Decision rows of `roles` of `side` over `episodes` episodes (episode e: seed + e).

    `teacher` and `opponent` are players of `world` (the teacher plays `side`). Returns,
    per role, `self` [M, S], `entities` [M, K, F], `entity_mask` [M, K] int8,
    `action_mask` [M, n] int8, with `with_state` `state` [M, D] (the world's global
    state, for a centralised critic), `action` [M] int64, `return` [M] float32, `episode`
    [M] int64 (the episode each row comes from) and `step` [M] int64 (its world step).
    """
    from aerena.agents.scripted import side_columns
    from aerena.envs.airdefense.rollout import recycle_worlds

    B = world.num_worlds
    s = world.state
    side_idx = 0 if side == "attacker" else 1
    cols = side_columns(world, side)
    other_cols = side_columns(world, "defender" if side == "attacker" else "attacker")
    groups = []  # (role, columns of the world, action count)
    for role in roles:
        c = cols[world.agent_role[cols] == Lo.AGENT_ROLE_CODES[role]]
        if len(c):
            groups.append((role, c, int(world.action_sizes[c[0]])))
    obs_keys = (*OBS_KEYS, "state") if with_state else OBS_KEYS
    rows: dict[str, dict[str, list[np.ndarray]]] = {
        role: {k: [] for k in (*obs_keys, "action", "return", "episode", "step")}
        for role, _, _ in groups
    }
    N = world.sizes["N"]
    first = min(B, episodes)
    slot_ep = np.full(B, -1, dtype=np.int64)
    slot_ep[:first] = np.arange(first)
    world.reset([seed + e for e in range(first)], worlds=list(range(first)))
    teacher.reset()
    opponent.reset()
    next_ep = first
    actions = np.zeros((B, N), dtype=np.int64)
    # per world: rewards of every step, the step each agent stopped earning, and the
    # (role, agent column, step, row) of its recorded decisions
    rewards: list[list[float]] = [[] for _ in range(B)]
    alive_steps: list[list[np.ndarray]] = [[] for _ in range(B)]
    pending: list[list[tuple[str, int, int, int]]] = [[] for _ in range(B)]
    counts = {role: 0 for role, _, _ in groups}
    returns: dict[str, list[tuple[int, float]]] = {role: [] for role, _, _ in groups}

    def finish(b: int) -> None:
        r = np.asarray(rewards[b], dtype=np.float64)
        alive = np.asarray(alive_steps[b], dtype=bool)  # [T, N]
        T = len(r)
        for role, n, t, row in pending[b]:
            # the agent earns the team reward in every step it starts alive
            g, disc = 0.0, 1.0
            for k in range(t, T):
                if not alive[k, n]:
                    break
                g += disc * r[k]
                disc *= gamma
            returns[role].append((row, g))
        rewards[b].clear()
        alive_steps[b].clear()
        pending[b].clear()

    while True:
        next_ep = recycle_worlds(
            world, [teacher, opponent], slot_ep, next_ep, episodes, seed, finish
        )
        live = slot_ep >= 0
        if not live.any():
            break
        actions[:, cols] = teacher.act()
        actions[:, other_cols] = opponent.act()
        live_idx = np.flatnonzero(live)
        gs = world.global_state() if with_state else None
        for role, c, n_act in groups:
            am = s.act_mask[:, c, :n_act]  # [B, n, A]
            decide = s.agent_alive[:, c] & (am.sum(axis=2) >= 2) & live[:, None]
            bw, aw = np.nonzero(decide)
            if len(bw) == 0:
                continue
            d = rows[role]
            d["self"].append(s.obs_self[bw, c[aw]].astype(np.float32))
            d["entities"].append(s.obs_ent[bw, c[aw]].astype(np.float32))
            d["entity_mask"].append(s.obs_mask[bw, c[aw]].astype(np.int8))
            d["action_mask"].append(am[bw, aw].astype(np.int8))
            if gs is not None:
                d["state"].append(gs[bw])
            d["action"].append(actions[bw, c[aw]].copy())
            d["episode"].append(slot_ep[bw].copy())
            d["step"].append(np.array([len(rewards[b]) for b in bw], dtype=np.int64))
            for i in range(len(bw)):
                b = int(bw[i])
                pending[b].append((role, int(c[aw[i]]), len(rewards[b]), counts[role] + i))
            counts[role] += len(bw)
        alive_before = s.agent_alive.copy()
        world.step(actions, worlds=live)
        for b in live_idx:
            rewards[b].append(float(s.reward[b, side_idx]))
            alive_steps[b].append(alive_before[b])

    out: dict[str, dict[str, np.ndarray]] = {}
    for role, d in rows.items():
        if not d["action"]:
            continue
        arrays = {k: np.concatenate(v) for k, v in d.items() if k != "return"}
        ret = np.zeros(len(arrays["action"]), dtype=np.float32)
        for row, g in returns[role]:
            ret[row] = g
        arrays["return"] = ret
        out[role] = arrays
    return out


def fit_modules(
    modules: dict[str, Any],
    data: dict[str, dict[str, np.ndarray]],
    *,
    epochs: int = 4,
    lr: float = 1e-3,
    minibatch: int = 512,
    value_coeff: float = 0.5,
    seed: int = 0,
    log: Any = None,
) -> dict[str, dict[str, float]]:
    """Fit each role's module to its rows (see the module docstring); returns per role
    the rows, epochs, held-out accuracy (teacher's action is the greedy one), the
    teacher's-action log-likelihood and the value error."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    report: dict[str, dict[str, float]] = {}
    for role, d in data.items():
        module = modules[role]
        M = len(d["action"])
        held = (d["episode"] % 10) == 9  # a tenth of the episodes, whole
        if held.all() or not held.any():
            held = np.zeros(M, dtype=bool)
            held[::10] = True
        train_idx = np.flatnonzero(~held)
        test_idx = np.flatnonzero(held)
        rows = _Rows(d)
        params = [p for n, p in module.named_parameters() if not n.startswith("_target")]
        opt = torch.optim.Adam(params, lr=lr)
        t0 = time.perf_counter()
        for epoch in range(epochs):
            perm = train_idx[torch.randperm(len(train_idx), generator=gen).numpy()]
            module.train()
            for lo in range(0, len(perm), minibatch):
                obs, act, ret = rows.take(perm[lo : lo + minibatch])
                logits, value = _forward(module, obs)
                loss = torch.nn.functional.cross_entropy(logits, act)
                loss = loss + value_coeff * torch.mean((value - ret) ** 2)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
            if log is not None:
                acc, nll, verr = _score(module, rows, test_idx)
                log(f"  {role}: epoch {epoch + 1}/{epochs}  held-out accuracy {acc:.3f}  "
                    f"nll {nll:.3f}  value mse {verr:.4f}")  # fmt: skip
        acc, nll, verr = _score(module, rows, test_idx)
        share = np.bincount(d["action"][test_idx]).max() / len(test_idx) if len(test_idx) else 0
        report[role] = {
            "rows": int(M),
            "held_out_rows": int(len(test_idx)),
            "epochs": int(epochs),
            "held_out_accuracy": acc,
            "held_out_nll": nll,
            "held_out_value_mse": verr,
            "most_common_action_share": float(share),
            "return_std": float(np.std(d["return"][test_idx])) if len(test_idx) else math.nan,
            "fit_time_s": time.perf_counter() - t0,
        }
        module.eval()
    return report


class _Rows:
    """Demonstration rows of one role as tensors; `take(idx)` -> (obs, action, return)."""

    def __init__(self, d: dict[str, np.ndarray]) -> None:
        import torch

        keys = [k for k in (*OBS_KEYS, "state") if k in d]
        self.obs = {k: torch.from_numpy(np.ascontiguousarray(d[k])) for k in keys}
        self.act = torch.from_numpy(d["action"])
        self.ret = torch.from_numpy(d["return"])

    def take(self, idx: np.ndarray) -> tuple[dict[str, Any], Any, Any]:
        import torch

        i = torch.from_numpy(np.asarray(idx))
        return {k: v[i] for k, v in self.obs.items()}, self.act[i], self.ret[i]


def _score(module: Any, rows: _Rows, idx: np.ndarray) -> tuple[float, float, float]:
    """Held-out (accuracy, mean negative log-likelihood, value MSE) of `module`."""
    import torch

    module.eval()
    hits, nll, verr = 0.0, 0.0, 0.0
    with torch.no_grad():
        for lo in range(0, len(idx), 4096):
            obs, act, ret = rows.take(idx[lo : lo + 4096])
            logits, value = _forward(module, obs)
            hits += float((logits.argmax(-1) == act).sum())
            nll += float(torch.nn.functional.cross_entropy(logits, act, reduction="sum"))
            verr += float(((value - ret) ** 2).sum())
    n = max(1, len(idx))
    return hits / n, nll / n, verr / n


def _forward(module: Any, obs: dict[str, Any]) -> tuple[Any, Any]:
    """Masked logits and value of an `EntityGNNModule` on a batch of observations."""
    from ray.rllib.core.columns import Columns

    from aerena.agents.nn import mask_logits

    enc = module._encode(obs)
    value = module.compute_values({Columns.OBS: obs}, embeddings=enc.embedding)
    return mask_logits(module.pi(enc), obs["action_mask"]), value


def imitate(exp: Any, modules: dict[str, Any], run_dir: Path | None, log: Any = None) -> dict:
    """Collect demonstrations of the experiment's `init.imitate` teacher and fit `modules`
    (role -> module, changed in place); write `imitation.json` to `run_dir`."""
    from aerena.agents.scripted import make_player
    from aerena.envs.airdefense.world import World

    init = exp.init
    side = exp.learn
    if side == "both":
        raise ValueError("init.imitate needs one learning side (learn: attacker | defender)")
    roles = [r for r in (init.roles or exp.roles) if r in modules]
    t0 = time.perf_counter()
    world = World(exp.scenario, num_worlds=min(init.worlds, init.episodes), **exp.overrides)
    other = "defender" if side == "attacker" else "attacker"
    opp_kind = exp.opponent if exp.opponent in ("scripted", "random") else "scripted"
    teacher = make_player(side, init.imitate, world, seed=exp.seed + 101)
    opponent = make_player(other, opp_kind, world, seed=exp.seed + 102)
    data = collect_demonstrations(
        world, side, roles, teacher, opponent, init.episodes, init.seed, exp.algorithm.gamma,
        with_state=exp.critic == "global",
    )  # fmt: skip
    t_collect = time.perf_counter() - t0
    for r, d in data.items():  # a `hold` role: the teacher's action, held one step
        ks = list(exp.hold.get(r, ()))
        if ks:
            n = d["action_mask"].shape[1]
            d["action"] = d["action"] + (ks.index(1) if 1 in ks else 0) * n
            d["action_mask"] = np.tile(d["action_mask"], (1, len(ks)))
    if log is not None:
        sizes = ", ".join(f"{r} {len(d['action'])}" for r, d in data.items())
        log(f"imitation: {init.episodes} episodes of the {init.imitate} {side} "
            f"in {t_collect:.0f} s; decision rows: {sizes}")  # fmt: skip
    fits = fit_modules(
        modules, data, epochs=init.epochs, lr=init.lr, minibatch=init.minibatch,
        value_coeff=init.value_coeff, seed=exp.seed, log=log,
    )  # fmt: skip
    report = {
        "teacher": init.imitate,
        "side": side,
        "opponent": opp_kind,
        "episodes": init.episodes,
        "seed": init.seed,
        "collect_time_s": t_collect,
        "roles": fits,
    }
    if run_dir is not None:
        atomic_write(Path(run_dir) / "imitation.json", json.dumps(report, indent=1))
    return report


def load_into_algorithm(algo: Any, states: dict[str, dict[str, Any]]) -> None:
    """Put module state dicts (role -> state) into the learner(s) and every env runner."""

    def put(learner: Any) -> None:
        for role, state in states.items():
            learner.module[role].load_state_dict(state, strict=False)

    algo.learner_group.foreach_learner(put)
    algo.env_runner_group.sync_weights(from_worker_or_learner_group=algo.learner_group)
