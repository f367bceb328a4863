"""Parity and latency of a world policy's ONNX model against its torch module (the checks
:mod:`aerena.agents.onnx_export` runs through the one export pipeline; the rule is in its
module docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aerena.agents.export_pipeline import (
    ATOL,
    INT8_AGREEMENT,
    OUTPUTS,
    latency_rows,
    logit_stats,
    one_thread,
    session,
)


def feeds(obs: tuple[np.ndarray, ...]) -> dict[str, np.ndarray]:
    s, e, m, a = obs
    return {
        "self": np.ascontiguousarray(s, np.float32),
        "entities": np.ascontiguousarray(e, np.float32),
        "entity_mask": np.ascontiguousarray(m != 0),
        "action_mask": np.ascontiguousarray(a != 0),
    }


def torch_logits(module: Any, obs: tuple[np.ndarray, ...]) -> np.ndarray:
    """Masked logits of the module's `forward_inference` on recorded observations."""
    from ray.rllib.core.columns import Columns

    f = feeds(obs)
    batch = {Columns.OBS: {k: torch.from_numpy(v) for k, v in f.items()}}
    with torch.no_grad():
        return module.forward_inference(batch)[Columns.ACTION_DIST_INPUTS].numpy()


@dataclass
class Parity:
    role: str
    n: int
    max_abs_diff: float  # over legal actions
    masked_equal: bool  # illegal logits bit-identical
    action_agreement: float

    def ok(self, int8: bool) -> bool:
        if int8:
            return self.action_agreement >= INT8_AGREEMENT
        return self.max_abs_diff <= ATOL and self.masked_equal and self.action_agreement == 1.0

    def describe(self) -> str:
        return (
            f"{self.role}: {self.n} observations, max |dlogit| {self.max_abs_diff:.3g} "
            f"(legal actions), masked equal {self.masked_equal}, "
            f"greedy agreement {100 * self.action_agreement:.2f}%"
        )


def parity(module: Any, path: str | Path, obs: tuple[np.ndarray, ...], role: str = "") -> Parity:
    """Compare onnxruntime (`path`) against torch on recorded observations."""
    ref = torch_logits(module, obs)
    got, act = session(path).run(list(OUTPUTS), feeds(obs))
    st = logit_stats(ref, got, act)
    return Parity(role, len(ref), st.max_abs_diff, st.masked_equal, float(np.mean(st.same)))


def latency(
    module: Any, paths: dict[str, Path], obs: tuple[np.ndarray, ...], calls: int = 1000
) -> dict[str, dict[str, float]]:
    """Batch-1 latency (ms, median and p99 over `calls`) on one thread; model sizes."""
    from ray.rllib.core.columns import Columns  # ray stays lazy (an optional extra)

    rows = [feeds(tuple(x[i : i + 1] for x in obs)) for i in range(min(calls, len(obs[0])))]
    with one_thread():
        batches = [{Columns.OBS: {k: torch.from_numpy(v) for k, v in f.items()}} for f in rows]
        return latency_rows(
            lambda b: module.forward_inference(b)[Columns.ACTION_DIST_INPUTS].argmax(dim=-1),
            batches,
            list(module.parameters()),
            paths,
            lambda sess: rows,
            calls=calls,
        )
