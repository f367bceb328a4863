"""The baseline table of issue 14: tasks x algorithms x seeds, scored on unseen episodes.

    python benchmarks/baseline_table.py                                  # every task, 3 seeds
    python benchmarks/baseline_table.py --tasks tiny --algos PPO APPO IMPALA --time-s 90
    python benchmarks/baseline_table.py --tasks tiny --seeds 0 --set stop.iterations=2

**Cells.** A task is a shipped experiment recipe (``TASKS``: the learning side and its
scenario); a cell is (task, algorithm, seed). Each cell trains in a subprocess
(``aerena train RECIPE --runs-dir CELL --no-live --set ...``: the overrides of
:func:`cell_overrides`, the one place where a cell differs from its recipe) and is then
scored by ``aerena evaluate RUN --episodes 200 --seed 5000000 --json``: greedy play of the
learned side and, on the same episodes, the scripted player of that side in its place (the
row the cell compares to). Training never plays those episodes: its worlds play episode
``e`` of a base drawn per world by ``runner_seed(seed, worker, world)`` (a 63-bit hash of
seeds 0-2; a lone world plays ``seed + e``), and the behaviour clone's demonstrations
use ``init.seed + e`` = 1,000,000 + e (:mod:`aerena.seeding`).

**Score.** Asset value saved per episode (the defender's objective; on attacker tasks lower
is better), as `aerena evaluate` reports it. A cell's score is the mean of the per-seed
200-episode means with a Student t 95 % interval over the seeds
(:func:`aerena.training.evaluate.t_interval`); each seed's own 200-episode interval stays in
the JSON. Each cell is also scored sampled (``evaluate --sample``, the same episodes):
per-step policies may act by rates, e.g. a launcher firing with a small probability each
second, which greedy play never takes (the saturation defender: 0.46 greedy, 1.41
sampled). Cells recorded before this column show ``-`` there. Also given: training wall
time (the RL loop, ``summary.json``; behaviour cloning apart) and env steps, means over
the seeds.

**Algorithms.** ``--set algorithm.name=...`` on the recipe, so PPO, APPO and IMPALA share
the recipe's lr, gamma, train_batch_size, entropy_coeff, vf_loss_coeff, grad_clip, env
runners, fragments and batch mode; gae_lambda is PPO's (APPO / IMPALA use v-trace).
APPO / IMPALA also take the recipe's epochs and minibatches (rounded down to whole
fragments: :func:`aerena.training.algorithm.vtrace_reuse`). RLlib makes an APPO / IMPALA
iteration last at least 10 s (``min_time_s_per_iteration``): their curves have fewer,
larger iterations.
Every recipe validates with every algorithm (RLlib's own config checks).

**Budget.** Without ``--time-s`` a cell stops as its recipe says. ``--time-s T`` makes the
wall time the only stop criterion (``stop.time_s=T``, no iteration, env-step or target
stop): every algorithm gets the same seconds.

**Resume.** A cell whose ``cell.json`` exists is done and skipped (an error if it was run
with other overrides). Otherwise a finished run folder is only evaluated, an interrupted one
with a checkpoint continues (``aerena train --resume``), and one without a checkpoint is
removed and started again. Files are written atomically (:mod:`aerena.files`).

**Output.** ``--out`` (JSON, below), the markdown table printed and written beside it
(``.md``), and per task one PNG of learning curves (``<out stem>_<task>.png``): asset value
saved of the training episodes (sampled actions) against env steps, per algorithm the mean
over seeds with the seeds' range as a band (:func:`mean_curve`), the scripted reference
dashed; dotted where not every seed's run reached. JSON::

    {"benchmark": "baseline_table", "schema_version": 1,
     "header": {timestamp, episodes, eval_seed, time_s, overrides, loadavg, cpu_count,
                seconds},      # of the invocation that wrote the file (cells: their own)
     "skipped": [{task, reason}],
     "cells": [{task, algo, seed, overrides, run_dir, iterations, env_steps, rl_s,
                imitation_s, cell_wall_s, stop_reason, checkpoint, scenario, side, episodes,
                eval_seed,
                learned: {metric: {mean, ci95}}, scripted: {...}, curve: [[env_steps, saved]]}],
     "failed": [{task, algo, seed, error}],
     "rows": [{task, algo, seeds, score: {mean, ci95}, per_seed, per_seed_ci95, rl_s,
               env_steps, iterations, scripted: {mean, ci95}, side, episodes}]}
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from aerena.errors import UserError  # noqa: E402
from aerena.files import atomic_write, atomic_write_text  # noqa: E402
from aerena.scenarios.overrides import parse_set_options  # noqa: E402
from aerena.training.checkpoints import latest_checkpoint  # noqa: E402
from aerena.training.config import ALGORITHMS, load_experiment  # noqa: E402
from aerena.training.evaluate import t_interval  # noqa: E402
from aerena.training.progress import fmt, read_records, run_times  # noqa: E402

SCHEMA_VERSION = 1
ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "training" / "experiments"
EVAL_SEED = 5_000_000  # episodes 5,000,000 + e: never played in training (module docstring)
SCORE = "asset_value_saved"
CELL_FILE = "cell.json"


class Task(NamedTuple):
    label: str
    recipe: str  # file name under training/experiments/


TASKS = {
    "tiny": Task("tiny defender", "tiny_defender.yaml"),
    "strike_small_defender": Task("strike_small defender", "strike_small_defender_tactics.yaml"),
    "strike_small_attacker": Task("strike_small attacker", "strike_small_attacker_tactics.yaml"),
    "saturation_defender": Task("saturation defender", "saturation_defender_tactics.yaml"),
}


# ======================================================================================
# Cells: what differs from the recipe, and where each one stands
# ======================================================================================
def cell_overrides(recipe: Path, algo: str, seed: int, time_s: float | None,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """The dotted overrides of one cell -- the only way a cell differs from its recipe:
    the algorithm, the seed, with `time_s` a pure wall-time budget, then `extra` (the
    command line's ``--set``, which wins)."""
    out: dict[str, Any] = {"algorithm.name": algo, "seed": int(seed)}
    if time_s is not None:
        out.update({"stop.time_s": float(time_s), "stop.iterations": None,
                    "stop.env_steps": None, "stop.target": None})  # fmt: skip
    load_experiment(recipe, {**out, **(extra or {})})  # a cell the recipe refuses fails here
    return {**out, **(extra or {})}


def cell_dir(runs_dir: Path, task: str, algo: str, seed: int) -> Path:
    return Path(runs_dir) / task / algo / f"seed{seed}"


def find_run(cell: Path) -> Path | None:
    """The run folder `aerena train` made under `cell` (the newest, if several)."""
    runs = sorted(p for p in cell.glob("*") if (p / "config.yaml").is_file())
    return runs[-1] if runs else None


def cell_state(cell: Path) -> str:
    """``done`` (cell.json there), ``evaluate`` (training finished), ``resume`` (stopped
    with a checkpoint), or ``start`` (nothing usable)."""
    if (cell / CELL_FILE).is_file():
        return "done"
    run = find_run(cell)
    if run is None:
        return "start"
    summary = run / "summary.json"
    if summary.is_file():
        reason = json.loads(summary.read_text(encoding="utf-8")).get("stop_reason")
        if reason not in ("interrupted", "not started") and latest_checkpoint(run):
            return "evaluate"
    return "resume" if latest_checkpoint(run) is not None else "start"


def curve(run: Path) -> list[list[float]]:
    """[env_steps, asset value saved] of each iteration of a run that ended episodes."""
    out = []
    for r in read_records(run / "progress.jsonl"):
        v = float(r.get(SCORE, math.nan))
        if not math.isnan(v):
            out.append([float(r["env_steps"]), v])
    return out


def cell_result(task: str, algo: str, seed: int, overrides: dict[str, Any], run: Path,
                report: dict[str, Any], wall_s: float,
                sampled: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """The record of one finished cell: training figures, the greedy, sampled (`sampled`:
    the report of ``evaluate --sample``) and scripted summaries, the curve."""
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    times = run_times(run)
    return {
        "task": task, "algo": algo, "seed": seed, "overrides": overrides,
        "run_dir": str(run), "iterations": summary["iterations"],
        "env_steps": summary["env_steps"], "rl_s": times["rl_s"],
        "imitation_s": times["imitation_s"], "cell_wall_s": wall_s,
        "stop_reason": summary["stop_reason"], "checkpoint": report["checkpoint"],
        "scenario": report["scenario"], "side": report["side"],
        "episodes": report["episodes"], "eval_seed": report["seed"],
        "learned": report["learned"]["summary"], "scripted": report["scripted"]["summary"],
        "sampled": None if sampled is None else sampled["learned"]["summary"],
        "curve": curve(run),
    }  # fmt: skip


# ======================================================================================
# Running a cell (subprocesses)
# ======================================================================================
def _aerena(args: list[str], log: Path, capture: bool = False) -> subprocess.CompletedProcess:
    """`aerena ARGS` in a subprocess, its output appended to `log` as it comes (stdout
    returned instead with `capture`)."""
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"$ aerena {' '.join(args)}\n")
        fh.flush()
        out = subprocess.PIPE if capture else fh
        return subprocess.run([sys.executable, "-m", "aerena.cli", *args], stdout=out,
                              stderr=fh, text=True, cwd=ROOT)  # fmt: skip


def run_cell(task: str, algo: str, seed: int, overrides: dict[str, Any], cell: Path,
             episodes: int) -> dict[str, Any]:  # fmt: skip
    """Train (or resume, or only evaluate) one cell, evaluate it, write its cell.json."""
    cell.mkdir(parents=True, exist_ok=True)
    log = cell / "cell.log"
    state = cell_state(cell)
    t0 = time.perf_counter()
    sets = [x for k, v in overrides.items() for x in ("--set", f"{k}={json.dumps(v)}")]
    if state == "start":
        for stale in (p for p in cell.iterdir() if p.is_dir()):
            shutil.rmtree(stale)  # a run that stopped before its first checkpoint
        recipe = str(RECIPES / TASKS[task].recipe)
        cmd = ["train", recipe, "--runs-dir", str(cell), "--no-live", *sets]
    else:
        # --set with --resume: the run goes on under this cell's overrides (e.g. a longer
        # --time-s); a cell folder is one algorithm and seed, so those never change
        cmd = ["train", "--resume", str(find_run(cell)), "--no-live", *sets]
    if state != "evaluate":
        done = _aerena(cmd, log)
        if done.returncode != 0:
            raise UserError(f"aerena train exited with {done.returncode} (see {log})")
    run = find_run(cell)
    assert run is not None
    reports = []
    for extra in ([], ["--sample"]):  # greedy, then sampled: a per-step policy may act by
        # rates (fire with a small probability each second) that greedy play never takes
        ev = ["evaluate", str(run), "--episodes", str(episodes), "--seed", str(EVAL_SEED),
              "--json", *extra]  # fmt: skip
        done = _aerena(ev, log, capture=True)
        if done.returncode != 0:
            raise UserError(f"aerena evaluate exited with {done.returncode} (see {log})")
        reports.append(json.loads(done.stdout.strip().splitlines()[-1]))
    res = cell_result(task, algo, seed, overrides, run, reports[0], time.perf_counter() - t0,
                      sampled=reports[1])  # fmt: skip
    atomic_write_text(cell / CELL_FILE, json.dumps(res, indent=1))
    return res


def stored_cell(cell: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """A done cell's record; an error if it was run with other overrides."""
    res = json.loads((cell / CELL_FILE).read_text(encoding="utf-8"))
    if res.get("overrides") != json.loads(json.dumps(overrides)):
        raise UserError(
            f"{cell / CELL_FILE} was run with {res.get('overrides')}, not {overrides}: "
            "remove the cell folder or give another --runs-dir"
        )
    return res


# ======================================================================================
# Aggregation: table rows and mean curves (pure)
# ======================================================================================
def interval(x: Sequence[float]) -> dict[str, Any]:
    """{mean, ci95}: the mean of `x` and its Student t 95 % interval (NaN below 2 values)."""
    a = np.asarray(x, dtype=np.float64)
    if a.size == 0:
        return {"mean": math.nan, "ci95": [math.nan, math.nan]}
    return {"mean": float(a.mean()), "ci95": [float(v) for v in t_interval(a)]}


def table_rows(cells: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (task, algorithm), in the order the cells first appear."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for c in cells:
        groups.setdefault((c["task"], c["algo"]), []).append(c)
    rows = []
    for (task, algo), cs in groups.items():
        cs = sorted(cs, key=lambda c: c["seed"])
        per_seed = [c["learned"][SCORE]["mean"] for c in cs]
        sampled = [c["sampled"][SCORE]["mean"] for c in cs if c.get("sampled")]
        rows.append({
            "task": task, "algo": algo, "seeds": [c["seed"] for c in cs],
            "score": interval(per_seed), "per_seed": per_seed,
            "sampled": interval(sampled), "sampled_seeds": len(sampled),
            "per_seed_ci95": [c["learned"][SCORE]["ci95"] for c in cs],
            "rl_s": float(np.mean([c["rl_s"] for c in cs])),
            "env_steps": float(np.mean([c["env_steps"] for c in cs])),
            "iterations": float(np.mean([c["iterations"] for c in cs])),
            "scripted": cs[0]["scripted"][SCORE], "side": cs[0]["side"],
            "episodes": cs[0]["episodes"],
        })  # fmt: skip
    return rows


NA = {"mean": math.nan, "ci95": [math.nan, math.nan]}  # a row of cells run before sampling


def _score(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.3f}"


def _ci(entry: dict[str, Any]) -> str:
    lo, hi = entry["ci95"]
    if math.isnan(lo):
        return _score(entry["mean"])
    return f"{_score(entry['mean'])} [{_score(lo)}, {_score(hi)}]"


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """The table: score over seeds, per-seed scores, scripted reference, wall, steps."""
    head = (
        "| task | algorithm | seeds | asset value saved, mean [95% CI over seeds] | per seed "
        "| sampled | scripted, same episodes | RL wall (s) | env steps | iterations |"
    )
    lines = [head, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        label = TASKS[r["task"]].label if r["task"] in TASKS else r["task"]
        lines.append(
            f"| {label} | {r['algo']} | {len(r['seeds'])} | {_ci(r['score'])} | "
            f"{', '.join(_score(v) for v in r['per_seed'])} | {_ci(r.get('sampled', NA))} | "
            f"{_ci(r['scripted'])} | "
            f"{r['rl_s']:.0f} | {fmt(round(r['env_steps']))} | {fmt(r['iterations'], 1)} |"
        )
    return "\n".join(lines) + "\n"


def mean_curve(curves: Sequence[Sequence[Sequence[float]]], points: int = 100
               ) -> tuple[np.ndarray, ...]:  # fmt: skip
    """(x, mean, low, high, runs) of runs' curves ([[x, y], ...], x increasing) of
    different lengths, on `points` env-step values from the first x of any run to the last:
    at each x the runs whose range covers it, linearly interpolated; low / high their
    range, `runs` how many they are."""
    cs = [np.asarray(c, dtype=np.float64).reshape(-1, 2) for c in curves if len(c)]
    if not cs:
        return tuple(np.zeros(0) for _ in range(5))
    x = np.linspace(min(c[0, 0] for c in cs), max(c[-1, 0] for c in cs), points)
    ys = np.full((len(cs), points), np.nan)
    for i, c in enumerate(cs):
        cover = (x >= c[0, 0]) & (x <= c[-1, 0])
        ys[i, cover] = np.interp(x[cover], c[:, 0], c[:, 1])
    n = np.sum(~np.isnan(ys), axis=0)
    with np.errstate(invalid="ignore"):  # no run at a grid point between runs' ranges
        return x, np.nanmean(ys, axis=0), np.nanmin(ys, axis=0), np.nanmax(ys, axis=0), n


def plot_task(task: str, cells: Sequence[dict[str, Any]], path: Path) -> Path | None:
    """One PNG: per algorithm the mean curve over seeds with its band; scripted dashed."""
    cells = [c for c in cells if c["task"] == task and c["curve"]]
    if not cells:
        return None
    import matplotlib  # heavy, and only for the figures

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for algo in dict.fromkeys(c["algo"] for c in cells):
        runs = [c["curve"] for c in cells if c["algo"] == algo]
        x, m, lo, hi, n = mean_curve(runs)
        every = n == len(runs)  # dotted beyond the shortest run: fewer seeds there
        (line,) = ax.plot(x, np.where(every, m, np.nan), label=f"{algo} ({len(runs)} seeds)")
        tail = n < len(runs)
        tail[:-1] |= tail[1:]  # joined to the solid part
        ax.plot(x, np.where(tail, m, np.nan), ":", color=line.get_color())
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    ref = cells[0]["scripted"][SCORE]["mean"]
    label = f"scripted {cells[0]['side']} ({cells[0]['episodes']} eval episodes)"
    ax.axhline(ref, color="k", linestyle="--", linewidth=1, label=label)
    ax.set_xlabel("env steps")
    ax.set_ylabel("asset value saved (training episodes)")
    ax.set_title(
        f"{TASKS[task].label}: mean over seeds, band: their range "
        "(dotted: not every seed ran that far)",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=100))
    plt.close(fig)
    return path


# ======================================================================================
# The command
# ======================================================================================
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", nargs="+", default=list(TASKS), metavar="TASK",
                    help=f"of {', '.join(TASKS)} (default: all)")  # fmt: skip
    ap.add_argument("--algos", nargs="+", default=list(ALGORITHMS), metavar="ALGO",
                    help=f"of {', '.join(ALGORITHMS)} (default: all)")  # fmt: skip
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], metavar="K")
    ap.add_argument("--time-s", type=float, default=None, metavar="T",
                    help="training wall s per cell, the only stop (default: recipe)")  # fmt: skip
    ap.add_argument("--episodes", type=int, default=200, help="evaluation episodes per cell")
    ap.add_argument("--runs-dir", default="runs/baseline_table", metavar="DIR",
                    help="cell folders: DIR/TASK/ALGO/seedK")  # fmt: skip
    ap.add_argument("--out", default="benchmarks/results/baseline_table.json", metavar="PATH")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="an experiment field for every cell (e.g. stop.iterations=2)")  # fmt: skip
    return ap.parse_args(argv)


