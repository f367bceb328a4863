"""The experiment schema: what `aerena train` reads, validated into typed models.

An experiment YAML (see `training/experiments/*.yaml`)::

    name: tiny-defender           # runs/<name>-<timestamp>/ (default: the file's stem)
    scenario: tiny                # shipped name, or a YAML path (relative to this file)
    overrides: {episode.max_steps: 200}   # dotted scenario overrides
    learn: defender               # attacker | defender | both
    opponent: scripted            # scripted | random | checkpoint | self_play: the side
                                  # that does not learn (checkpoint: opponent_checkpoint)
    seed: 0
    algorithm: {name: PPO, lr: 0.0003, train_batch_size: 4000, minibatch_size: 256, ...}
    model: {dim: 32, embed_dim: 32, heads: 4, layers: 1, hidden: 64}
    resources: {sampler: batched, num_env_runners: 0, num_envs_per_env_runner: 64,
                num_learners: 0}
    stop: {iterations: 100, env_steps: null, time_s: null,
           target: {metric: win_rate, value: 0.9}}
    checkpoint: {every: 10, keep: 3}
    league: {phase_iterations: 2, rounds: 10, threshold: 0.55, pfsp: hard}  # aerena league
    tune: {population: 4, interval: 5, lr: [1e-4, 3e-4, 1e-3]}           # aerena tune --pbt

Every key is optional except `scenario`; unknown keys are errors with a "did you mean".
Errors are collected into one :class:`ExperimentError`: one problem is one
``FILE:LINE:COL: field.path: message`` line, several read ``N errors in FILE`` followed by
one such line each -- the same style (and the same YAML reader) as the scenario loader.
Command-line overrides (`--set algorithm.lr=1e-4`) use dotted paths, set by the scenarios'
`aerena.scenarios.overrides.set_dotted`; below a mapping field (`overrides`,
`algorithm.extra`) the rest of the path is the key (`--set overrides.episode.max_steps=50`).

Public API::

    load_experiment(path, overrides=None) -> LoadedExperiment(config, text, path)
    read_config_file(path, error, what) / validate_config(model, data, loc, ...)  # any schema
    experiment_for_scenario(name, overrides=None) -> LoadedExperiment
    Experiment.model_validate(dict) / Experiment.to_yaml()
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aerena.agents.play import check_doctrine, check_hold_conflicts
from aerena.envs.airdefense import layout as Lo
from aerena.errors import ScenarioError, UserError
from aerena.scenarios.located import Loc, Mark, summary
from aerena.scenarios.messages import pydantic_messages
from aerena.scenarios.overrides import set_dotted
from aerena.scenarios.parse import parse_yaml_file

ALGORITHMS = ("PPO", "APPO", "IMPALA")
TARGET_METRICS = (
    "win_rate",  # wins of the learning side (attacker wins when learn: both) / episodes
    "return_mean",  # team return of the learning side (attacker's when learn: both)
    "return_attacker",
    "return_defender",
    "episode_return_mean",  # RLlib's: sum over the learning agents' returns
)


M = TypeVar("M", bound=BaseModel)


class ExperimentError(UserError, ValueError):
    """An experiment file or override that does not validate (file, line, field, message)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlgorithmSpec(_Strict):
    """The RL algorithm and its main hyperparameters (others through `extra`)."""

    name: Literal["PPO", "APPO", "IMPALA"] = "PPO"
    lr: float = Field(3e-4, gt=0)
    gamma: float = Field(0.99, gt=0, le=1)
    train_batch_size: int = Field(
        4000, ge=1, le=10_000_000, description="env steps per learner per iteration"
    )
    minibatch_size: int = Field(
        512,
        ge=1,
        le=10_000_000,
        description="minibatch (env steps; APPO / IMPALA: rounded down to whole fragments)",
    )
    num_epochs: int = Field(
        4, ge=1, le=1000, description="passes over each train batch (PPO, APPO, IMPALA)"
    )
    gae_lambda: float = Field(
        0.95, ge=0, le=1, description="PPO's GAE lambda (APPO / IMPALA use v-trace)"
    )
    clip_param: float = Field(0.2, gt=0, description="PPO / APPO clip")
    entropy_coeff: float = Field(0.01, ge=0)
    vf_loss_coeff: float = Field(0.5, ge=0)
    grad_clip: float | None = Field(0.5, gt=0)
    extra: dict[str, Any] = Field(
        default_factory=dict, description="passed verbatim to the algorithm config's .training()"
    )


