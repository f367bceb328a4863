"""POMO as a custom RLlib algorithm (new API stack): the same loss as :mod:`.pomo`.

POMO needs no env runners to collect experience: a training batch is a set of random
instances, and the loss rolls out P solutions per instance inside the Learner (the
rollout must be differentiable). So:

* :class:`POMOModule` -- a `TorchRLModule` holding a routing net. ``forward_train``
  runs the sampled multi-start rollouts of the batch's instances; ``forward_inference``
  / ``forward_exploration`` act in the Gymnasium env from its observation (so RLlib's
  env runners and evaluation can run the policy in ``aerena/TSP-v0``).
* :class:`POMOLearner` -- a `TorchLearner` whose loss is REINFORCE with the shared
  multi-start baseline (:func:`aerena.training.solvers.pomo.pomo_loss` without the rollout).
* :class:`POMO` / :class:`POMOConfig` -- an `Algorithm` whose ``training_step`` samples
  `instances_per_batch` instances (seeded numpy generator, reproducible on resume: the
  seed is derived from the config seed and the iteration), sends them to the
  LearnerGroup (split across ``num_learners`` Learners when there are several), and
  syncs the weights to the env runners.

It runs from ``aerena train-solver --config FILE.yaml`` with ``algorithm: pomo`` and
``engine: rllib`` (the default engine; the schema: :mod:`aerena.training.solver_config`)::

    problem: tsp              # or cvrp
    algorithm: pomo
    engine: rllib
    nodes: 20                 # TSP nodes / CVRP customers
    iterations: 200           # training steps (one update each)
    batch_size: 64            # instances_per_batch
    lr: 1.0e-4
    model: {dim: 128, layers: 3, heads: 8}
    seed: 0
    validate_every: 50        # a progress record each

:func:`train_pomo_rllib` is the recipe that :mod:`aerena.training.solver_train` calls.
Runs of this engine do not resume (RLlib's own checkpoints, ``algo.save_to_path`` /
``Algorithm.from_checkpoint``, are not kept in the run folder).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from ray.rllib.algorithms.algorithm import Algorithm
from ray.rllib.algorithms.algorithm_config import AlgorithmConfig, NotProvided
from ray.rllib.core.columns import Columns
from ray.rllib.core.learner.torch.torch_learner import TorchLearner
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.core.rl_module.torch.torch_rl_module import TorchRLModule
from ray.rllib.policy.sample_batch import DEFAULT_POLICY_ID, MultiAgentBatch, SampleBatch
from ray.rllib.utils.metrics import (
    LEARNER_RESULTS,
    NUM_ENV_STEPS_SAMPLED_LIFETIME,
)

from aerena.agents.solvers.base import GraphPolicyNet, build_net
from aerena.training.solvers.pomo import (
    ROUTING,
    multistart_rollout,
    reinforce_loss,
    sample_batch,
    validate,
)
from aerena.training.solvers.ppo import init_local_ray, learner_net


class POMOModule(TorchRLModule):
    """RLModule of a routing net; model_config = {"problem", "net": {...}, "pomo_size",
    "augment"}."""

    def setup(self) -> None:
        cfg = self.model_config or {}
        self.problem = str(cfg.get("problem", "tsp"))
        self.net: GraphPolicyNet = build_net(self.problem, **dict(cfg.get("net", {})))
        self.pomo_size = cfg.get("pomo_size")
        self.augment = bool(cfg.get("augment", False))

    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        obs = batch[Columns.OBS]
        return {Columns.ACTION_DIST_INPUTS: self.net(*(obs[k] for k in self.net.obs_keys))}

    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        inst = {k: batch[k] for k in ("coords", "demand") if k in batch}
        log_prob, length, _ = multistart_rollout(
            self.net, inst, pomo_size=self.pomo_size, sample=True, augment=self.augment
        )
        return {"log_prob": log_prob, "length": length}


class POMOLearner(TorchLearner):
    """REINFORCE with POMO's shared baseline over the P starts (and 8 symmetries)."""

    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        loss, metrics = reinforce_loss(fwd_out["log_prob"], fwd_out["length"])
        for key in ("length_mean", "length_best"):
            self.metrics.log_value((module_id, key), metrics[key], window=1)
        return loss


