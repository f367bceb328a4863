"""`aerena/IM-v0`: choose the seeds of an independent cascade one at a time (Gymnasium `Env`).

    env = gymnasium.make("aerena/IM-v0", num_nodes=50, generator="wc",
                         generator_kwargs={"budget": 5, "graph": "ba", "m": 4})
    obs, info = env.reset(seed=0)                     # or options={"instance": inst}

With N = `max_nodes` (default `num_nodes`) and E = `max_arcs` (default: both directions of
the generator's edge bound, see `max_edges_bound`)::

    Dict({
        "node_features": Box(0, 1, (N, 3), float32)  [log(1 + out-degree) / log(1 + n),
                                 log(1 + sum of out-arc probabilities) / log(1 + n),
                                 RR-set marginal gain / the largest one (0 when none)]
        "selected":      Box(0, 1, (N,), int8)
        "node_mask":     Box(0, 1, (N,), int8)
        "edge_index":    Box(0, N-1, (2, E), int64)  arcs (tail, head), zero-padded
        "edge_weight":   Box(0, 1, (E,), float32)    arc probabilities
        "edge_mask":     Box(0, 1, (E,), int8)
        "budget_left":   Box(0, 1, (1,), float32)    seeds left / budget
        "action_mask":   Box(0, 1, (N,), int8)       the unselected nodes
    })

Degrees enter on a log scale over log(1 + n), so a hub of a 2,000-node graph reads like one
of a 50-node graph rather than off the training range. The marginal gains of the third
feature count `rr_sets` (default 2000) reverse-reachable sets drawn at reset from the env's
generator (``reset(seed)``); a given instance (``options={"instance": ...}``) reset
without a seed gets the sets of seed 0, so decoding an instance is reproducible.

Action: `Discrete(N)`, an unselected node becomes a seed. Reward: its marginal gain in the
evaluation estimate of the spread (the objective's `EVAL_SIMS` live-edge worlds, see
:mod:`aerena.graphs.im.objective`), so the return is exactly the objective of the seed set
(`info["objective"]`, and the 0/1 mask `info["solution"]`, at the end). Terminates when
`budget` seeds are chosen; never truncated. Masked actions: see
:mod:`aerena.graphs.common.envbase`.

Version v0.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

import aerena.graphs.im.kernels as K
from aerena.graphs.common.envbase import ConstructiveEnv, float_box, index_box, pad, unit_box
from aerena.graphs.common.graph import max_edges_bound
from aerena.graphs.im.generators import GENERATORS
from aerena.graphs.im.instance import IMInstance
from aerena.graphs.im.objective import (
    ENV_RR_STREAM,
    EVAL_SIMS,
    EVAL_STREAM,
    rr_sets,
    stream_key,
)

ENV_RR_SETS = 2000


def node_features(instance: IMInstance, rr_gain: np.ndarray, n_slots: int) -> np.ndarray:
    """The [n_slots, 3] node features of the env card (shared by the one-pass solver)."""
    n = instance.n
    scale = np.log1p(n)
    feats = np.zeros((n_slots, 3), dtype=np.float32)
    feats[:n, 0] = np.log1p(instance.out_degrees()) / scale
    psum = np.bincount(instance.tails, weights=instance.prob, minlength=n)
    feats[:n, 1] = np.log1p(psum) / scale
    top = float(rr_gain.max(initial=0))
    if top > 0:
        feats[:n, 2] = rr_gain / top
    return feats


def arc_arrays(instance: IMInstance, n_arcs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded arc index [2, E] int64, probabilities [E] float32 and mask [E] int8."""
    m = instance.m
    ei = np.zeros((2, n_arcs), dtype=np.int64)
    ei[:, :m] = instance.arcs.T
    return ei, pad(instance.prob, (n_arcs,), np.float32), pad(np.ones(m), (n_arcs,), np.int8)