class ModelSpec(_Strict):
    """Sizes of the entity-attention encoder and heads (agents.rl_module)."""

    # defaults chosen by measurement (benchmarks/rllib_throughput.py): dim 32 / 1 layer
    # trains ~3x faster per row than dim 64 / 2 layers, which stays selectable
    dim: int = Field(32, ge=1, le=4096, description="node width (a multiple of heads)")
    embed_dim: int = Field(32, ge=1, le=4096)
    heads: int = Field(4, ge=1, le=64)
    layers: int = Field(1, ge=1, le=64)
    hidden: int = Field(64, ge=1, le=16384)
    action_prior: dict[Literal["uav", "radar"], list[float]] = Field(
        default_factory=dict,
        description="initial action probabilities of a role's policy (default: uniform)",
    )

    @model_validator(mode="after")
    def _divisible(self) -> ModelSpec:
        if self.dim % self.heads:
            raise ValueError(f"dim ({self.dim}) must be a multiple of heads ({self.heads})")
        for role, p in self.action_prior.items():
            # the radar's action count depends on emission_plan: Experiment checks it
            if role == "uav" and len(p) != Lo.UAV_ACTIONS:
                raise ValueError(
                    f"action_prior.uav: {len(p)} probabilities for {Lo.UAV_ACTIONS} actions"
                )
            if min(p) <= 0 or abs(sum(p) - 1.0) > 1e-6:
                raise ValueError(f"action_prior.{role}: probabilities must be > 0 and sum to 1")
        return self


class ResourcesSpec(_Strict):
    """Where the work runs. 0 env runners / 0 learners: all in the driver process."""

    sampler: Literal["batched", "single"] = Field(
        "batched",
        description="batched: each env runner steps num_envs_per_env_runner worlds in one "
        "World (training.batched_runner); single: RLlib's runner over one SideEnv per env "
        "(the B = 1 path, for debugging)",
    )
    num_env_runners: int = Field(0, ge=0, le=1024)
    num_envs_per_env_runner: int = Field(64, ge=1, le=65536, description="worlds per env runner")
    num_learners: int = Field(0, ge=0, le=1024)
    num_gpus_per_learner: float = Field(
        0,
        ge=0,
        le=64,
        description="GPUs per learner (1: the learner trains on a GPU when Ray sees "
        "one; with num_learners 0 the local learner does)",
    )
    num_cpus: int | None = Field(2, ge=1, le=4096, description="CPUs of the embedded local Ray")
    rollout_fragment_length: int | Literal["auto"] = "auto"
    batch_mode: Literal["truncate_episodes", "complete_episodes"] = Field(
        "truncate_episodes",
        description="RLlib's batch_mode. complete_episodes: runners return only whole "
        "episodes, so every decision's advantage runs to its episode's end instead of being "
        "bootstrapped from the critic where a sample is cut (for decisions whose payoff "
        "comes much later, e.g. held options)",
    )
    torch_threads: int = Field(1, ge=1, le=1024, description="torch / OpenMP threads per process")
    num_cpus_per_env_runner: float = Field(1, ge=0, description="CPUs each env-runner actor holds")
    custom_resources_per_env_runner: dict[str, float] = Field(
        default_factory=dict,
        description="custom Ray resources each env-runner actor needs (pins runners to nodes "
        "that offer them, e.g. {worker_node: 0.01})",
    )


class TargetSpec(_Strict):
    """Stop when `metric` reaches `value` (mode max: >=, min: <=), measured over the
    latest iterations that together ended at least `min_episodes` episodes."""

    metric: Literal[
        "win_rate", "return_mean", "return_attacker", "return_defender", "episode_return_mean"
    ]
    value: float
    mode: Literal["max", "min"] = "max"
    min_episodes: int = Field(20, ge=1)


class StopSpec(_Strict):
    """Stop criteria: the first one met ends the run (totals over resumes)."""

    iterations: int | None = Field(100, ge=1)
    env_steps: int | None = Field(None, ge=1)
    time_s: float | None = Field(None, gt=0, description="training wall time, seconds")
    target: TargetSpec | None = None

    @model_validator(mode="after")
    def _some(self) -> StopSpec:
        if self.iterations is None and self.env_steps is None and self.time_s is None:
            raise ValueError("set at least one of iterations, env_steps, time_s")
        return self


class CheckpointSpec(_Strict):
    every: int = Field(10, ge=0, description="iterations between checkpoints (0: at the end only)")
    keep: int = Field(3, ge=0, description="checkpoints kept (0: all)")


