"""RLlib training throughput: the aerena GNN policy next to PPO on CartPole-v1, in one run.

    .venv/bin/python benchmarks/rllib_throughput.py            # 3 timed iterations per row
    .venv/bin/python benchmarks/rllib_throughput.py --iterations 5
    .venv/bin/python benchmarks/rllib_throughput.py --quick    # a smoke run, numbers rough

Rows (each one RLlib PPO algorithm, built, warmed up with one untimed iteration, then
`--iterations` timed `algo.train()` calls):

* `aerena.tiny` / `aerena.strike_small`: the default aerena experiment on the scenario
  (`experiment_for_scenario(name)`: learn the defender -- one `EntityGNNModule` per role,
  launcher and radar -- against the scripted attacker), built by the training recipe
  (`training.train.build_algorithm_config`), so the env, model and hyperparameters are the
  ones `aerena train --scenario NAME` uses.
* `cartpole`: RLlib's PPO on `CartPole-v1` with its default MLP module and the *same*
  settings: train batch size, minibatch size, epochs, `num_env_runners=0` (sampling in the
  driver), `num_envs_per_env_runner`, no learner actors, one torch thread.

The ratio CartPole / aerena env-steps/s shows what the env and the model cost on top of
RLlib's own per-step overhead.

Counting and timing: env steps are RLlib's `num_env_steps_sampled_lifetime` differences (one
env step = one step of the multi-agent env, however many agents acted). Each timed
iteration's wall time is measured around `algo.train()`; env-steps/s = steps / wall time;
the median over iterations is reported with its spread ((max - min) / median). The
warm-up iteration (module build, Numba JIT / cache load of the world and the opponent,
first forward passes) is excluded from every figure and reported on its own (`warmup` in
the JSON, the "Warm-up" table). The split between sampling and learning is
measured by timing the local env runner's `sample()` and the learner group's `update()`
calls inside the iteration (RLlib's own `timers` in the result dict are smoothed over
iterations, so they are stored in the JSON for reference but not used for the split).

Compute limit: forward FLOPs per row (matmuls only, by shape: `role_flops_parts`) times
rows per env step times ``1 + 3 x epochs`` (GAE forward, then forward + backward ~ 3
forwards per epoch), against one thread's float32 matmul rate, measured twice: on 256 x 256
squares (`matmul_gflops`) and on the model's own shapes at the minibatch size
(`shape_gflops`: [mb * N, D] x [D, D], the attention's [mb * H, N, C] x [mb * H, C, N], ...).
The "learn ach." columns say which limit they are a fraction of.

Method: one torch / OpenMP thread (`OMP_NUM_THREADS=MKL_NUM_THREADS=NUMBA_NUM_THREADS=1`,
set before the imports, and `torch.set_num_threads(1)`); an embedded local Ray
(`address="local"`, 2 CPUs). The machine may be shared: the load average is printed and
stored; compare the ratio measured in the same run. Results go to `--out` (JSON, written
atomically: a temporary file, then `os.replace`).
"""

from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from aerena.scenarios.loader import add_set_option, parse_set_options  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "rllib_throughput.json"
SCHEMA_VERSION = 1
ROWS = (
    "aerena.tiny",
    "aerena.strike_small",
    "batched.1",
    "batched.16",
    "batched.256",
    "single.strike_small",
    "cartpole",
)
# the path before the batched runner: RLlib's own runner over one SideEnv, dim 64 / 2 layers
SINGLE = {
    "resources.sampler": "single",
    "resources.num_envs_per_env_runner": 1,
    "model.dim": 64,
    "model.embed_dim": 64,
    "model.layers": 2,
    "model.hidden": 128,
    "algorithm.minibatch_size": 256,
}
# --quick: small batches so that a row takes seconds
QUICK = {"algorithm.train_batch_size": 256, "algorithm.minibatch_size": 128}


