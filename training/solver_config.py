"""The solver-experiment schema: what `aerena train-solver --config` reads, validated.

A solver experiment YAML (see `training/experiments/solvers/*.yaml`)::

    name: tsp20-pomo          # the run folder runs/<name>-<timestamp>/ (default: file stem)
    problem: tsp              # tsp | cvrp | mvc | maxcut | maxcover | wta | im
    algorithm: pomo           # pomo (tsp, cvrp) | ppo (every problem) | gcomb (im);
                              # default: pomo for tsp / cvrp, gcomb for im, else ppo
    engine: torch             # pomo: rllib (custom RLlib Algorithm) | torch (plain loop)
    nodes: 20                 # pomo: TSP nodes / CVRP customers
    iterations: 200           # updates (pomo), PPO iterations, epochs (gcomb): totals
    minutes: null             # wall-time budget (pomo, engine torch), totals over resumes
    batch_size: 64            # pomo: instances per update
    lr: 1.0e-4                # default: pomo 1e-4, ppo 3e-4, gcomb 2e-3
    model: {dim: 128, layers: 3, heads: 8}   # the net's config (the problem's keys)
    seed: 0
    device: cpu               # pomo, engine torch: cpu | cuda | cuda:N
    validate_every: 100       # pomo: updates between validations (a progress record each)
    checkpoint_every: 100     # pomo, engine torch: updates between resumable checkpoints
    out: null                 # also write the trained model here (besides RUN/model.pt)
    ppo: {env_kwargs: {num_nodes: 30}, size_range: null, train_batch_size: 2048, ...}
    gcomb: {graphs: 300}

Only `problem` is required. Loading is the experiments' (:mod:`aerena.training.config`):
the same YAML reader, located ``FILE:LINE:COL: field: message`` errors with a "did you
mean" for unknown keys, and ``--set key=value`` overrides through
:func:`aerena.scenarios.overrides.set_dotted`.

Public API::

    load_solver_experiment(path, overrides=None) -> SolverExperiment
    solver_experiment(data, loc, display, overrides=None) -> SolverExperiment
    SolverExperiment.net_config() / .to_yaml()
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from aerena.cliargs import MAX_COUNT, MAX_SEED
from aerena.errors import UserError
from aerena.scenarios.located import Loc
from aerena.training.config import read_config_file, validate_config

PROBLEMS = ("tsp", "cvrp", "mvc", "maxcut", "maxcover", "wta", "im")
ROUTING = ("tsp", "cvrp")
ALGORITHMS = ("pomo", "ppo", "gcomb")
DEFAULT_LR = {"pomo": 1e-4, "ppo": 3e-4, "gcomb": 2e-3}
#: net config keys per problem (the keywords of its net class, aerena.agents.solvers.base)
NET_KEYS = {
    "tsp": ("dim", "heads", "layers", "ff"),
    "cvrp": ("dim", "heads", "layers", "ff"),
    "mvc": ("dim", "layers", "hidden"),
    "maxcut": ("dim", "layers", "hidden"),
    "maxcover": ("dim", "layers", "hidden"),
    "im": ("dim", "layers", "hidden"),
    "wta": ("dim", "heads", "layers", "hidden"),
}
MAX_MINUTES = 7 * 24 * 60


class SolverConfigError(UserError, ValueError):
    """A solver experiment file or override that does not validate."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NetSpec(_Strict):
    """The net's sizes; unset ones take the net's defaults (pomo: dim 128, heads 8, layers
    3, ff 4 * dim; gcomb: dim 32, layers 3)."""

    dim: int | None = Field(None, ge=1, le=4096)
    heads: int | None = Field(None, ge=1, le=64)
    layers: int | None = Field(None, ge=1, le=64)
    ff: int | None = Field(None, ge=1, le=16384, description="routing nets' feed-forward width")
    hidden: int | None = Field(None, ge=1, le=16384, description="node GNN / WTA hidden width")


