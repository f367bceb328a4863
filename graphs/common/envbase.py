"""Shared shell of the constructive graph-problem envs (Gymnasium `Env`).

A subclass builds one solution step by step: it declares its spaces, turns an instance
into state (`_start`), reports the valid actions (`_mask`), applies one (`_apply`, which
returns the reward and whether the solution is complete), and renders observations
(`_obs`). This class does the rest (and ``to_pyg()``, the observation as a
torch-geometric graph): instances from the named generator seeded by
``reset(seed)`` or from ``options={"instance": ...}``, the action mask in both the
observation and ``info["action_mask"]``, masked actions, and the final
``info["objective"]`` / ``info["solution"]``. ``action_masks()`` returns the same mask as
bool [n_actions] (the `Discrete` action space's mask in sb3-contrib's form: `MaskablePPO`
works on every graph env without a wrapper).

Masked actions: with ``invalid_action="repair"`` (default) a masked action is replaced
by the lowest valid one and ``info["invalid_action"]`` is True; with ``"raise"`` it is a
`ValueError`. Either way the episode return equals the objective identity in the env card.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from aerena.graphs.common.graph import max_edges_bound
from aerena.graphs.common.pyg import to_pyg
from aerena.graphs.common.registry import Registry

INVALID_ACTION_MODES = ("repair", "raise")


class ConstructiveEnv(gym.Env):
    """Base class: see the module docstring."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}
    problem = "problem"
    generators: Registry  # set by each subclass (a class attribute: envs stay picklable)

    def __init__(
        self,
        generator: str,
        generator_kwargs: dict[str, Any] | None,
        invalid_action: str = "repair",
        render_mode: str | None = None,
    ) -> None:
        if invalid_action not in INVALID_ACTION_MODES:
            raise ValueError(
                f"invalid_action must be one of {INVALID_ACTION_MODES}, got {invalid_action!r}"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.generator_name = self.generators.canonical(generator)
        self.generator_kwargs = dict(generator_kwargs or {})
        self.invalid_action = invalid_action
        self.render_mode = render_mode
        self.instance: Any = None
        self._done = True
        self._steps = 0
        self._return = 0.0

    # ------------------------------------------------------------------ subclass API
    def _check_instance(self, instance: Any) -> None:
        raise NotImplementedError

    def _start(self) -> None:
        raise NotImplementedError

    def _mask(self) -> np.ndarray:
        raise NotImplementedError

    def _apply(self, action: int) -> tuple[float, bool]:
        raise NotImplementedError

    def _obs(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def solution(self) -> np.ndarray:
        """The (partial) solution built so far, in the problem's solution format."""
        raise NotImplementedError

    def objective_value(self) -> float:
        """Objective of the finished solution."""
        raise NotImplementedError

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        unknown = set(options) - {"instance"}
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)} (known: 'instance')")
        inst = options.get("instance")
        if inst is None:
            generate = self.generators.get(self.generator_name)
            inst = generate(self.np_random, **self.generator_kwargs)
        self._check_instance(inst)
        self.instance = inst
        self._steps = 0
        self._return = 0.0
        self._done = False
        self._start()
        mask = self._mask()
        return self._obs(), {"action_mask": mask.copy()}

    def step(self, action: Any):
        if self._done:
            raise RuntimeError(f"{type(self).__name__}: the episode is over, call reset()")
        mask = self._mask()
        a = int(np.asarray(action).reshape(()))
        invalid = not (0 <= a < mask.shape[0] and mask[a])
        if invalid:
            if self.invalid_action == "raise":
                raise ValueError(f"action {a} is masked (valid: {np.flatnonzero(mask).tolist()})")
            a = int(np.flatnonzero(mask)[0])
        reward, terminated = self._apply(a)
        self._steps += 1
        self._return += reward
        self._done = terminated
        new_mask = self._mask()
        info: dict[str, Any] = {"action_mask": new_mask.copy(), "invalid_action": invalid}
        if terminated:
            info["objective"] = self.objective_value()
            info["solution"] = self.solution()
        return self._obs(), float(reward), bool(terminated), False, info

    def action_masks(self) -> np.ndarray:
        """bool [action_space.n]: the actions allowed now (sb3-contrib's `MaskablePPO`)."""
        if self.instance is None:
            raise RuntimeError(f"{type(self).__name__}: call reset() before action_masks()")
        return self._mask().astype(np.bool_)

    def to_pyg(self, obs: dict[str, np.ndarray] | None = None) -> Any:
        """The current observation (or `obs`) as a torch-geometric graph, padding removed
        (`Data`, or `HeteroData` for MaxCover and WTA; see :mod:`aerena.graphs.common.pyg`)."""
        if self.instance is None:
            raise RuntimeError("call reset() before to_pyg()")
        return to_pyg(self.problem, self._obs() if obs is None else obs)

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        if self.instance is None:
            return f"{self.problem}: not reset"
        sol = self.solution()
        return (
            f"{self.problem} {self.instance!r} step {self._steps} return {self._return:.6g} "
            f"solution {np.asarray(sol).tolist()}"
        )


def pad(a: np.ndarray, shape: tuple[int, ...], dtype: Any, fill: Any = 0) -> np.ndarray:
    """`a` copied into the top-left corner of a `fill` array of `shape`."""
    out = np.full(shape, fill, dtype=dtype)
    out[tuple(slice(0, s) for s in a.shape)] = a
    return out


def unit_box(shape: tuple[int, ...]) -> gym.spaces.Box:
    return gym.spaces.Box(0, 1, shape=shape, dtype=np.int8)


def float_box(shape: tuple[int, ...], low: float = -np.inf, high: float = np.inf):
    return gym.spaces.Box(low, high, shape=shape, dtype=np.float32)


def index_box(shape: tuple[int, ...], high: int, low: int = 0) -> gym.spaces.Box:
    return gym.spaces.Box(low, max(high, low), shape=shape, dtype=np.int64)


def scaled_coords(coords: np.ndarray | None, n: int) -> tuple[np.ndarray, float]:
    """Coordinates shifted and scaled into the unit square (aspect kept), and the scale."""
    if coords is None:
        return np.zeros((n, 2)), 1.0
    lo = coords.min(axis=0)
    span = float((coords.max(axis=0) - lo).max())
    span = span if span > 0 else 1.0
    return (coords - lo) / span, span


def graph_arrays(
    edges: np.ndarray, weights: np.ndarray, max_edges: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded directed edge index ``[2, 2E]`` int64 (both directions, zeros after the
    real edges), its weights ``[2E]`` float32 and mask ``[2E]`` int8."""
    m = edges.shape[0]
    if m > max_edges:
        raise ValueError(f"graph has {m} edges > max_edges={max_edges}")
    ei = np.zeros((2, 2 * max_edges), dtype=np.int64)
    ei[:, :m] = edges.T
    ei[:, m : 2 * m] = edges[:, ::-1].T
    w = np.zeros(2 * max_edges, dtype=np.float32)
    w[:m] = weights
    w[m : 2 * m] = weights
    mask = np.zeros(2 * max_edges, dtype=np.int8)
    mask[: 2 * m] = 1
    return ei, w, mask


def default_max_edges(generator: str, n: int, kwargs: dict[str, Any]) -> int:
    """A bound on the undirected edge count of `generator` graphs on n nodes."""
    params = {k: kwargs[k] for k in ("p", "m", "k") if k in kwargs}
    return max(1, max_edges_bound(generator, n, **params))
