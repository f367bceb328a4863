"""PPO through RLlib (new API stack) for any learned graph policy (:class:`GraphPolicyNet`).

It runs from ``aerena train-solver --config FILE.yaml`` with ``algorithm: ppo`` (the
default for mvc, maxcut, maxcover and wta; the schema: :mod:`aerena.training.solver_config`),
e.g. ``training/experiments/solvers/mvc_ppo.yaml``::

    problem: mvc
    algorithm: ppo
    iterations: 20            # PPO iterations
    lr: 3.0e-4
    model: {dim: 64, layers: 3}
    ppo:
      env_kwargs: {generator: ba, generator_kwargs: {m: 4}}   # the env's gymnasium.make keywords
      size_range: [20, 50]    # graph size drawn per episode
      train_batch_size: 2048
      minibatch_size: 256
      num_epochs: 4
      entropy_coeff: 0.01

The shipped models' meta names the older ``python -m aerena.training.solvers.ppo mvc
--iterations 40 ...`` form of :func:`main` (kept so those commands still run).

:class:`GraphPolicyModule` wraps the problem's net (``build_net(problem, **net)``) in a
`TorchRLModule` with the `ValueFunctionAPI`: the env's `Dict` observation arrives as a
dict of batched tensors, the net reads the entries named in its ``obs_keys`` and returns
masked logits (``ACTION_DIST_INPUTS``; sampled actions are always legal), and its `value`
head is PPO's critic. ``model_config = {"problem": str, "net": {net config}}``.

:func:`train_ppo` is the recipe: start a local Ray (2 CPUs, ``OMP_NUM_THREADS=1`` in the
workers) unless one is running, configure PPO on the problem's Gymnasium env
``aerena/<Problem>-v0`` (`env_kwargs` are its ``gymnasium.make`` keywords; through
:class:`GraphTrainEnv`, which with ``size_range=(lo, hi)`` draws the graph size per
episode and keeps RLlib's info stacking happy), train for `iterations`, copy the
learner's weights into a plain net (eval mode) and shut Ray down if it started it. Each
history row: iteration, env_steps, episodes, episode_return_mean, time_s.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis import ValueFunctionAPI
from ray.rllib.core.rl_module.torch.torch_rl_module import TorchRLModule

import aerena  # noqa: F401  (registers the aerena/<Problem>-v0 Gymnasium ids)
from aerena import cliargs
from aerena.agents.solvers.base import GraphPolicyNet, build_net, net_class
from aerena.errors import UserError
from aerena.graphs import ENV_IDS
from aerena.training.runtime import start_ray

__all__ = [
    "ENV_ID",
    "GraphPolicyModule",
    "GraphTrainEnv",
    "init_local_ray",
    "learner_net",
    "main",
    "train_ppo",
]

#: problem -> its Gymnasium id
ENV_ID: dict[str, str] = {
    entry.split(":")[0].split(".")[2]: env_id for env_id, entry in ENV_IDS.items()
}


class GraphPolicyModule(TorchRLModule, ValueFunctionAPI):
    """RLModule around a :class:`GraphPolicyNet` (see the module docstring)."""

    def setup(self) -> None:
        cfg = dict(self.model_config or {})
        problem = cfg.get("problem")
        if not problem:
            raise UserError('GraphPolicyModule needs model_config={"problem": ..., "net": {...}}')
        self.net: GraphPolicyNet = build_net(str(problem), **dict(cfg.get("net") or {}))

    def _obs(self, batch: dict[str, Any]) -> list[torch.Tensor]:
        obs = batch[Columns.OBS]
        return [torch.as_tensor(obs[k]) for k in self.net.obs_keys]

    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {Columns.ACTION_DIST_INPUTS: self.net(*self._obs(batch))}

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        return self.net.value(*self._obs(batch))


#: problems whose size is one "num_nodes" keyword (size_range applies to them)
SIZED = ("tsp", "cvrp", "mvc", "maxcut")
TRAIN_ENV = "aerena-graphs-train"


class GraphTrainEnv(gym.Env):
    """The env PPO samples: ``aerena/<Problem>-v0`` (made with ``gymnasium.make``), or with
    ``size_range`` [lo, hi] that env on a graph size drawn uniformly at each reset.

    With a size range there is one env per size, all padded to the largest (``max_nodes``;
    MVC / MaxCut edge slots follow), so the observation space is fixed. ``step`` leaves out
    ``info["solution"]`` (its length varies: RLlib's vector env stacks infos) and keeps
    ``info["objective"]``. ``config``: ``problem``, optional ``size_range`` and the env's
    keywords (without ``num_nodes`` / ``max_nodes`` when sizes are drawn).
    """

    def __init__(self, config: dict[str, Any]) -> None:
        cfg = dict(config)
        self.problem = str(cfg.pop("problem"))
        if self.problem not in ENV_ID:
            raise UserError(f"unknown problem {self.problem!r}; known: {sorted(ENV_ID)}")
        size_range = cfg.pop("size_range", None)
        self._envs: dict[int, Any] = {}
        if size_range is None:
            self.sizes = [0]
            self._envs[0] = gym.make(ENV_ID[self.problem], **cfg).unwrapped
        else:
            lo, hi = (int(x) for x in size_range)
            if self.problem not in SIZED or not 2 <= lo <= hi:
                raise UserError(
                    f"size_range needs a problem in {SIZED} and 2 <= lo <= hi, got "
                    f"{self.problem!r} {lo, hi}"
                )
            if {"num_nodes", "max_nodes"} & set(cfg):
                raise UserError("with size_range, do not set num_nodes / max_nodes")
            self.sizes = list(range(lo, hi + 1))
            self._cls = gym.envs.registration.load_env_creator(ENV_IDS[ENV_ID[self.problem]])
            self._kw = {**cfg, "max_nodes": hi + 1 if self.problem == "cvrp" else hi}
            self._env(hi)  # the largest first: it sets the edge slots of the others
        self._cur = self._envs[self.sizes[-1]]
        self.observation_space = self._cur.observation_space
        self.action_space = self._cur.action_space

    def _env(self, n: int) -> Any:
        if n not in self._envs:
            kw = dict(self._kw)
            if self.problem in ("mvc", "maxcut") and "max_edges" not in kw and self._envs:
                kw["max_edges"] = self._envs[self.sizes[-1]].E
            self._envs[n] = self._cls(num_nodes=n, **kw)
        return self._envs[n]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if len(self.sizes) > 1:
            self._cur = self._env(int(self.np_random.choice(self.sizes)))
        return self._cur.reset(seed=int(self.np_random.integers(2**31)), options=options)

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self._cur.step(action)
        info.pop("solution", None)
        return obs, reward, terminated, truncated, info


def learner_net(algo: Any) -> GraphPolicyNet:
    """A CPU copy (eval mode) of the net the algorithm's Learner trains: its RLModule's
    ``model_config`` is ``{"problem", "net"}`` and it holds the net as ``self.net``
    (:class:`GraphPolicyModule`, and POMO's module)."""
    weights = algo.learner_group.get_weights()
    state = weights.get("default_policy", weights)
    cfg = algo.config.rl_module_spec.model_config
    net = build_net(cfg["problem"], **dict(cfg.get("net") or {}))
    net.load_state_dict(
        {
            k.removeprefix("net."): torch.as_tensor(np.asarray(v))
            for k, v in state.items()
            if k.startswith("net.")
        }
    )
    return net.eval()


def init_local_ray(num_cpus: int) -> bool:
    """Start an embedded local Ray unless one is up; True when this call started it."""
    return start_ray(num_cpus=num_cpus, threads=1)


def train_ppo(
    problem: str,
    env_kwargs: dict[str, Any],
    *,
    iterations: int,
    seed: int = 0,
    net: dict[str, Any] | None = None,
    num_env_runners: int = 0,
    envs_per_runner: int = 8,
    train_batch_size: int = 2048,
    minibatch_size: int = 256,
    lr: float = 3e-4,
    entropy_coeff: float = 0.01,
    num_epochs: int = 4,
    size_range: tuple[int, int] | None = None,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[GraphPolicyNet, list[dict[str, Any]]]:
    """Train the default net of `problem` with PPO; (trained net in eval mode, history)."""
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    # ---- 1. check the inputs ----------------------------------------------------------
    if problem not in ENV_ID:
        raise UserError(f"unknown problem {problem!r}; known: {sorted(ENV_ID)}")
    net_class(problem)  # fails early for a problem without a net
    if iterations < 1:
        raise UserError(f"iterations must be >= 1, got {iterations}")
    if minibatch_size > train_batch_size:
        raise UserError(f"minibatch_size {minibatch_size} > train_batch_size {train_batch_size}")
    net_cfg = dict(net or {})
    build_net(problem, **net_cfg)  # unknown net keys fail here, not inside a Ray worker
    env_config = {**env_kwargs, "problem": problem}
    if size_range is not None:
        env_config["size_range"] = [int(x) for x in size_range]
    GraphTrainEnv(env_config)  # bad env keywords / sizes fail here, not in a Ray worker
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    # ---- 2. Ray and the algorithm -----------------------------------------------------
    started = init_local_ray(num_cpus=max(2, num_env_runners + 1))
    try:
        from ray.tune.registry import register_env

        register_env(TRAIN_ENV, GraphTrainEnv)
        config = (
            PPOConfig()
            .environment(TRAIN_ENV, env_config=env_config)
            .framework("torch")
            .env_runners(
                num_env_runners=num_env_runners,
                num_envs_per_env_runner=envs_per_runner,
                rollout_fragment_length="auto",
                num_cpus_per_env_runner=1,
            )
            .learners(num_learners=0)
            .rl_module(
                rl_module_spec=RLModuleSpec(
                    module_class=GraphPolicyModule,
                    model_config={"problem": problem, "net": net_cfg},
                )
            )
            .training(
                lr=lr,
                gamma=1.0,
                lambda_=0.95,
                train_batch_size_per_learner=train_batch_size,
                minibatch_size=minibatch_size,
                num_epochs=num_epochs,
                entropy_coeff=entropy_coeff,
                vf_clip_param=1e6,  # returns grow with the graph: do not clip the critic
                use_kl_loss=False,
                grad_clip=1.0,
            )
            .debugging(seed=seed)
        )
        algo = config.build_algo()
        # ---- 3. train ---------------------------------------------------------------------
        history: list[dict[str, Any]] = []
        t0 = time.perf_counter()
        try:
            for _ in range(iterations):
                result = algo.train()
                runners = result.get("env_runners", {})
                ret = runners.get("episode_return_mean")
                row = {
                    "iteration": int(result["training_iteration"]),
                    "env_steps": int(result.get("num_env_steps_sampled_lifetime", 0) or 0),
                    "episodes": int(runners.get("num_episodes", 0) or 0),
                    "episode_return_mean": math.nan if ret is None else float(ret),
                    "time_s": time.perf_counter() - t0,
                }
                history.append(row)
                if log is not None:
                    log(row)
            # ---- 4. copy the learner's weights into a plain net -----------------------------
            trained = learner_net(algo)
        finally:
            algo.stop()
    finally:
        if started:
            import ray

            ray.shutdown()
    return trained, history


# --------------------------------------------------------------------------------------
# Command line: python -m aerena.training.solvers.ppo <problem> --iterations N ...
# --------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = cliargs.Parser(prog="python -m aerena.training.solvers.ppo", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("problem", choices=sorted(ENV_ID))
    ap.add_argument("--iterations", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--env-kwargs", default="{}", help="JSON: the env's constructor keywords")
    ap.add_argument("--net", default="{}", help="JSON: the net config (dim, layers, ...)")
    ap.add_argument("--num-env-runners", type=int, default=0)
    ap.add_argument("--envs-per-runner", type=int, default=8)
    ap.add_argument("--train-batch-size", type=int, default=2048)
    ap.add_argument("--minibatch-size", type=int, default=256)
    ap.add_argument("--num-epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--entropy-coeff", type=float, default=0.01)
    ap.add_argument("--size-range", type=int, nargs=2, default=None, metavar=("LO", "HI"),
                    help="graph size drawn uniformly from [LO, HI] per episode (tsp, cvrp, "
                    "mvc, maxcut; padded to HI)")  # fmt: skip
    ap.add_argument("--out", default=None, help="checkpoint path (.pt) for the trained net")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    try:
        env_kwargs = json.loads(args.env_kwargs)
        net_cfg = json.loads(args.net)
    except json.JSONDecodeError as exc:
        raise UserError(f"--env-kwargs / --net must be JSON: {exc}") from exc

    def log(row: dict[str, Any]) -> None:
        print(json.dumps(row), flush=True)

    t0 = time.perf_counter()
    net, history = train_ppo(
        args.problem,
        env_kwargs,
        iterations=args.iterations,
        seed=args.seed,
        net=net_cfg,
        num_env_runners=args.num_env_runners,
        envs_per_runner=args.envs_per_runner,
        train_batch_size=args.train_batch_size,
        minibatch_size=args.minibatch_size,
        num_epochs=args.num_epochs,
        lr=args.lr,
        entropy_coeff=args.entropy_coeff,
        size_range=tuple(args.size_range) if args.size_range else None,
        log=log,
    )
    if args.out:
        from aerena.agents.solvers.base import save_checkpoint

        argv_ = sys.argv[1:] if argv is None else list(argv)
        meta = {
            "command": "python -m aerena.training.solvers.ppo "
            + " ".join(_quote(a) for a in argv_),
            "algorithm": "PPO (RLlib)",
            "env_kwargs": env_kwargs,
            "size_range": args.size_range,
            "env_steps": history[-1]["env_steps"] if history else 0,
            "iterations": args.iterations,
            "train_time_s": round(time.perf_counter() - t0, 1),
            "final_episode_return_mean": history[-1]["episode_return_mean"] if history else None,
        }
        save_checkpoint(net, args.out, meta)
        print(f"saved {args.out}", flush=True)
    return 0


def _quote(a: str) -> str:
    import shlex

    return shlex.quote(a)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
