"""Solution quality of the shipped learned node policies (MVC, MaxCut, MaxCover, WTA)
against the classical baselines and a random policy.

    .venv/bin/python benchmarks/learned_node_policies.py                  # 20 instances
    .venv/bin/python benchmarks/learned_node_policies.py --instances 50 --large

Each checkpoint ``graphs/models/{mvc,maxcut,maxcover,wta}.pt`` that exists is decoded on
its problem's env (:func:`aerena.agents.solvers.envdecode.solve_with_env`): ``model
greedy`` (argmax) and ``model sample16`` (best of 16 sampled rollouts). Floors: ``random``
(one rollout, each action drawn uniformly among the legal ones, the stop action included
where the env has one) and ``random x16`` (the best of 16 such rollouts, the budget of
``model sample16``). Classical baselines: the problem's ``BASELINES`` (see
``graphs/<problem>/baselines.py``).

Held-out instances (the training runs draw their own seeds, never these): instance i uses
generator seed ``10_000 + i``; the training distributions are

* MVC, MaxCut: Barabasi-Albert graphs (m = 4), n spread evenly over [20, 50] (instance i
  gets ``n = 20 + round(30 i / (count - 1))``); ``--large`` adds 3 BA graphs (m = 4) of
  1000, 1100 and 1200 nodes (seeds 10_000..10_002) for generalisation (greedy decode only
  unless ``--large-samples K``: the sampled decode is 16x the greedy cost, minutes there);
* MaxCover: ``bipartite`` generator, 20 sets, 40 items, unit costs, budget 4;
* WTA: ``uniform`` generator, 10 weapons x 10 targets.

``--im K``: influence maximisation on K graphs of each of :data:`IM_FAMILIES` (2,000
nodes, budget 50; weighted cascade, constant p and trivalency on BA / ER / WS graphs):
CELF (1,000 worlds), IMM (eps 0.2), degree discount, degree and the shipped
``graphs/models/im.pt`` through :func:`aerena.agents.solvers.im_gcomb.solve_gcomb` (three
forward passes, and step by step: one seed per forward), spread and time as ratios to
CELF's on each graph.

MVC and MaxCut also run ``model onepass`` (:mod:`aerena.agents.solvers.onepass`: one
forward pass, the classical greedy / one-flip local search finishing), the default of
``aerena solve ... --method model``; ``t/fastest`` is its time over the fastest classical
baseline's (target on the large graphs: ratio <= 1.01 at t/fastest <= 20).

Per method: mean objective, mean ratio to the best classical baseline of each instance
(in the problem's sense, so ``>= 1`` is worse and ``< 1`` better than that baseline:
minimisation (MVC, WTA) ``objective / best``, maximisation (MaxCut, MaxCover) ``best /
objective``), how many instances it is at least as good as the best baseline, and wall time
per instance on one thread. The checkpoint's training meta (command, env steps, time) is
copied into the JSON (``--out``, default ``benchmarks/results/learned_node_policies.json``,
written atomically).
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from aerena.agents.solvers.base import load_checkpoint  # noqa: E402
from aerena.agents.solvers.envdecode import env_for_instance, solve_with_env  # noqa: E402
from aerena.agents.solvers.solve import ONEPASS, solve_with_model  # noqa: E402
from aerena.graphs import SENSE  # noqa: E402
from aerena.graphs.common.io import atomic_write_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "graphs" / "models"
OUT = Path(__file__).resolve().parent / "results" / "learned_node_policies.json"
SEED0 = 10_000
PROBLEMS = ("mvc", "maxcut", "maxcover", "wta")

#: problem -> (generator, its keywords, size range of num_nodes or None, classical baselines)
SETUPS: dict[str, tuple[str, dict[str, Any], tuple[int, int] | None, tuple[str, ...]]] = {
    "mvc": ("ba", {"m": 4}, (20, 50), ("greedy", "matching")),
    "maxcut": ("ba", {"m": 4}, (20, 50), ("greedy", "localsearch")),
    "maxcover": (
        "bipartite",
        {"num_sets": 20, "num_items": 40, "budget": 4.0},
        None,
        ("greedy",),
    ),
    "wta": ("uniform", {"num_weapons": 10, "num_targets": 10}, None, ("mmr", "localsearch")),
}
LARGE_N = (1000, 1200)  # n of the large graphs, spread evenly like the small ones
LARGE_COUNT = 3

#: IM test families: (generator, keywords) on 2,000 nodes, budget 50 (seeds 10_000 + i)
IM_FAMILIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("wc", {"graph": "ba", "m": 4}),
    ("constant", {"graph": "ba", "m": 4, "prob": 0.05}),
    ("trivalency", {"graph": "ba", "m": 4}),
    ("constant", {"graph": "er", "p": 0.003, "prob": 0.1}),
    ("wc", {"graph": "ws", "k": 6, "rewire": 0.3}),
)
IM_N = 2000
IM_BUDGET = 50


def _pkg(problem: str, name: str) -> Any:
    import importlib

    return importlib.import_module(f"aerena.graphs.{problem}.{name}")


def instances(problem: str, count: int, large: bool = False) -> list[Any]:
    """The held-out instances of `problem` (see the module docstring)."""
    gen, kw, size_range, _ = SETUPS[problem]
    generate = _pkg(problem, "generators").generate
    out = []
    for i in range(count):
        params = dict(kw)
        if large:
            lo, hi = LARGE_N
            params["num_nodes"] = lo + (round((hi - lo) * i / (count - 1)) if count > 1 else 0)
        elif size_range is not None:
            lo, hi = size_range
            params["num_nodes"] = lo + (round((hi - lo) * i / (count - 1)) if count > 1 else 0)
        out.append(generate(gen, seed=SEED0 + i, **params))
    return out


def random_rollout(problem: str, instance: Any, rng: np.random.Generator) -> float:
    """Objective of one rollout drawing each action uniformly among the legal ones."""
    env = env_for_instance(problem, instance)
    obs, _ = env.reset(seed=0, options={"instance": instance})
    while True:
        legal = np.flatnonzero(np.asarray(obs["action_mask"]))
        obs, _, terminated, truncated, info = env.step(int(rng.choice(legal)))
        if terminated or truncated:
            return float(info["objective"])


def _rel(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _worse_ratio(sense: str, value: float, best: float) -> float:
    """>= 1 when `value` is worse than `best` (min: value / best; max: best / value)."""
    num, den = (value, best) if sense == "min" else (best, value)
    if den == 0:
        return 1.0 if num == 0 else math.inf
    return num / den


def evaluate(
    problem: str, insts: list[Any], net: Any | None, samples: int = 16, warm: bool = True,
    model: Path | None = None, greedy_decode: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Run every method on `insts`; per-method summary rows and per-instance objectives.
    ``samples=0`` leaves out the sampled decode and its ``random x<samples>`` floor."""
    sense = SENSE[problem]
    _, _, _, names = SETUPS[problem]
    baselines = _pkg(problem, "baselines").BASELINES
    objective = _pkg(problem, "objective").objective
    methods: dict[str, Callable[[Any, int], float]] = {}

    def baseline(name: str) -> Callable[[Any, int], float]:
        solve = baselines.get(name)
        return lambda inst, i: float(objective(inst, solve(inst, seed=i)))

    for name in names:
        methods[name] = baseline(name)
    methods["random"] = lambda inst, i: random_rollout(problem, inst, np.random.default_rng(i))

    def random_k(inst: Any, i: int) -> float:
        rng = np.random.default_rng(i)
        vals = [random_rollout(problem, inst, rng) for _ in range(samples)]
        return min(vals) if sense == "min" else max(vals)

    if samples > 0:
        methods[f"random x{samples}"] = random_k
    if net is not None and greedy_decode:
        methods["model greedy"] = lambda inst, i: solve_with_env(net, problem, inst, "greedy")[0]
    if net is not None and problem in ONEPASS:
        methods["model onepass"] = lambda inst, i: float(
            objective(inst, solve_with_model(problem, inst, decode="onepass", model=model)[0])
        )
    if net is not None and samples > 0:
        methods[f"model sample{samples}"] = lambda inst, i: solve_with_env(
            net, problem, inst, "sample", samples=samples, seed=i
        )[0]
    if warm:  # numba compilation and first-call costs outside the timings
        for f in methods.values():
            f(insts[0], 0)
    values: dict[str, list[float]] = {}
    times: dict[str, float] = {}
    for name, f in methods.items():
        t0 = time.perf_counter()
        values[name] = [f(inst, SEED0 + i) for i, inst in enumerate(insts)]
        times[name] = (time.perf_counter() - t0) / len(insts)
    pick = min if sense == "min" else max
    best = [pick(values[n][i] for n in names) for i in range(len(insts))]
    fastest = min(times[n] for n in names)
    rows = []
    for name, vals in values.items():
        ratios = [_worse_ratio(sense, v, b) for v, b in zip(vals, best, strict=True)]
        rows.append(
            {
                "method": name,
                "mean_objective": float(np.mean(vals)),
                "mean_ratio_vs_best_baseline": float(np.mean(ratios)),
                "max_ratio_vs_best_baseline": float(np.max(ratios)),
                "at_least_as_good": int(sum(r <= 1 + 1e-9 for r in ratios)),
                "time_per_instance_s": times[name],
                "time_vs_fastest_baseline": times[name] / fastest if fastest > 0 else math.inf,
            }
        )
    return {"sense": sense, "rows": rows, "objectives": values, "best_baseline": best}


