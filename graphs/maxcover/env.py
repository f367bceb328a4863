"""`aerena/MaxCover-v0`: choose sets one at a time within a budget (Gymnasium `Env`).

    env = gymnasium.make("aerena/MaxCover-v0", num_sets=20, generator="bipartite",
                         generator_kwargs={"num_items": 40})
    obs, info = env.reset(seed=0)                     # or options={"instance": inst}

The bipartite set-item graph is the observation. With S = `max_sets`, I = `max_items`,
E = `max_edges` (set-item memberships; defaults from the generator's parameters)::

    Dict({
        "set_features":  Box(0, 1, (S, 3), float32)  [chosen, min(1, cost / budget),
                                                marginal gain / total item weight]
        "item_features": Box(0, 1, (I, 2), float32)  [weight / max weight, covered]
        "set_mask":      Box(0, 1, (S,), int8)
        "item_mask":     Box(0, 1, (I,), int8)
        "edge_index":    Box(0, max(S, I)-1, (2, E), int64)  row 0 set, row 1 item;
                                                              zero-padded
        "edge_mask":     Box(0, 1, (E,), int8)
        "budget_left":   Box(0, 1, (1,), float32)  remaining budget / budget
        "action_mask":   Box(0, 1, (S + 1,), int8) affordable unchosen sets that add
                                                   weight; the last entry (stop) is
                                                   always valid
    })

Action: `Discrete(S + 1)`: a set index chooses it, S stops. Reward: the item weight newly
covered, so the return is exactly the covered weight (`info["objective"]`, and the 0/1
choice `info["solution"]`, at the end). Terminates on stop or when no set is both
affordable and useful; never truncated. Masked actions: see
:mod:`aerena.graphs.common.envbase`.

Version v0.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from aerena.graphs.common.envbase import ConstructiveEnv, float_box, index_box, pad, unit_box
from aerena.graphs.common.graph import max_edges_bound
from aerena.graphs.maxcover.generators import GENERATORS
from aerena.graphs.maxcover.instance import MaxCoverInstance
from aerena.graphs.maxcover.objective import covered_weight

EPS = 1e-9


def _defaults(generator: str, kw: dict[str, Any]) -> tuple[int, int, int]:
    s = int(kw["num_sets"])
    if generator == "bipartite":
        items = int(kw.get("num_items", 40))
        return s, items, s * min(int(kw.get("max_size", 8)), items)
    params = {k: kw[k] for k in ("p", "m", "k") if k in kw}
    return s, s, s + 2 * max_edges_bound(generator, s, **params)


class MaxCoverEnv(ConstructiveEnv):
    problem = "maxcover"
    generators = GENERATORS

    def __init__(
        self,
        num_sets: int = 20,
        generator: str = "bipartite",
        generator_kwargs: dict[str, Any] | None = None,
        max_sets: int | None = None,
        max_items: int | None = None,
        max_edges: int | None = None,
        invalid_action: str = "repair",
        render_mode: str | None = None,
    ) -> None:
        kw = {"num_sets": num_sets, **(generator_kwargs or {})}
        super().__init__(generator, kw, invalid_action, render_mode)
        ds, di, de = _defaults(self.generator_name, kw)
        self.S = int(max_sets or ds)
        self.I = int(max_items or di)
        self.E = int(max_edges or de)
        S, I, E = self.S, self.I, self.E
        self.observation_space = gym.spaces.Dict(
            {
                "set_features": float_box((S, 3), 0.0, 1.0),
                "item_features": float_box((I, 2), 0.0, 1.0),
                "set_mask": unit_box((S,)),
                "item_mask": unit_box((I,)),
                "edge_index": index_box((2, E), max(S, I) - 1),
                "edge_mask": unit_box((E,)),
                "budget_left": float_box((1,), 0.0, 1.0),
                "action_mask": unit_box((S + 1,)),
            }
        )
        self.action_space = gym.spaces.Discrete(S + 1)

    def _check_instance(self, instance: Any) -> None:
        if not isinstance(instance, MaxCoverInstance):
            raise TypeError(f"expected a MaxCoverInstance, got {type(instance).__name__}")
        if instance.n_sets > self.S or instance.n_items > self.I:
            raise ValueError(
                f"instance has {instance.n_sets} sets / {instance.n_items} items > "
                f"max_sets={self.S} / max_items={self.I}"
            )
        if instance.set_items.shape[0] > self.E:
            raise ValueError(
                f"instance has {instance.set_items.shape[0]} memberships > max_edges={self.E}"
            )

    def _start(self) -> None:
        inst = self.instance
        ptr, items = inst.set_ptr, inst.set_items
        nnz = items.shape[0]
        self._ei = np.zeros((2, self.E), dtype=np.int64)
        self._ei[0, :nnz] = np.repeat(np.arange(inst.n_sets), np.diff(ptr))
        self._ei[1, :nnz] = items
        self._emask = pad(np.ones(nnz), (self.E,), np.int8)
        self._set_mask = pad(np.ones(inst.n_sets), (self.S,), np.int8)
        self._item_mask = pad(np.ones(inst.n_items), (self.I,), np.int8)
        self._chosen = np.zeros(self.S, dtype=np.int8)
        self._covered = np.zeros(inst.n_items, dtype=np.bool_)
        self._spent = 0.0
        self._total_w = float(inst.item_weights.sum()) or 1.0
        self._wmax = float(inst.item_weights.max(initial=0.0)) or 1.0
        self._gain = np.asarray(
            [inst.item_weights[items[ptr[s] : ptr[s + 1]]].sum() for s in range(inst.n_sets)]
        )
        # item -> sets holding it (CSR)
        owner = self._ei[0, :nnz]
        order = np.argsort(items, kind="stable")
        self._holders = owner[order]
        self._hptr = np.zeros(inst.n_items + 1, dtype=np.int64)
        np.cumsum(np.bincount(items, minlength=inst.n_items), out=self._hptr[1:])

    def _mask(self) -> np.ndarray:
        inst = self.instance
        S = inst.n_sets
        mask = np.zeros(self.S + 1, dtype=np.int8)
        ok = (
            (self._chosen[:S] == 0)
            & (inst.set_costs <= inst.budget - self._spent + EPS)
            & (self._gain > EPS)
        )
        mask[:S] = ok
        mask[self.S] = 1
        return mask

    def _apply(self, a: int) -> tuple[float, bool]:
        if a == self.S:
            return 0.0, True
        inst = self.instance
        ptr, items, w = inst.set_ptr, inst.set_items, inst.item_weights
        reward = float(self._gain[a])
        self._chosen[a] = 1
        self._spent += float(inst.set_costs[a])
        for k in range(ptr[a], ptr[a + 1]):
            it = items[k]
            if not self._covered[it]:
                self._covered[it] = True
                # every set holding `it` loses its weight from the gain
                self._gain[self._holders[self._hptr[it] : self._hptr[it + 1]]] -= w[it]
        self._gain[a] = 0.0
        return reward, not bool(self._mask()[: self.S].any())

    def _obs(self) -> dict[str, np.ndarray]:
        inst = self.instance
        S, I = inst.n_sets, inst.n_items
        sf = np.zeros((self.S, 3), dtype=np.float32)
        sf[:S, 0] = self._chosen[:S]
        sf[:S, 1] = np.minimum(1.0, inst.set_costs / max(inst.budget, EPS))
        sf[:S, 2] = np.clip(self._gain / self._total_w, 0.0, 1.0)
        itf = np.zeros((self.I, 2), dtype=np.float32)
        itf[:I, 0] = inst.item_weights / self._wmax
        itf[:I, 1] = self._covered
        left = 1.0 - self._spent / inst.budget if inst.budget > 0 else 0.0
        return {
            "set_features": sf,
            "item_features": itf,
            "set_mask": self._set_mask.copy(),
            "item_mask": self._item_mask.copy(),
            "edge_index": self._ei.copy(),
            "edge_mask": self._emask.copy(),
            "budget_left": np.array([min(1.0, max(0.0, left))], dtype=np.float32),
            "action_mask": self._mask(),
        }

    def solution(self) -> np.ndarray:
        return self._chosen[: self.instance.n_sets].astype(np.bool_)

    def objective_value(self) -> float:
        inst = self.instance
        return float(
            covered_weight(inst.set_ptr, inst.set_items, inst.item_weights, self.solution())
        )