class LeagueSpec(_Strict):
    """Self-play league (`aerena league`): both sides learn in alternating phases against
    frozen snapshots of the other side, sampled by prioritised fictitious self-play."""

    phase_iterations: int = Field(2, ge=1, description="training iterations per side per round")
    rounds: int = Field(10, ge=1, description="rounds (one phase per side each)")
    eval_episodes: int = Field(8, ge=1, description="episodes per match after each phase")
    window: int = Field(32, ge=1, description="last N episodes behind the admission win rate")
    threshold: float = Field(0.55, ge=0, le=1, description="win rate that admits a snapshot")
    pfsp: Literal["hard", "even", "uniform"] = Field(
        "hard", description="PFSP weighting: hard (1-p)^2, even p(1-p), uniform"
    )
    elo_k: float = Field(16.0, gt=0, description="Elo K factor per game")
    include_scripted: bool = Field(True, description="the scripted players join as snapshots")


class TuneSpec(_Strict):
    """Population-based training (`aerena tune --pbt`) of the main hyperparameters."""

    population: int = Field(4, ge=1)
    interval: int = Field(5, ge=1, description="iterations between perturbations")
    metric: str = Field("win_rate", description="progress-record metric to maximise")
    lr: list[float] = Field(default_factory=lambda: [1e-4, 3e-4, 1e-3])
    entropy_coeff: list[float] = Field(default_factory=lambda: [0.0, 0.005, 0.01, 0.03])
    clip_param: list[float] = Field(default_factory=lambda: [0.1, 0.2, 0.3])


class InitSpec(_Strict):
    """Where the learning side's weights start (see :mod:`aerena.training.imitation`)."""

    imitate: Literal["scripted", "scripted-wta"] | None = Field(
        None, description="behaviour-clone this teacher before RL (null: random weights)"
    )
    roles: list[Literal["uav", "launcher", "radar"]] | None = Field(
        None, description="roles to clone (null: every role of the learning side)"
    )
    freeze: list[Literal["uav", "launcher", "radar"]] = Field(
        default_factory=list, description="roles kept at their initial weights (not trained)"
    )
    episodes: int = Field(100, ge=1, description="teacher episodes of demonstrations")
    epochs: int = Field(4, ge=1, description="passes over the demonstrations")
    lr: float = Field(1e-3, gt=0)
    minibatch: int = Field(512, ge=1)
    value_coeff: float = Field(0.5, ge=0, description="weight of the value-head regression")
    worlds: int = Field(32, ge=1, description="worlds stepped together while collecting")
    seed: int = Field(1_000_000, description="demonstration episode e uses seed + e")


class EmissionPlanSpec(_Strict):
    """The learning radars decide once per episode how long they hold silence."""

    step_s: float = Field(30.0, gt=0, description="seconds per delay unit")
    choices: int = Field(31, ge=2, le=1000, description="delays 0, step_s, ..., (choices-1)*step_s")


class ShapingSpec(_Strict):
    """Training-only reward terms for learning UAVs (see :mod:`aerena.training.shaping`);
    evaluation scores the scenario's rewards alone."""

    progress: float = Field(
        0.0, ge=0, description="potential-based: w x the change in 1 - d/D (d: nearest live asset)"
    )
    exposure: float = Field(0.0, ge=0, description="per step, -w per defender radar tracking it")


class CurriculumStage(_Strict):
    """One stage of a curriculum (see :mod:`aerena.training.curriculum`)."""

    overrides: dict[str, Any] = Field(
        description="dotted scenario overrides, on top of the experiment's `overrides`"
    )
    iterations: int = Field(ge=1, description="training iterations at most in this stage")
    advance: TargetSpec | None = Field(
        None, description="leave the stage early once this target is reached in it"
    )


TIME_LIMITS = ("bootstrap", "terminal")


def check_time_limit(value: str | None) -> str:
    """How training treats the episode's time limit (`bootstrap` when None); a ValueError
    for anything else."""
    value = "bootstrap" if value is None else str(value)
    if value not in TIME_LIMITS:
        raise ValueError(f"time_limit: {value!r} is not one of {', '.join(TIME_LIMITS)}")
    return value