def _table(title: str, res: dict[str, Any], count: int) -> str:
    sense = res["sense"]
    how = "objective / best" if sense == "min" else "best / objective"
    lines = [
        f"{title}  ({sense}imise; ratio = {how} vs the best classical baseline per "
        f"instance, >= 1 worse)",
        f"  {'method':<16} {'mean obj':>10} {'ratio':>8} {'max ratio':>9} "
        f"{'<=best':>7} {'s/inst':>9} {'t/fastest':>9}",
    ]
    for r in res["rows"]:
        lines.append(
            f"  {r['method']:<16} {r['mean_objective']:>10.3f} "
            f"{r['mean_ratio_vs_best_baseline']:>8.4f} {r['max_ratio_vs_best_baseline']:>9.4f} "
            f"{r['at_least_as_good']:>4}/{count:<2} {r['time_per_instance_s']:>9.4f} "
            f"{r['time_vs_fastest_baseline']:>9.1f}"
        )
    return "\n".join(lines)


def evaluate_im(net: Any | None, per_family: int = 1, n: int = IM_N) -> dict[str, Any]:
    """IM on the :data:`IM_FAMILIES` graphs: spread (the objective's 10,000-world Monte
    Carlo estimate) and wall time of each method, as ratios to CELF's on each instance."""
    from aerena.agents.solvers.im_gcomb import solve_gcomb
    from aerena.graphs import im

    insts = [
        im.generate(gen, seed=SEED0 + i, num_nodes=n, budget=IM_BUDGET, **kw)
        for gen, kw in IM_FAMILIES
        for i in range(per_family)
    ]
    methods: dict[str, Callable[[Any], np.ndarray]] = {
        name: (lambda inst, name=name: im.solve(inst, name, seed=0))
        for name in ("celf", "imm", "degreediscount", "degree")
    }
    if net is not None:
        methods["model (3 forwards)"] = lambda inst: solve_gcomb(net, inst)[0]
        methods["model step-by-step"] = lambda inst: solve_gcomb(net, inst, rounds=inst.budget)[0]
    small = im.generate("wc", seed=0, num_nodes=100, budget=5)
    for f in methods.values():  # compilation outside the timings
        f(small)
    per: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
    for inst in insts:
        for name, f in methods.items():
            t0 = time.perf_counter()
            sol = f(inst)
            dt = time.perf_counter() - t0
            per[name].append((im.objective(inst, sol), dt))
    rows = []
    for name, vals in per.items():
        ratio = [v / c[0] for v, c in zip((x[0] for x in vals), per["celf"], strict=True)]
        tratio = [t / c[1] for t, c in zip((x[1] for x in vals), per["celf"], strict=True)]
        rows.append(
            {
                "method": name,
                "mean_spread": float(np.mean([x[0] for x in vals])),
                "mean_spread_vs_celf": float(np.mean(ratio)),
                "min_spread_vs_celf": float(np.min(ratio)),
                "mean_time_s": float(np.mean([x[1] for x in vals])),
                "max_time_vs_celf": float(np.max(tratio)),
                "mean_time_vs_celf": float(np.mean(tratio)),
            }
        )
    return {
        "instances": [repr(i) for i in insts],
        "rows": rows,
        "per_instance": {k: [list(x) for x in v] for k, v in per.items()},
    }