class POMOConfig(AlgorithmConfig):
    """AlgorithmConfig of :class:`POMO` (see the module docstring)."""

    def __init__(self, algo_class: type | None = None) -> None:
        super().__init__(algo_class=algo_class or POMO)
        self.problem = "tsp"
        self.nodes = 20
        self.instances_per_batch = 64
        self.pomo_size: int | None = None
        self.augment = False
        self.lr = 1e-4
        self.grad_clip = 1.0
        self.num_env_runners = 0

    def training(  # type: ignore[override]
        self,
        *,
        problem: str | Any = NotProvided,
        nodes: int | Any = NotProvided,
        instances_per_batch: int | Any = NotProvided,
        pomo_size: int | None | Any = NotProvided,
        augment: bool | Any = NotProvided,
        **kwargs: Any,
    ) -> POMOConfig:
        super().training(**kwargs)
        if problem is not NotProvided:
            if problem not in ROUTING:
                raise ValueError(f"POMO trains {ROUTING}, not {problem!r}")
            self.problem = problem
        if nodes is not NotProvided:
            self.nodes = int(nodes)
        if instances_per_batch is not NotProvided:
            self.instances_per_batch = int(instances_per_batch)
        if pomo_size is not NotProvided:
            self.pomo_size = pomo_size
        if augment is not NotProvided:
            self.augment = bool(augment)
        return self

    def get_default_rl_module_spec(self) -> RLModuleSpec:
        return RLModuleSpec(module_class=POMOModule)

    def get_default_learner_class(self) -> type:
        return POMOLearner


class POMO(Algorithm):
    """POMO on RLlib: instances in, multi-start REINFORCE updates out."""

    @classmethod
    def get_default_config(cls) -> POMOConfig:
        return POMOConfig()

    def training_step(self) -> None:
        cfg = self.config
        it = int(self.iteration)
        rng = np.random.default_rng([int(cfg.seed or 0), it])
        data = sample_batch(cfg.problem, cfg.nodes, cfg.instances_per_batch, rng)
        batch = MultiAgentBatch(
            {DEFAULT_POLICY_ID: SampleBatch({k: v.numpy() for k, v in data.items()})},
            env_steps=cfg.instances_per_batch * cfg.nodes,
        )
        steps = self.metrics.peek(NUM_ENV_STEPS_SAMPLED_LIFETIME, default=0)
        self.metrics.log_value(
            NUM_ENV_STEPS_SAMPLED_LIFETIME, cfg.instances_per_batch * cfg.nodes, reduce="sum"
        )
        results = self.learner_group.update(
            batch=batch,
            timesteps={NUM_ENV_STEPS_SAMPLED_LIFETIME: steps},
        )
        self.metrics.aggregate(results, key=LEARNER_RESULTS)
        if self.env_runner_group is not None:
            self.env_runner_group.sync_weights(
                from_worker_or_learner_group=self.learner_group, inference_only=True
            )


def build_config(
    problem: str,
    nodes: int,
    *,
    net: dict[str, Any] | None = None,
    instances_per_batch: int = 64,
    lr: float = 1e-4,
    seed: int = 0,
    num_learners: int = 0,
    augment: bool = False,
) -> POMOConfig:
    """The POMOConfig of a run (the env is the problem's Gymnasium env, for evaluation)."""
    import aerena  # noqa: F401  (registers the gymnasium ids)

    env_id = {"tsp": "aerena/TSP-v0", "cvrp": "aerena/CVRP-v0"}[problem]
    return (
        POMOConfig()
        .environment(env_id, env_config={"num_nodes": nodes})
        .env_runners(num_env_runners=0)
        .learners(num_learners=num_learners)
        .training(
            problem=problem,
            nodes=nodes,
            instances_per_batch=instances_per_batch,
            augment=augment,
            lr=lr,
            grad_clip=1.0,
        )
        .rl_module(
            rl_module_spec=RLModuleSpec(
                module_class=POMOModule,
                model_config={"problem": problem, "net": dict(net or {}), "augment": augment},
            )
        )
        .debugging(seed=seed)
    )


def train_pomo_rllib(
    problem: str,
    nodes: int,
    *,
    iterations: int,
    net: dict[str, Any] | None = None,
    instances_per_batch: int = 64,
    lr: float = 1e-4,
    seed: int = 0,
    validate_every: int = 50,
    checkpoint_dir: str | None = None,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[GraphPolicyNet, list[dict[str, Any]]]:
    """Run POMO on RLlib for `iterations` updates; returns (trained net, history)."""
    import ray

    started = init_local_ray(num_cpus=2)
    try:
        algo = build_config(
            problem, nodes, net=net, instances_per_batch=instances_per_batch, lr=lr, seed=seed
        ).build_algo()
        val = sample_batch(problem, nodes, 128, np.random.default_rng(4321))
        history: list[dict[str, Any]] = []
        t0 = time.perf_counter()
        for i in range(1, iterations + 1):
            result = algo.train()
            if i % validate_every == 0 or i == iterations:
                learner = result.get(LEARNER_RESULTS, {}).get(DEFAULT_POLICY_ID, {})
                row = {
                    "iteration": i,
                    "time_s": round(time.perf_counter() - t0, 1),
                    "train_length": learner.get("length_mean"),
                    "val_length": validate(learner_net(algo), val),
                }
                history.append(row)
                if log:
                    log(row)
        if checkpoint_dir:
            algo.save_to_path(checkpoint_dir)
        out = learner_net(algo)
        algo.stop()
        return out, history
    finally:
        if started:
            ray.shutdown()