class Experiment(_Strict):
    """One training run."""

    name: str = Field("experiment", pattern=r"^[A-Za-z0-9_.-]+$")
    scenario: str = Field(description="shipped scenario name or YAML path")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted scenario overrides")
    learn: Literal["attacker", "defender", "both"] = "defender"
    opponent: Literal["scripted", "random", "checkpoint", "self_play"] = Field(
        "scripted",
        description="scripted | random | checkpoint (frozen modules of opponent_checkpoint) | "
        "self_play (league snapshots, set by `aerena league`)",
    )
    opponent_checkpoint: str | None = Field(
        None, description="RLlib checkpoint or run folder whose modules play the opponent"
    )
    seed: int = 0
    action_repeat: dict[Literal["uav", "radar"], Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict,
        description="role -> k: the role's agents decide every k steps and hold in between",
    )
    emission_latch: bool = Field(
        False,
        description="a learning radar that chooses to emit keeps emitting: its policy "
        "chooses when to go active (training and evaluation play it the same way)",
    )
    emission_plan: EmissionPlanSpec | None = Field(
        None,
        description="a learning radar picks, on its first step, how long it stays silent "
        "before it goes active for good (one decision per episode)",
    )
    target_plan: bool = Field(
        False,
        description="each learning UAV picks its target once, at launch (0: the scripted "
        "doctrine's, 1 + t: target t of the scenario's assets then radars); the scripted "
        "attacker flies it there (one decision per UAV per episode)",
    )
    hold: dict[Literal["uav", "launcher", "radar"], list[Annotated[int, Field(ge=1)]]] = Field(
        default_factory=dict,
        description="role -> durations in steps: the role's policy picks an action and how "
        "long to keep it (ended early when it stops being legal); e.g. radar: [1, 60, 240]",
    )
    doctrine: dict[Literal["uav"], Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=dict,
        description="role -> p: the role's choices gain the scripted player's behaviours "
        "as held options (uav: fly the doctrine's route to target t, 0 = the doctrine's own "
        "target), p their initial probability; needs hold of the role, the batched sampler",
    )
    skip_forced: bool = Field(
        True,
        description="batched sampler: an agent whose mask allows one action (a launcher "
        "with no track in reach) takes it without a policy row; its rewards go to its next "
        "decision",
    )
    time_limit: Literal["bootstrap", "terminal"] = Field(
        "bootstrap",
        description="episode.max_steps in training: bootstrap (a truncation: the critic "
        "values what would follow) | terminal (the task ends there, as the time fraction "
        "the agents observe says; Pardo et al. 2018)",
    )
    shaping: ShapingSpec = Field(default_factory=ShapingSpec)
    curriculum: list[CurriculumStage] = Field(
        default_factory=list,
        description="stages of scenario overrides played before the experiment's own scenario",
    )
    critic: Literal["local", "global"] = Field(
        "local",
        description="local: the value head reads the agent's view; global: also the world's "
        "true state (centralised critic, training only)",
    )
    algorithm: AlgorithmSpec = Field(default_factory=AlgorithmSpec)
    model: ModelSpec = Field(default_factory=ModelSpec)
    resources: ResourcesSpec = Field(default_factory=ResourcesSpec)
    stop: StopSpec = Field(default_factory=StopSpec)
    checkpoint: CheckpointSpec = Field(default_factory=CheckpointSpec)
    league: LeagueSpec = Field(default_factory=LeagueSpec)
    tune: TuneSpec = Field(default_factory=TuneSpec)
    init: InitSpec = Field(default_factory=InitSpec)

    @model_validator(mode="after")
    def _opponent(self) -> Experiment:
        if self.opponent == "checkpoint" and not self.opponent_checkpoint:
            raise ValueError("opponent: checkpoint needs opponent_checkpoint (a checkpoint path)")
        if self.init.imitate is not None:
            if self.learn == "both":
                raise ValueError(
                    "init.imitate needs one learning side (learn: attacker | defender)"
                )
            if self.init.imitate == "scripted-wta" and self.learn != "defender":
                raise ValueError("init.imitate: scripted-wta is a defender teacher")
            wrong = [r for r in self.init.roles or [] if r not in self.roles]
            if wrong:
                raise ValueError(
                    f"init.roles: {', '.join(wrong)} not a role of the {self.learn} "
                    f"(roles: {', '.join(self.roles)})"
                )
        wrong = [r for r in self.init.freeze if r not in self.roles]
        if wrong:
            raise ValueError(
                f"init.freeze: {', '.join(wrong)} not a role of the {self.learn} "
                f"(roles: {', '.join(self.roles)})"
            )
        if self.init.freeze and set(self.init.freeze) >= set(self.roles):
            raise ValueError("init.freeze: every role frozen leaves nothing to train")
        for key in ("emission_latch", "emission_plan"):
            if getattr(self, key) and "radar" not in self.roles:
                raise ValueError(f"{key}: needs a learning radar (learn: defender | both)")
        if self.emission_plan is not None:
            if self.emission_latch:
                raise ValueError("emission_plan already keeps a radar on: drop emission_latch")
            if "radar" in self.action_repeat:
                raise ValueError("emission_plan: a radar decides once, so no action_repeat.radar")
            if self.init.imitate is not None and "radar" in (self.init.roles or self.roles):
                raise ValueError(
                    "emission_plan: the scripted radar has no delay to imitate "
                    "(set init.roles without radar)"
                )
        if self.target_plan:
            if "uav" not in self.roles:
                raise ValueError("target_plan: needs learning UAVs (learn: attacker | both)")
            if "uav" in self.action_repeat:
                raise ValueError("target_plan: a UAV decides once, so no action_repeat.uav")
            if self.init.imitate is not None and "uav" in (self.init.roles or self.roles):
                raise ValueError(
                    "target_plan: the scripted attacker has no target choice to imitate "
                    "(its doctrine is choice 0; drop init.imitate for uav)"
                )
            if "uav" in self.model.action_prior:
                raise ValueError(
                    "target_plan: action_prior.uav is for the 54 flight actions; a plan UAV "
                    "chooses targets (drop it)"
                )
        for role, ks in self.hold.items():
            if role not in self.roles:
                raise ValueError(f"hold.{role}: not a role of the {self.learn}")
            if not ks or len(set(ks)) != len(ks):
                raise ValueError(f"hold.{role}: give distinct durations, got {ks}")
        check_hold_conflicts(
            self.hold,
            self.action_repeat,
            self.emission_latch,
            self.emission_plan is not None,
            self.target_plan,
        )
        check_doctrine(self.doctrine, self.hold, self.target_plan)
        for role in self.doctrine:
            if role not in self.roles:
                raise ValueError(f"doctrine.{role}: not a role of the {self.learn}")
            if self.resources.sampler != "batched":
                raise ValueError("doctrine: needs resources.sampler: batched")
            if self.init.imitate is not None and role in (self.init.roles or self.roles):
                raise ValueError(
                    f"doctrine.{role}: the policy starts at the doctrine by its prior; "
                    f"imitating the scripted player teaches one choice (drop init for {role})"
                )
        for role in self.hold:
            if role in self.model.action_prior:
                raise ValueError(f"hold.{role}: action_prior.{role} is for per-step actions")
        if any(self.shaping.model_dump().values()):
            if "uav" not in self.roles:
                raise ValueError(
                    "shaping: its terms shape UAV rewards; needs learn: attacker | both"
                )
            if self.target_plan:
                raise ValueError("shaping: target-plan UAVs are flown by the scripted pilot")
        if self.curriculum and self.resources.sampler != "batched":
            raise ValueError("curriculum: needs resources.sampler: batched")
        self._check_batch_arithmetic()
        prior = self.model.action_prior.get("radar")
        n = Lo.RADAR_ACTIONS if self.emission_plan is None else self.emission_plan.choices
        if prior is not None and len(prior) != n:
            what = "emission_plan choices" if self.emission_plan is not None else "actions"
            raise ValueError(f"action_prior.radar: {len(prior)} probabilities for {n} {what}")
        return self

    def _check_batch_arithmetic(self) -> None:
        """RLlib's PPO rule, checked here so it reads as one located line: a fixed
        rollout_fragment_length must give the total train batch (train_batch_size per
        learner x learners) within 10% as whole rounds of fragment x runners x worlds."""
        r, frag = self.resources, self.resources.rollout_fragment_length
        if self.algorithm.name != "PPO" or frag == "auto":
            return
        learners = max(r.num_learners, 1)
        total = self.algorithm.train_batch_size * learners
        rnd = max(r.num_env_runners, 1) * r.num_envs_per_env_runner * int(frag)
        got = -(-total // rnd) * rnd
        if got - total > 0.1 * total or got - rnd - total > 0.1 * total:
            fit = max(1, total // (max(r.num_env_runners, 1) * r.num_envs_per_env_runner))
            per = f" x {learners} learners = {total}" if learners > 1 else ""
            raise ValueError(
                f"resources.rollout_fragment_length: {frag} x {max(r.num_env_runners, 1)} "
                f"runners x {r.num_envs_per_env_runner} worlds = {rnd} env steps a round, "
                f"which cannot make algorithm.train_batch_size "
                f"{self.algorithm.train_batch_size}{per} within 10% (use 'auto' or {fit})"
            )

    def to_yaml(self) -> str:
        data = self.model_dump(mode="json")
        return yaml.safe_dump(data, sort_keys=False, width=100)

    def play_options(self) -> dict[str, Any]:
        """How this experiment's modules are played (`LearnedPlayer` keyword arguments):
        decision intervals, emission latch and plan, target plan, as in training."""
        plan = self.emission_plan
        return {
            "action_repeat": dict(self.action_repeat),
            "emission_latch": self.emission_latch,
            "emission_plan": None if plan is None else (plan.step_s, plan.choices),
            "target_plan": self.target_plan,
            "hold": {r: list(k) for r, k in self.hold.items()},
            "doctrine": dict(self.doctrine),
        }

    @property
    def roles(self) -> list[str]:
        """Module ids trained: `uav` for the attacker, `launcher` + `radar` for the defender."""
        out = []
        if self.learn in ("attacker", "both"):
            out.append("uav")
        if self.learn in ("defender", "both"):
            out += ["launcher", "radar"]
        return out


class LoadedExperiment(NamedTuple):
    config: Experiment
    text: str  # the validated data as YAML (after overrides)
    path: Path | None


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
def load_experiment(path: str | Path, overrides: dict[str, Any] | None = None) -> LoadedExperiment:
    """Read, override and validate an experiment file; an ExperimentError lists problems."""
    data, loc, display, p = read_config_file(path, ExperimentError, "an experiment file")
    # a scenario path is relative to the experiment file
    sc = data.get("scenario")
    if isinstance(sc, str) and ("/" in sc or sc.endswith((".yaml", ".yml"))):
        cand = Path(sc).expanduser()
        if not cand.is_absolute() and (p.parent / cand).is_file():
            data["scenario"] = str((p.parent / cand).resolve())
    return _finish(data, loc, display, overrides, p.resolve())


def read_config_file(
    path: str | Path, error: type[UserError], what: str
) -> tuple[dict[str, Any], Loc, str, Path]:
    """(data, locations, display name, path) of a YAML config file (an experiment, a
    solver experiment): a mapping whose ``name`` defaults to the file's stem. Problems
    raise `error` (one ``FILE:LINE:COL: ...`` line)."""
    display = str(path)
    p = Path(path).expanduser()
    if not p.is_file():
        raise error(f"{what.removeprefix('an ').removeprefix('a ')} not found: {display}")
    try:
        data, loc = parse_yaml_file(p, display)
    except UserError as exc:
        raise error(str(exc)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise error(f"{display}:1:1: {what} must be a mapping of keys")
    if "name" not in data:
        data["name"] = re.sub(r"[^A-Za-z0-9_.-]", "_", p.stem) or "experiment"
    return data, loc, display, p


def experiment_for_scenario(
    scenario: str, overrides: dict[str, Any] | None = None
) -> LoadedExperiment:
    """The default experiment on `scenario` (the `aerena train --scenario NAME` form)."""
    stem = Path(scenario).stem or "experiment"
    data = {"name": stem, "scenario": scenario}
    return _finish(data, Loc(Mark("--scenario")), "--scenario", overrides, None)


def _finish(
    data: dict, loc: Loc, display: str, overrides: dict[str, Any] | None, path: Path | None
) -> LoadedExperiment:
    cfg = validate_config(Experiment, data, loc, display, overrides, ExperimentError)
    return LoadedExperiment(cfg, cfg.to_yaml(), path)


def validate_config(
    model: type[M],
    data: dict,
    loc: Loc,
    display: str,
    overrides: dict[str, Any] | None,
    error: type[UserError],
    top: str = "the experiment",
) -> M:
    """`data` with the dotted `overrides` set (``--set KEY=VALUE``, marked as written
    there), validated into `model`; problems raise `error` with one located line each."""
    for key, value in (overrides or {}).items():
        try:
            at = set_dotted(
                data,
                key,
                value,
                model,
                label=f"--set {key!r}",
                top=top,
                open_mappings=True,  # `overrides.episode.max_steps`: one key of `overrides`
            )
        except ScenarioError as exc:
            raise error(str(exc)) from None
        loc.replace(at, Mark(f"--set {key}"))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = pydantic_messages(exc, model, (), data, loc)
        raise error(summary(errors, display)) from None