# ======================================================================================
# Timing one algorithm
# ======================================================================================
class _Stopwatch:
    """Accumulates the wall time spent in wrapped callables."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        return timed


def time_algorithm(algo: Any, iterations: int) -> dict[str, Any]:
    """One untimed warm-up iteration, then `iterations` timed ones; per-iteration records."""
    sample, learn = _Stopwatch(), _Stopwatch()
    runner = algo.env_runner_group.local_env_runner
    runner.sample = sample.wrap(runner.sample)
    algo.learner_group.update = learn.wrap(algo.learner_group.update)

    t0 = time.perf_counter()
    result = algo.train()  # warm-up: module build, first forward passes, JIT caches
    warmup = {
        "seconds": time.perf_counter() - t0,
        "sample_seconds": sample.seconds,
        "learn_seconds": learn.seconds,
        "env_steps": int(result.get("num_env_steps_sampled_lifetime", 0) or 0),
    }
    prev = int(result.get("num_env_steps_sampled_lifetime", 0) or 0)
    iters: list[dict[str, Any]] = []
    sampler = getattr(runner, "sampler", None)
    for _ in range(iterations):
        sample.seconds = learn.seconds = 0.0
        before = _phases(runner)
        t0 = time.perf_counter()
        result = algo.train()
        wall = time.perf_counter() - t0
        after = _phases(runner)
        profile = {k: after[k] - before[k] for k in after} if sampler is not None else {}
        steps = int(result.get("num_env_steps_sampled_lifetime", 0) or 0)
        runners = result.get("env_runners", {}) or {}
        iters.append(
            {
                "env_steps": steps - prev,
                "seconds": wall,
                "sample_seconds": sample.seconds,
                "learn_seconds": learn.seconds,
                "env_steps_per_s": (steps - prev) / wall if wall > 0 else float("nan"),
                "episodes": int(runners.get("num_episodes", 0) or 0),
                "episode_len_mean": _float(runners.get("episode_len_mean")),
                "rllib_timers": {k: _float(v) for k, v in (result.get("timers") or {}).items()},
                "profile": profile,
                "rows_sampled": _rows_sampled(result),
            }
        )
        prev = steps
    return {"warmup": warmup, "iterations": iters, **_summary(iters)}


def _phases(runner: Any) -> dict[str, float]:
    """Cumulative seconds per phase of the batched runner (world step, opponent, module
    inference, sampler bookkeeping, episode building)."""
    s = getattr(runner, "sampler", None)
    if s is None:
        return {}
    tm = s.timers
    return {
        "env": tm["world"],
        "opponent": tm["opponent"],
        "inference": tm["policy"],
        "bookkeeping": tm["total"] - tm["world"] - tm["opponent"] - tm["policy"],
        "episodes": runner.timers["episodes"],
    }


def _rows_sampled(result: dict[str, Any]) -> int:
    """Agent decisions (module rows) sampled in the iteration, all agents."""
    per_agent = (result.get("env_runners") or {}).get("num_agent_steps_sampled") or {}
    return int(sum(per_agent.values())) if isinstance(per_agent, dict) else 0


# ======================================================================================
# The compute limit: model FLOPs per row against the measured matmul rate
# ======================================================================================
def matmul_rate(seconds: float = 0.5, n: int = 256) -> float:
    """FLOP/s of float32 n x n matmuls on one torch thread (the learner's building block)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        reps += 1
    return 2.0 * n**3 * reps / (time.perf_counter() - t0)


def role_flops_parts(
    S: int, F: int, K: int, n_act: int, m: dict[str, Any], role: str
) -> dict[str, float]:
    """Forward FLOPs of one row of an EntityGNNModule (multiply-adds x 2) by matmul shape:
    `proj` the input projections, `linear` the attention's q/k/v/skip [N, D] x [D, D],
    `attention` the score and weighted-sum batched matmuls [N, C] x [C, N], `ffn`
    [N, D] x [D, 2D] and back, `mlp` the pooling / policy / value MLPs on one row,
    `pointer` the launcher's per-entity MLP ([K, D + E] x [D + E, hidden])."""
    D, E, H, L = m["dim"], m["embed_dim"], m["hidden"], m["layers"]
    N = K + 1

    def mlp(i: int, o: int) -> int:
        return 2 * (i * H + H * H + H * o)

    pointer = role == "launcher"
    return {
        "proj": float(2 * (S * D + K * F * D)),
        "linear": float(L * 2 * 4 * N * D * D),
        "attention": float(L * 2 * 2 * N * N * D),
        "ffn": float(L * 2 * N * D * 2 * D * 2),
        "mlp": float(
            2 * ((2 * D + 1) * E + E * E) + (mlp(E, 1) if pointer else mlp(E, n_act)) + mlp(E, 1)
        ),
        "pointer": float(K * mlp(D + E, 1) if pointer else 0),
    }


def role_flops(S: int, F: int, K: int, n_act: int, m: dict[str, Any], role: str) -> float:
    """Forward FLOPs of one row of an EntityGNNModule: encoder, policy head, value head."""
    return sum(role_flops_parts(S, F, K, n_act, m, role).values())


def shape_rates(
    S: int, F: int, K: int, m: dict[str, Any], rows: int, seconds: float = 0.2
) -> dict[str, float]:
    """FLOP/s of one torch thread on the forward matmuls of :func:`role_flops_parts` at a
    minibatch of `rows` rows (the shapes the learner runs, float32)."""
    import torch

    D, E, Hd, heads = m["dim"], m["embed_dim"], m["hidden"], m["heads"]
    N, C = K + 1, m["dim"] // m["heads"]
    shapes = {  # part -> (left, right) operands
        "proj": ((rows * K, F), (F, D)),
        "linear": ((rows * N, D), (D, D)),
        "attention": ((rows * heads, N, C), (rows * heads, C, N)),
        "ffn": ((rows * N, D), (D, 2 * D)),
        "mlp": ((rows, E), (E, Hd)),
        "pointer": ((rows * K, D + E), (D + E, Hd)),
    }
    out = {}
    for part, (sa, sb) in shapes.items():
        a, b = torch.randn(*sa), torch.randn(*sb)
        for _ in range(3):
            torch.matmul(a, b)
        flops = 2.0 * a.numel() * sb[-1]
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            torch.matmul(a, b)
            reps += 1
        out[part] = flops * reps / (time.perf_counter() - t0)
    return out


def model_shapes(exp: Any) -> tuple[int, int, int]:
    """(S, K, F) of the experiment's scenario: self features, entity slots, entity features."""
    from aerena.envs.airdefense.world import World

    s = World(exp.scenario, 1, **exp.overrides).state
    return s.obs_self.shape[2], s.obs_ent.shape[2], s.obs_ent.shape[3]


def flops_per_row(exp: Any) -> dict[str, dict[str, float]]:
    """role -> forward FLOPs per row by matmul shape, for the experiment's learning roles."""
    S, K, F = model_shapes(exp)
    m = exp.model.model_dump()
    return {
        role: role_flops_parts(S, F, K, {"uav": 54, "launcher": 1 + K, "radar": 2}[role], m, role)
        for role in exp.roles
    }


def _float(x: Any) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _summary(iters: Sequence[dict[str, Any]]) -> dict[str, Any]:
    rates = [it["env_steps_per_s"] for it in iters]
    med = statistics.median(rates)
    s_rates = [it["env_steps"] / it["sample_seconds"] for it in iters if it["sample_seconds"] > 0]
    l_rates = [it["env_steps"] / it["learn_seconds"] for it in iters if it["learn_seconds"] > 0]
    total = sum(it["seconds"] for it in iters)
    prof: dict[str, float] = {}
    for it in iters:
        for k, v in it.get("profile", {}).items():
            prof[k] = prof.get(k, 0.0) + v / len(iters)
    if prof:
        prof["learning"] = sum(it["learn_seconds"] for it in iters) / len(iters)
        prof["other"] = statistics.mean(it["seconds"] for it in iters) - sum(prof.values())
    rows = sum(it.get("rows_sampled", 0) for it in iters)
    steps = sum(it["env_steps"] for it in iters)
    return {
        "profile_s_per_iteration": prof,
        "rows_per_env_step": rows / steps / 1.0 if steps else float("nan"),
        "env_steps_per_s": med,
        "spread": (max(rates) - min(rates)) / med if med > 0 else float("nan"),
        "env_steps_per_iteration": statistics.median(it["env_steps"] for it in iters),
        "seconds_per_iteration": statistics.median(it["seconds"] for it in iters),
        "sample_fraction": sum(it["sample_seconds"] for it in iters) / total,
        "learn_fraction": sum(it["learn_seconds"] for it in iters) / total,
        # env steps per second of sampling alone / of learning alone (medians, spread)
        "sample_steps_per_s": statistics.median(s_rates) if s_rates else float("nan"),
        "sample_spread": spread_of(s_rates),
        "learn_steps_per_s": statistics.median(l_rates) if l_rates else float("nan"),
        "learn_spread": spread_of(l_rates),
        "learn_seconds_per_iteration": statistics.median(it["learn_seconds"] for it in iters),
    }


def spread_of(xs: Sequence[float]) -> float:
    """(max - min) / median; 0 for a single value."""
    if not xs:
        return float("nan")
    med = statistics.median(xs)
    return (max(xs) - min(xs)) / med if med > 0 else float("nan")


# ======================================================================================
# The rows
# ======================================================================================
def aerena_experiment(row: str, quick: bool, seed: int, extra: dict[str, Any] | None = None) -> Any:
    """The experiment of a row: `aerena.NAME` the default on NAME, `batched.B` the default
    on strike_small with B worlds per runner, `single.NAME` the B = 1 path."""
    from aerena.training.config import experiment_for_scenario

    kind, arg = row.split(".", 1) if "." in row else ("aerena", "tiny")
    overrides: dict[str, Any] = {"seed": seed, "resources.torch_threads": 1}
    scenario = "strike_small" if kind == "batched" else arg
    if kind == "batched":
        overrides["resources.num_envs_per_env_runner"] = int(arg)
    if kind == "single":
        overrides.update(SINGLE)
    if quick:
        overrides.update(QUICK)
    if kind != "single":  # the B = 1 path row stays the reference
        overrides.update(extra or {})
    return experiment_for_scenario(scenario, overrides).config


def build_aerena(exp: Any) -> Any:
    from aerena.training.train import build_algorithm_config

    return build_algorithm_config(exp).build_algo()


def build_cartpole(exp: Any) -> Any:
    """RLlib PPO on CartPole-v1 with the aerena experiment's batch and resource settings."""
    from ray.rllib.algorithms.ppo import PPOConfig

    a, r = exp.algorithm, exp.resources
    config = (
        PPOConfig()
        .environment("CartPole-v1")
        .framework("torch")
        .training(
            lr=a.lr,
            gamma=a.gamma,
            train_batch_size_per_learner=a.train_batch_size,
            minibatch_size=min(a.minibatch_size, a.train_batch_size),
            num_epochs=a.num_epochs,
            lambda_=a.gae_lambda,
            clip_param=a.clip_param,
            entropy_coeff=a.entropy_coeff,
            vf_loss_coeff=a.vf_loss_coeff,
            grad_clip=a.grad_clip,
        )
        .env_runners(
            num_env_runners=r.num_env_runners,
            num_envs_per_env_runner=r.num_envs_per_env_runner,
            rollout_fragment_length=r.rollout_fragment_length,
        )
        .learners(num_learners=r.num_learners)
        .debugging(seed=exp.seed)
    )
    return config.build_algo()


def settings_of(exp: Any) -> dict[str, Any]:
    a, r = exp.algorithm, exp.resources
    return {
        "algorithm": a.name,
        "train_batch_size": a.train_batch_size,
        "minibatch_size": min(a.minibatch_size, a.train_batch_size),
        "num_epochs": a.num_epochs,
        "num_env_runners": r.num_env_runners,
        "num_envs_per_env_runner": r.num_envs_per_env_runner,
        "num_learners": r.num_learners,
        "torch_threads": 1,
    }


def run_row(row: str, exp: Any, iterations: int) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row, "settings": settings_of(exp), "error": None}
    if row == "cartpole":
        out.update(name="RLlib PPO, CartPole-v1, default MLP", env="CartPole-v1")
        build = build_cartpole
    else:
        scenario = exp.scenario
        out.update(
            name=f"aerena {scenario}, learn defender vs scripted, EntityGNNModule, "
            f"{exp.resources.sampler} sampler, B={exp.resources.num_envs_per_env_runner}",
            env=scenario,
            learn=exp.learn,
            opponent=exp.opponent,
            model=exp.model.model_dump(),
            flops_per_row=flops_per_row(exp),
        )
        build = build_aerena
    algo = None
    try:
        algo = build(exp)
        out.update(time_algorithm(algo, iterations))
    except Exception as exc:  # a failed row is reported, the others still run
        out["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        if algo is not None:
            algo.stop()
    if row != "cartpole" and not out["error"]:
        S, K, F = model_shapes(exp)
        mb = out["settings"]["minibatch_size"]
        rates = shape_rates(S, F, K, exp.model.model_dump(), mb)
        out["shape_gflops"] = {k: v / 1e9 for k, v in rates.items()}
    return out


# ======================================================================================
# Output
# ======================================================================================
def print_table(rows: list[dict[str, Any]], header: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    s = rows[0]["settings"] if rows else {}
    title = (
        f"RLlib PPO throughput, batch {s.get('train_batch_size')}, minibatch "
        f"{s.get('minibatch_size')}, {s.get('num_epochs')} epochs, "
        f"{s.get('num_envs_per_env_runner')} env(s) in the driver, 1 torch thread "
        f"(load {header['loadavg_start'][0]:.2f})"
    )
    t = Table(title=title)
    for col in ("row", "env steps/s", "spread", "s / iter", "sample %", "learn %",
                "sample steps/s", "learn steps/s"):  # fmt: skip
        t.add_column(col, justify="left" if col == "row" else "right")
    for r in rows:
        if r["error"]:
            t.add_row(r["id"], f"error: {r['error'][:60]}", *[""] * 6)
            continue
        t.add_row(
            r["id"],
            f"{r['env_steps_per_s']:,.0f}",
            f"{100 * r['spread']:.0f}%",
            f"{r['seconds_per_iteration']:.2f}",
            f"{100 * r['sample_fraction']:.0f}%",
            f"{100 * r['learn_fraction']:.0f}%",
            f"{r['sample_steps_per_s']:,.0f}",
            f"{r['learn_steps_per_s']:,.0f}",
        )
    console = Console(width=140)
    console.print(t)
    phases = ("env", "opponent", "inference", "bookkeeping", "episodes", "learning", "other")
    p = Table(title="Profile: seconds per iteration by phase (batched rows)")
    p.add_column("row")
    for c in phases:
        p.add_column(c, justify="right")
    mm = header.get("matmul_gflops", float("nan"))
    lim = Table(title=f"Compute limit: forward FLOPs per row (x 3 x epochs + 1 for learning) "
                f"vs one thread's matmul rate, at 256x256 ({mm:.1f} GFLOP/s) and at the "
                f"model's own shapes (minibatch rows)")  # fmt: skip
    for c in ("row", "FLOPs/row (fwd)", "rows/env step", "model-shape GFLOP/s",
              "sample limit 256", "sample ach.", "learn limit 256", "learn ach.",
              "learn limit shapes", "learn ach. (shapes)"):  # fmt: skip
        lim.add_column(c, justify="left" if c == "row" else "right")
    rate = mm * 1e9
    for r in rows:
        prof = r.get("profile_s_per_iteration") or {}
        if r["error"] or not prof:
            continue
        p.add_row(r["id"], *[f"{prof.get(c, 0.0):.3f}" for c in phases])
        fl = r.get("flops_per_row") or {}
        sr = r.get("shape_gflops") or {}
        per_row = sum(sum(parts.values()) for parts in fl.values()) / max(len(fl), 1)
        # seconds per row at the model's shapes: each part at its own measured rate
        t_row = sum(
            sum(v / (sr.get(k, float("nan")) * 1e9) for k, v in parts.items() if v)
            for parts in fl.values()
        ) / max(len(fl), 1)
        rows_step = r.get("rows_per_env_step", float("nan"))
        passes = 1 + 3 * r["settings"]["num_epochs"]  # GAE forward + fwd/bwd per epoch
        s_lim = rate / (per_row * rows_step)  # one forward per decision
        l_lim = rate / (per_row * rows_step * passes)
        l_lim_shape = 1.0 / (t_row * rows_step * passes)
        r["limits"] = {
            "sample_256": s_lim,
            "learn_256": l_lim,
            "learn_model_shapes": l_lim_shape,
            "model_shape_gflops": per_row / t_row / 1e9,
            "learn_fraction_256": r["learn_steps_per_s"] / l_lim,
            "learn_fraction_model_shapes": r["learn_steps_per_s"] / l_lim_shape,
        }
        lim.add_row(
            r["id"], f"{per_row / 1e6:.2f} M", f"{rows_step:.2f}",
            f"{per_row / t_row / 1e9:.1f}", f"{s_lim:,.0f}",
            f"{100 * r['sample_steps_per_s'] / s_lim:.0f}%", f"{l_lim:,.0f}",
            f"{100 * r['learn_steps_per_s'] / l_lim:.0f}%", f"{l_lim_shape:,.0f}",
            f"{100 * r['learn_steps_per_s'] / l_lim_shape:.0f}%",
        )  # fmt: skip
    w = Table(title="Warm-up iteration (excluded from the figures above): start-up / JIT")
    for c in ("row", "seconds", "sample s", "learn s", "timed median s", "learn spread"):
        w.add_column(c, justify="left" if c == "row" else "right")
    for r in rows:
        if r["error"] or "warmup" not in r:
            continue
        wu = r["warmup"]
        w.add_row(r["id"], f"{wu['seconds']:.2f}", f"{wu['sample_seconds']:.2f}",
                  f"{wu['learn_seconds']:.2f}", f"{r['seconds_per_iteration']:.2f}",
                  f"{100 * r['learn_spread']:.0f}%")  # fmt: skip
    console.print(w)
    console.print(p)
    console.print(lim)
    ratios = header.get("ratios", {})
    for k, v in ratios.items():
        console.print(f"  {k}: {v:.1f}x")


def write_json(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=2, allow_nan=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", default=",".join(ROWS), help=f"comma list of {', '.join(ROWS)}")
    p.add_argument("--iterations", type=int, default=None, help="timed iterations (default 3)")
    p.add_argument("--quick", action="store_true", help="small batches, 1 timed iteration")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    add_set_option(p, "resources.num_learners=2", "an experiment field of the aerena rows")
    args = p.parse_args(argv)
    extra = parse_set_options(args.overrides)
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    bad = [r for r in rows if r not in ROWS]
    if bad:
        p.error(f"unknown rows {bad}; choose from {', '.join(ROWS)}")
    iterations = args.iterations or (1 if args.quick else 3)

    import ray
    import torch

    from aerena.training.runtime import start_ray

    torch.set_num_threads(1)
    start = time.perf_counter()
    header: dict[str, Any] = {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "ray": ray.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg_start": list(os.getloadavg()),
        "iterations": iterations,
        "quick": args.quick,
        "set": extra,
        "seed": args.seed,
    }
    start_ray(num_cpus=2)
    results: list[dict[str, Any]] = []
    try:
        for row in rows:
            # CartPole takes its settings from the tiny experiment (the defaults are shared)
            exp = aerena_experiment("aerena.tiny" if row == "cartpole" else row, args.quick,
                                    args.seed, extra)  # fmt: skip
            print(f"[{row}] {iterations} timed iteration(s) ...", flush=True)
            results.append(run_row(row, exp, iterations))
    finally:
        ray.shutdown()
    header["loadavg_end"] = list(os.getloadavg())
    header["matmul_gflops"] = matmul_rate() / 1e9
    header["total_seconds"] = time.perf_counter() - start
    ok = {r["id"]: r for r in results if not r["error"]}
    ratios: dict[str, float] = {}
    if "aerena.strike_small" in ok and "single.strike_small" in ok:
        ratios["aerena.strike_small (batched) / single.strike_small env-steps/s"] = (
            ok["aerena.strike_small"]["env_steps_per_s"]
            / ok["single.strike_small"]["env_steps_per_s"]
        )
    if "cartpole" in ok:
        for row in ("aerena.tiny", "aerena.strike_small", "single.strike_small"):
            if row in ok and ok[row]["env_steps_per_s"] > 0:
                ratios[f"cartpole / {row} env-steps/s"] = (
                    ok["cartpole"]["env_steps_per_s"] / ok[row]["env_steps_per_s"]
                )
    header["ratios"] = ratios
    record = {
        "benchmark": "rllib_throughput",
        "schema_version": SCHEMA_VERSION,
        "header": header,
        "rows": results,
        "summary": {"ratios": ratios},
    }
    print_table(results, header)
    write_json(args.out, record)
    print(f"wrote {args.out}")
    return 1 if any(r["error"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
