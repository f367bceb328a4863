"""Training progress: one record per iteration, a live rich view, and `curves.png`.

A record (one JSON line of `progress.jsonl` in the run folder) holds::

    iteration, env_steps, time_s (training wall time, totals over resumes), steps_per_s,
    episodes, win_rate, attacker_win_rate, return_attacker, return_defender, return_mean,
    episode_return_mean, asset_value_saved, leakers, kills, interceptors_used, uavs_lost,
    episode_len, entropy/<module>, vf_explained_var/<module>

Rates and means are over the episodes that ended in that iteration (NaN -- `null` in the
file -- when none did). :class:`ProgressView` shows the latest record and the estimated
time left in a `rich.live.Live` panel on a terminal, and one plain line per iteration
otherwise. :func:`plot_curves` draws returns and win rate against env steps;
:func:`run_times` reads a run folder's training wall times.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from aerena.errors import UserError


def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def fmt(x: Any, digits: int = 3) -> str:
    v = _num(x)
    if math.isnan(v):
        return "-"
    if float(v).is_integer() and abs(v) < 1e12:
        return f"{int(v):,}"
    return f"{v:.{digits}f}"


def fmt_time(seconds: float) -> str:
    if seconds is None or math.isnan(seconds) or math.isinf(seconds):
        return "-"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def time_left(record: dict[str, Any], stop: Any) -> float:
    """Seconds until the first of the stop criteria is met, at the current pace."""
    it, steps, t = record["iteration"], record["env_steps"], record["time_s"]
    est = []
    if it > 0 and stop.iterations is not None:
        est.append(max(stop.iterations - it, 0) * t / it)
    if steps > 0 and stop.env_steps is not None:
        est.append(max(stop.env_steps - steps, 0) * t / steps)
    if stop.time_s is not None:
        est.append(max(stop.time_s - t, 0.0))
    return min(est) if est else math.nan


def record_line(record: dict[str, Any]) -> str:
    """One `progress.jsonl` line (NaN written as null)."""
    clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
    return json.dumps(clean) + "\n"


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Append one record; flushed to disk, so a killed run keeps every finished line."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(record_line(record))
        f.flush()
        os.fsync(f.fileno())


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of `progress.jsonl`; a torn last line (a run killed while writing it)
    is skipped, a bad line before it is an error naming the line."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict) or "iteration" not in rec:
                raise ValueError("not a progress record")
        except ValueError:
            if i == len(lines) - 1:
                break
            raise UserError(f"{path}:{i + 1}: not a progress record") from None
        out.append({k: (math.nan if v is None else v) for k, v in rec.items()})
    return out


def run_times(run_dir: str | Path) -> dict[str, float]:
    """Wall seconds of a run folder's RL stage (``summary.json``; the last progress record
    of a run stopped from outside; NaN without either) and of its behaviour-cloning stage
    (``imitation.json``: collection + fits; 0 without one)."""
    run = Path(run_dir)
    out = {"rl_s": math.nan, "imitation_s": 0.0}
    summary = run / "summary.json"
    if summary.is_file():
        out["rl_s"] = float(json.loads(summary.read_text(encoding="utf-8"))["time_s"])
    elif records := read_records(run / "progress.jsonl"):
        out["rl_s"] = float(records[-1]["time_s"])
    imit = run / "imitation.json"
    if imit.is_file():
        rep = json.loads(imit.read_text(encoding="utf-8"))
        out["imitation_s"] = float(rep["collect_time_s"]) + sum(
            float(r["fit_time_s"]) for r in rep["roles"].values()
        )
    return out


class ProgressView:
    """Live view of training progress (a context manager)."""

    def __init__(
        self, title: str, stop: Any, *, live: bool | None = None, file: Any = None
    ) -> None:
        self.title = title
        self.stop = stop
        self.file = file if file is not None else sys.stdout
        self.console = Console(file=self.file, highlight=False)
        self.live_mode = self.console.is_terminal if live is None else live
        self._live: Live | None = None
        self.last: dict[str, Any] | None = None

    def __enter__(self) -> ProgressView:
        if self.live_mode:
            self._live = Live(self._render(), console=self.console, refresh_per_second=4)
            self._live.__enter__()
        else:
            self.console.print(self.title, soft_wrap=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def update(self, record: dict[str, Any]) -> None:
        self.last = record
        if self._live is not None:
            self._live.update(self._render())
        else:
            r = record
            self.console.print(
                f"iter {r['iteration']:>4}  env steps {fmt(r['env_steps']):>10}  "
                f"{fmt(r['steps_per_s'], 0):>6} steps/s  "
                f"return att {fmt(r['return_attacker'])} def {fmt(r['return_defender'])}  "
                f"win {fmt(r['win_rate'], 2)}  ({fmt(r['episodes'])} episodes)  "
                f"left {fmt_time(time_left(r, self.stop))}",
                soft_wrap=True,
            )

    def _render(self) -> Group:
        """The title on its own line (cut to the terminal, never wrapped), then the table."""
        return Group(Text(self.title, no_wrap=True, overflow="ellipsis"), self._table())

    def _table(self) -> Table:
        table = Table(show_header=False, min_width=50)
        table.add_column("what", style="bold")
        table.add_column("value", justify="right")
        r = self.last
        if r is None:
            table.add_row("status", "building the algorithm ...")
            return table
        table.add_row("iteration", fmt(r["iteration"]))
        table.add_row("env steps", fmt(r["env_steps"]))
        table.add_row("steps / s", fmt(r["steps_per_s"], 1))
        table.add_row("episodes (this iteration)", fmt(r["episodes"]))
        table.add_row("return attacker", fmt(r["return_attacker"]))
        table.add_row("return defender", fmt(r["return_defender"]))
        table.add_row("win rate (learning side)", fmt(r["win_rate"], 2))
        table.add_row("leakers / kills", f"{fmt(r['leakers'], 2)} / {fmt(r['kills'], 2)}")
        for key in sorted(k for k in r if k.startswith("entropy/")):
            module = key.split("/", 1)[1]
            ev = r.get(f"vf_explained_var/{module}")
            table.add_row(f"{module}: entropy / vf expl. var", f"{fmt(r[key])} / {fmt(ev)}")
        table.add_row("elapsed", fmt_time(r["time_s"]))
        table.add_row("time left", fmt_time(time_left(r, self.stop)))
        return table


def recent_metric(records: list[dict[str, Any]], metric: str, min_episodes: int) -> float:
    """`metric` averaged (episode-weighted) over the latest records holding at least
    `min_episodes` episodes; NaN while there are fewer episodes in all."""
    total, acc = 0.0, 0.0
    for r in reversed(records):
        n = float(r.get("episodes") or 0.0)
        v = float(r.get(metric, math.nan))
        if n <= 0 or math.isnan(v):
            continue
        total += n
        acc += n * v
        if total >= min_episodes:
            return acc / total
    return math.nan


def target_reached(records: list[dict[str, Any]], target: Any) -> float | None:
    """The metric's recent value if a `TargetSpec` (metric, value, mode, min_episodes)
    is reached over `records`, else None."""
    v = recent_metric(records, target.metric, target.min_episodes)
    hit = v >= target.value if target.mode == "max" else v <= target.value
    return None if math.isnan(v) or not hit else v


def plot_curves(records: Sequence[dict[str, Any]], path: Path, title: str = "") -> Path | None:
    """Returns of both sides and the learning side's win rate against env steps."""
    if not records:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["env_steps"] for r in records]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for key, label in (("return_attacker", "attacker"), ("return_defender", "defender")):
        ax1.plot(x, [_num(r.get(key)) for r in records], marker=".", label=label)
    ax1.set_ylabel("team return / episode")
    ax1.legend(loc="best")
    ax1.grid(alpha=0.3)
    ax2.plot(x, [_num(r.get("win_rate")) for r in records], marker=".", color="tab:green")
    ax2.set_ylabel("win rate (learning side)")
    ax2.set_ylim(-0.05, 1.05)
    ax2.set_xlabel("env steps")
    ax2.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
    return path