class PPOSpec(_Strict):
    """The PPO recipe's settings (:func:`aerena.training.solvers.ppo.train_ppo`)."""

    env_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="the env's gymnasium.make keywords (num_nodes, ...)"
    )
    size_range: tuple[int, int] | None = Field(
        None, description="graph size drawn from [lo, hi] per episode (tsp, cvrp, mvc, maxcut)"
    )
    num_env_runners: int = Field(0, ge=0, le=1024)
    envs_per_runner: int = Field(8, ge=1, le=65536)
    train_batch_size: int = Field(2048, ge=1, le=10_000_000)
    minibatch_size: int = Field(256, ge=1, le=10_000_000)
    num_epochs: int = Field(4, ge=1, le=1000)
    entropy_coeff: float = Field(0.01, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _sizes(self) -> PPOSpec:
        if self.minibatch_size > self.train_batch_size:
            raise ValueError(
                f"minibatch_size ({self.minibatch_size}) > train_batch_size "
                f"({self.train_batch_size})"
            )
        if self.size_range is not None and not 2 <= self.size_range[0] <= self.size_range[1]:
            raise ValueError(f"size_range needs 2 <= lo <= hi, got {list(self.size_range)}")
        return self


class GcombSpec(_Strict):
    """The supervised GCOMB-style recipe (:func:`aerena.training.solvers.gcomb.train`)."""

    graphs: int = Field(300, ge=2, le=1_000_000, description="labelled random training graphs")


class SolverExperiment(_Strict):
    """One graph-solver training run (see the module docstring)."""

    name: str = Field("solver", pattern=r"^[A-Za-z0-9_.-]+$")
    problem: Literal["tsp", "cvrp", "mvc", "maxcut", "maxcover", "wta", "im"]
    algorithm: Literal["pomo", "ppo", "gcomb"] | None = None
    engine: Literal["rllib", "torch"] = "rllib"
    nodes: int = Field(20, ge=2, le=100_000, description="pomo: TSP nodes / CVRP customers")
    iterations: int | None = Field(None, ge=1, le=MAX_COUNT)
    minutes: float | None = Field(None, gt=0, le=MAX_MINUTES, allow_inf_nan=False)
    batch_size: int = Field(64, ge=1, le=1_000_000, description="pomo: instances per update")
    lr: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    model: NetSpec = Field(default_factory=NetSpec)
    seed: int = Field(0, ge=0, le=MAX_SEED)
    device: str = Field("cpu", description="pomo, engine torch: cpu | cuda | cuda:N")
    validate_every: int = Field(100, ge=1, le=MAX_COUNT)
    checkpoint_every: int = Field(100, ge=0, le=MAX_COUNT, description="0: at the end only")
    out: str | None = Field(None, description="also write the trained model to this path")
    ppo: PPOSpec = Field(default_factory=PPOSpec)
    gcomb: GcombSpec = Field(default_factory=GcombSpec)

    @model_validator(mode="after")
    def _consistent(self) -> SolverExperiment:
        # a key another recipe reads may be written (a run's config.yaml has them all) but
        # not changed from its default
        given = {k for k in self.model_fields_set - {"problem"} if getattr(self, k) != _DEFAULTS[k]}
        if self.algorithm is None:
            self.algorithm = (
                "pomo" if self.problem in ROUTING else "gcomb" if self.problem == "im" else "ppo"
            )
        algo = self.algorithm
        if algo == "pomo" and self.problem not in ROUTING:
            raise ValueError(
                f"algorithm: pomo trains routing problems (tsp, cvrp), not {self.problem}"
            )
        if algo == "gcomb" and self.problem != "im":
            raise ValueError(f"algorithm: gcomb trains im, not {self.problem}")
        torch_loop = algo == "pomo" and self.engine == "torch"
        for key in ("engine", "nodes", "batch_size", "validate_every"):
            if key in given and algo != "pomo":
                raise ValueError(f"{key}: applies to algorithm pomo, not {algo}")
        for key in ("minutes", "checkpoint_every"):
            if key in given and not torch_loop:
                raise ValueError(f"{key}: applies to algorithm pomo with engine torch")
        if self.device != "cpu" and not torch_loop:
            raise ValueError("device: applies to algorithm pomo with engine torch")
        if self.iterations is None and not (torch_loop and self.minutes is not None):
            need = "iterations or minutes" if torch_loop else "iterations"
            raise ValueError(f"iterations: {algo} ({self.engine}) needs {need}"
                             if algo == "pomo" else f"iterations: {algo} needs {need}")  # fmt: skip
        for key in ("ppo", "gcomb"):
            if key in given and algo != key:
                raise ValueError(f"{key}: applies to algorithm {key}, not {algo}")
        allowed = NET_KEYS[self.problem]
        for key in sorted(self.model.model_fields_set):
            if key not in allowed and getattr(self.model, key) is not None:
                raise ValueError(
                    f"model.{key}: not a size of the {self.problem} net "
                    f"(its keys: {', '.join(allowed)})"
                )
        net = self.net_config()
        if "heads" in net and net["dim"] % net["heads"]:
            raise ValueError(f"model.dim: {net['dim']} is not a multiple of heads {net['heads']}")
        if self.lr is None:
            self.lr = DEFAULT_LR[algo]
        return self

    def net_config(self) -> dict[str, Any]:
        """The net's keyword arguments: the given sizes over the recipe's defaults."""
        given = {k: v for k, v in self.model.model_dump().items() if v is not None}
        if self.algorithm == "pomo":
            dim = given.get("dim", 128)
            return {"dim": dim, "layers": 3, "heads": 8, "ff": 4 * dim, **given}
        if self.algorithm == "gcomb":
            return {"dim": 32, "layers": 3, **given}
        return given

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, width=100)


_DEFAULTS: dict[str, Any] = {
    k: (f.default_factory() if f.default_factory is not None else f.default)  # type: ignore[call-arg]
    for k, f in SolverExperiment.model_fields.items()
    if k != "problem"
}


def solver_experiment(
    data: dict[str, Any], loc: Loc, display: str, overrides: dict[str, Any] | None = None
) -> SolverExperiment:
    """`data` (its locations in `loc`) with the dotted `overrides`, validated."""
    return validate_config(
        SolverExperiment, data, loc, display, overrides, SolverConfigError, "the solver experiment"
    )


def load_solver_experiment(
    path: str | Path, overrides: dict[str, Any] | None = None
) -> SolverExperiment:
    """Read, override and validate a solver experiment file (SolverConfigError if not)."""
    data, loc, display, _ = read_config_file(path, SolverConfigError, "a solver experiment file")
    return solver_experiment(data, loc, display, overrides)
