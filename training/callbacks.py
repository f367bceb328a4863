"""RLlib callbacks: per-episode game results from the env into the training metrics.

At each episode's end the :class:`~aerena.training.side_env.SideEnv` that played it holds
`last_episode` (the World's outcome and both sides' team returns). These are logged as
per-iteration sums under ``env_runners/aerena/...``; the training loop divides them by
``episodes`` to get means and rates (:func:`episode_stats`).
"""

from __future__ import annotations

from typing import Any

from ray.rllib.callbacks.callbacks import RLlibCallback

SUMS = (
    "episodes",
    "attacker_wins",
    "return_attacker",
    "return_defender",
    "asset_value_saved",
    "leakers",
    "kills",
    "interceptors_used",
    "uavs_lost_total",
    "steps",
)


def _side_env(env: Any, env_index: int) -> Any:
    """The SideEnv of sub-env `env_index` of RLlib's vector env (or None)."""
    envs = getattr(env, "envs", None)
    sub = envs[env_index] if envs is not None else env
    for _ in range(8):
        if hasattr(sub, "last_episode"):
            return sub
        nxt = getattr(sub, "env", None) or getattr(sub, "unwrapped", None)
        if nxt is None or nxt is sub:
            return None
        sub = nxt
    return None


class GameMetricsCallback(RLlibCallback):
    """Logs each finished episode's outcome (sums per iteration, see the module docstring)."""

    def on_episode_end(
        self,
        *,
        episode: Any,
        env_runner: Any = None,
        metrics_logger: Any = None,
        env: Any = None,
        env_index: int = 0,
        **kwargs: Any,
    ) -> None:
        if metrics_logger is None or env is None:
            return
        side_env = _side_env(env, env_index)
        last = getattr(side_env, "last_episode", None)
        if not last:
            return
        values = {
            "episodes": 1.0,
            "attacker_wins": 1.0 if last["winner"] == "attacker" else 0.0,
            **{k: float(last[k]) for k in SUMS[2:]},
        }
        for key, value in values.items():
            metrics_logger.log_value(("aerena", key), value, reduce="sum")


def episode_stats(sums: dict[str, Any], learn: str) -> dict[str, float]:
    """Means and rates from one iteration's sums (NaN when no episode ended)."""
    n = float(sums.get("episodes", 0.0) or 0.0)
    nan = float("nan")

    def mean(key: str) -> float:
        return float(sums.get(key, 0.0)) / n if n else nan

    att_win = mean("attacker_wins")
    out = {
        "episodes": n,
        "attacker_win_rate": att_win,
        "return_attacker": mean("return_attacker"),
        "return_defender": mean("return_defender"),
        "asset_value_saved": mean("asset_value_saved"),
        "leakers": mean("leakers"),
        "kills": mean("kills"),
        "interceptors_used": mean("interceptors_used"),
        "uavs_lost": mean("uavs_lost_total"),
        "episode_len": mean("steps"),
    }
    defender = learn == "defender"
    out["win_rate"] = (1.0 - att_win) if defender and n else att_win
    out["return_mean"] = out["return_defender"] if defender else out["return_attacker"]
    return out