class IMEnv(ConstructiveEnv):
    problem = "im"
    generators = GENERATORS

    def __init__(
        self,
        num_nodes: int = 50,
        generator: str = "wc",
        generator_kwargs: dict[str, Any] | None = None,
        max_nodes: int | None = None,
        max_arcs: int | None = None,
        rr_sets: int = ENV_RR_SETS,
        invalid_action: str = "repair",
        render_mode: str | None = None,
    ) -> None:
        kw = {"num_nodes": num_nodes, **(generator_kwargs or {})}
        super().__init__(generator, kw, invalid_action, render_mode)
        if int(rr_sets) < 1:
            raise ValueError(f"rr_sets must be >= 1, got {rr_sets}")
        self.rr_count = int(rr_sets)
        self.N = int(max_nodes or kw["num_nodes"])
        params = {k: kw[k] for k in ("p", "m", "k") if k in kw}
        bound = max_edges_bound(str(kw.get("graph", "ba")), self.N, **params)
        self.E = int(max_arcs or max(1, 2 * bound))
        N, E = self.N, self.E
        self.observation_space = gym.spaces.Dict(
            {
                "node_features": float_box((N, 3), 0.0, 1.0),
                "selected": unit_box((N,)),
                "node_mask": unit_box((N,)),
                "edge_index": index_box((2, E), N - 1),
                "edge_weight": float_box((E,), 0.0, 1.0),
                "edge_mask": unit_box((E,)),
                "budget_left": float_box((1,), 0.0, 1.0),
                "action_mask": unit_box((N,)),
            }
        )
        self.action_space = gym.spaces.Discrete(N)

    def _check_instance(self, instance: Any) -> None:
        if not isinstance(instance, IMInstance):
            raise TypeError(f"expected an IMInstance, got {type(instance).__name__}")
        if instance.n > self.N:
            raise ValueError(f"instance has {instance.n} nodes > max_nodes={self.N}")
        if instance.m > self.E:
            raise ValueError(f"instance has {instance.m} arcs > max_arcs={self.E}")

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._fixed_rr = seed is None and (options or {}).get("instance") is not None
        return super().reset(seed=seed, options=options)

    def _start(self) -> None:
        inst = self.instance
        n = inst.n
        self._ei, self._ew, self._emask = arc_arrays(inst, self.E)
        self._node_mask = pad(np.ones(n), (self.N,), np.int8)
        self._selected = np.zeros(self.N, dtype=np.int8)
        self._k = 0
        rr_seed = 0 if self._fixed_rr else int(self.np_random.integers(2**62))
        self._rr_ptr, self._rr_nodes = rr_sets(inst, self.rr_count, rr_seed, ENV_RR_STREAM)
        self._rr_owner = np.repeat(np.arange(self.rr_count), np.diff(self._rr_ptr))
        self._rr_covered = np.zeros(self.rr_count, dtype=np.bool_)
        self._rr_gain = np.bincount(self._rr_nodes, minlength=n).astype(np.int64)
        self._key = stream_key(0, EVAL_STREAM)
        self._active = np.zeros((EVAL_SIMS, n), dtype=np.bool_)
        self._seen = np.full(n, -1, dtype=np.int64)
        self._queue = np.empty(n, dtype=np.int64)
        self._st = np.empty(1, dtype=np.uint64)
        self._total = 0

    def _mask(self) -> np.ndarray:
        n = self.instance.n
        mask = np.zeros(self.N, dtype=np.int8)
        mask[:n] = self._selected[:n] == 0
        return mask

    def _apply(self, v: int) -> tuple[float, bool]:
        inst = self.instance
        self._selected[v] = 1
        self._k += 1
        gain = K.add_seed(inst.out_ptr, inst.heads, inst.prob, self._key, v, self._active,
                          self._seen, self._queue, self._st)  # fmt: skip
        self._total += gain
        # RR sets holding v are covered now: their nodes lose them from their gain
        hit = np.zeros(self.rr_count, dtype=np.bool_)
        hit[self._rr_owner[self._rr_nodes == v]] = True
        hit &= ~self._rr_covered
        self._rr_covered |= hit
        entries = hit[self._rr_owner]
        self._rr_gain -= np.bincount(self._rr_nodes[entries], minlength=inst.n)
        return gain / EVAL_SIMS, self._k >= inst.budget

    def _obs(self) -> dict[str, np.ndarray]:
        inst = self.instance
        left = 1.0 - self._k / inst.budget
        return {
            "node_features": node_features(inst, self._rr_gain, self.N),
            "selected": self._selected.copy(),
            "node_mask": self._node_mask.copy(),
            "edge_index": self._ei.copy(),
            "edge_weight": self._ew.copy(),
            "edge_mask": self._emask.copy(),
            "budget_left": np.array([min(1.0, max(0.0, left))], dtype=np.float32),
            "action_mask": self._mask(),
        }

    def solution(self) -> np.ndarray:
        return self._selected[: self.instance.n].astype(np.bool_)

    def objective_value(self) -> float:
        return self._total / EVAL_SIMS