def check_args(args: argparse.Namespace) -> dict[str, Any]:
    """Bad input as one UserError before anything runs; the `--set` overrides."""
    bad = [t for t in args.tasks if t not in TASKS]
    if bad:
        raise UserError(f"unknown task {bad[0]!r} (tasks: {', '.join(TASKS)})")
    args.algos = [a.upper() for a in args.algos]
    bad = [a for a in args.algos if a not in ALGORITHMS]
    if bad:
        raise UserError(f"unknown algorithm {bad[0]!r} (algorithms: {', '.join(ALGORITHMS)})")
    if args.time_s is not None and not args.time_s > 0:
        raise UserError(f"--time-s must be > 0, got {args.time_s:g}")
    if args.episodes < 1 or min(args.seeds) < 0:
        raise UserError("--episodes must be >= 1 and --seeds >= 0")
    extra = parse_set_options(args.overrides)
    for key in ("algorithm.name", "seed"):
        if key in extra:
            raise UserError(f"--set {key}: a cell's {key} comes from --algos / --seeds")
    return extra


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.time()
    try:
        extra = check_args(args)
        plan, skipped = [], []
        for task in dict.fromkeys(args.tasks):
            recipe = RECIPES / TASKS[task].recipe
            if not recipe.is_file():
                skipped.append({"task": task, "reason": f"no recipe {recipe.relative_to(ROOT)}"})
                print(f"skip {task}: no recipe {recipe.relative_to(ROOT)}", flush=True)
                continue
            for algo in dict.fromkeys(args.algos):
                for seed in dict.fromkeys(args.seeds):
                    ov = cell_overrides(recipe, algo, seed, args.time_s, extra)
                    load_experiment(recipe, ov)  # a bad override fails here, before training
                    cell = cell_dir(Path(args.runs_dir).resolve(), task, algo, seed)
                    if cell_state(cell) == "done":
                        stored_cell(cell, ov)
                    plan.append((task, algo, seed, ov, cell))
    except UserError as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2

    cells, failed = [], []
    for task, algo, seed, ov, cell in plan:
        name = f"{task}/{algo}/seed{seed}"
        state = cell_state(cell)
        if state == "done":
            res = stored_cell(cell, ov)
            print(f"{name}: done before", flush=True)
        else:
            print(f"{name}: {state} ...", flush=True)
            try:
                res = run_cell(task, algo, seed, ov, cell, args.episodes)
            except UserError as exc:
                failed.append({"task": task, "algo": algo, "seed": seed, "error": str(exc)})
                print(f"{name}: failed: {exc}", flush=True)
                continue
        cells.append(res)
        print(f"{name}: saved {_ci(res['learned'][SCORE])} (scripted "
              f"{fmt(res['scripted'][SCORE]['mean'])}), {fmt(res['env_steps'])} env steps, "
              f"{res['rl_s']:.0f} s RL", flush=True)  # fmt: skip

    rows = table_rows(cells)
    table = markdown_table(rows)
    out = Path(args.out)
    record = {
        "benchmark": "baseline_table", "schema_version": SCHEMA_VERSION,
        "header": {"timestamp": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                   "episodes": args.episodes, "eval_seed": EVAL_SEED, "time_s": args.time_s,
                   "overrides": extra, "loadavg": list(os.getloadavg()),
                   "cpu_count": os.cpu_count(), "seconds": time.time() - t_start},
        "skipped": skipped, "cells": cells, "failed": failed, "rows": rows,
    }  # fmt: skip
    atomic_write_text(out, json.dumps(record, indent=1))
    atomic_write_text(out.with_suffix(".md"), table)
    for task in dict.fromkeys(c["task"] for c in cells):
        plot_task(task, cells, out.with_name(f"{out.stem}_{task}.png"))
    print()
    print(table, end="")
    print(f"\nwritten: {out} (+ .md, per-task PNGs)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