def _im_table(res: dict[str, Any]) -> str:
    lines = [
        f"im: {len(res['instances'])} graphs of {IM_N} nodes, budget {IM_BUDGET} "
        "(spread and time as ratios to CELF's on each graph; target >= 0.97 at <= 0.10)",
        f"  {'method':<20} {'spread':>8} {'mean/celf':>9} {'min/celf':>8} {'s/inst':>8} "
        f"{'t/celf max':>10}",
    ]
    for r in res["rows"]:
        lines.append(
            f"  {r['method']:<20} {r['mean_spread']:>8.1f} {r['mean_spread_vs_celf']:>9.4f} "
            f"{r['min_spread_vs_celf']:>8.4f} {r['mean_time_s']:>8.4f} "
            f"{r['max_time_vs_celf']:>10.4f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--instances", type=int, default=20, help="held-out instances per problem")
    ap.add_argument("--samples", type=int, default=16, help="rollouts of the sample decode")
    ap.add_argument(
        "--large", action="store_true", help="also MVC / MaxCut on 3 BA graphs of 1000 nodes"
    )
    ap.add_argument(
        "--large-samples",
        type=int,
        default=0,
        help="rollouts of the sample decode on the 1000-node graphs (0: greedy decode only)",
    )
    ap.add_argument("--problems", default=",".join(PROBLEMS), help="comma-separated subset")
    ap.add_argument(
        "--im",
        type=int,
        default=0,
        metavar="K",
        help="also influence maximisation: K graphs per family of IM_FAMILIES (2,000 nodes)",
    )
    ap.add_argument("--models", default=str(MODELS), help="folder of <problem>.pt checkpoints")
    ap.add_argument("--out", default=str(OUT), help="JSON output path")
    args = ap.parse_args(argv)
    if args.instances < 1 or args.samples < 1 or args.large_samples < 0:
        ap.error("--instances and --samples must be >= 1, --large-samples >= 0")
    problems = [p.strip() for p in args.problems.split(",") if p.strip()]
    unknown = sorted(set(problems) - set(PROBLEMS))
    if unknown:
        ap.error(f"unknown problems {unknown}; known: {list(PROBLEMS)}")
    torch.set_num_threads(1)
    report: dict[str, Any] = {
        "benchmark": "learned_node_policies",
        "command": "python benchmarks/learned_node_policies.py " + " ".join(sys.argv[1:]),
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": 1,
        },  # fmt: skip
        "instances": args.instances,
        "seeds": f"generator seed {SEED0} + i",
        "problems": {},
    }
    for problem in problems:
        path = Path(args.models) / f"{problem}.pt"
        net, meta = load_checkpoint(path) if path.is_file() else (None, None)
        gen, kw, size_range, _ = SETUPS[problem]
        entry: dict[str, Any] = {
            "generator": gen,
            "generator_kwargs": kw,
            "size_range": size_range,
            "checkpoint": _rel(path) if net is not None else None,
            "checkpoint_bytes": path.stat().st_size if net is not None else None,
            "train_meta": meta,
        }
        res = evaluate(problem, instances(problem, args.instances), net, args.samples, model=path)
        note = "" if net is not None else "  [no checkpoint: baselines and random only]"
        print(_table(f"{problem}: {args.instances} instances{note}", res, args.instances))
        print(flush=True)
        entry["results"] = res
        if args.large and size_range is not None:
            big = instances(problem, LARGE_COUNT, large=True)
            res_l = evaluate(problem, big, net, args.large_samples, warm=False, model=path)
            title = f"{problem}: {LARGE_COUNT} BA graphs, n={LARGE_N[0]}-{LARGE_N[1]}{note}"
            print(_table(title, res_l, LARGE_COUNT))
            print(flush=True)
            entry["large"] = res_l
        report["problems"][problem] = entry
    if args.im > 0:
        path = Path(args.models) / "im.pt"
        net, meta = load_checkpoint(path) if path.is_file() else (None, None)
        res = evaluate_im(net, args.im)
        print(_im_table(res))
        print(flush=True)
        report["im"] = {"checkpoint": _rel(path) if net else None, "train_meta": meta, **res}
    atomic_write_text(args.out, json.dumps(report, indent=1, default=float) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
