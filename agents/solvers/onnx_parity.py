"""Parity of an exported graph policy: onnxruntime against torch per size group.

fp32 needs bit-identical masked logits, the same greedy actions (where torch's two best
legal logits are within 1e-5 of each other -- a tie -- the model's action must be one of the
tied best) and max |logit difference| <= 1e-5 over legal actions -- or, when torch's own
float32 result is further than that from exact arithmetic, onnxruntime no further from the
float64 torch forward than twice torch's float32 error (`ref_error` = max |torch fp32 -
torch fp64|, `ort_error` = max |onnxruntime - torch fp64|). A trained 3-layer attention net
with logits clipped to +-10 is only accurate to ~3e-5 in float32 (the pre-tanh scores carry
~1e-5 and the clip multiplies by up to 10; torch batch-1 and batched forwards differ by as
much), so no float32 runtime can match torch's rounding to 1e-5; small and untrained nets
are held to the plain 1e-5. int8 needs >= 99 % greedy agreement, picking one of torch's tied
best actions (within 1e-5: node-selection policies meet many equally good nodes) counting as
agreeing. The statistics common to every policy kind are
:func:`aerena.agents.export_pipeline.logit_stats`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aerena.agents.export_pipeline import (
    ATOL,
    INT8_AGREEMENT,
    LATENCY_CALLS,
    OUTPUTS,
    latency_rows,
    logit_stats,
    one_thread,
    session,
)
from aerena.agents.solvers.base import GraphPolicyNet
from aerena.agents.solvers.onnx_problems import Group, record_observations


def feeds(net: GraphPolicyNet, group: Group, sess: Any) -> dict[str, np.ndarray]:
    """The session's inputs (the obs keys the model kept) from a group."""
    names = {i.name for i in sess.get_inputs()}
    return {
        k: np.ascontiguousarray(v)
        for k, v in zip(net.obs_keys, _arrays(net, group), strict=True)
        if k in names
    }


def _arrays(net: GraphPolicyNet, group: Group) -> list[np.ndarray]:
    return [t.numpy() for t in net.obs_tensors(group, batched=True)]


def torch_logits(net: GraphPolicyNet, group: Group) -> np.ndarray:
    with torch.no_grad():
        return net(*net.obs_tensors(group, batched=True)).numpy()


# --------------------------------------------------------------------------------------
# Parity
# --------------------------------------------------------------------------------------
@dataclass
class GraphParity:
    label: str  # e.g. "tsp fp32 n=20"
    n: int
    max_abs_diff: float  # over legal actions
    masked_equal: bool  # illegal logits bit-identical
    action_agreement: float  # identical greedy actions
    ties: int  # rows whose two best legal torch logits are within ATOL
    tie_ok: bool  # on the tie rows the model picked one of the tied best
    ref_error: float = 0.0  # max |torch fp32 - torch fp64| over legal actions
    tolerance: float = ATOL  # max(ATOL, 2 * ref_error)
    ort_error: float = float("inf")  # max |onnxruntime - torch fp64| over legal actions
    tie_agreement: float = 0.0  # same action, or one of torch's tied best (within ATOL)

    def ok(self, int8: bool) -> bool:
        if int8:
            return self.tie_agreement >= INT8_AGREEMENT
        agree_ok = self.action_agreement == 1.0 or (
            self.tie_ok and self.action_agreement * self.n >= self.n - self.ties - 1e-9
        )
        close = self.max_abs_diff <= ATOL or self.ort_error <= self.tolerance
        return close and self.masked_equal and agree_ok

    def describe(self) -> str:
        tie = (
            f", {self.ties} near-ties ({100 * self.tie_agreement:.2f}% counting a tied best)"
            if self.ties
            else ""
        )
        wide = self.max_abs_diff > ATOL and "int8" not in self.label
        tol = (
            f" (vs float64 torch: onnxruntime {self.ort_error:.3g}, torch fp32 "
            f"{self.ref_error:.3g}, tolerance {self.tolerance:.3g})"
            if wide
            else ""
        )
        return (
            f"{self.label}: {self.n} observations, max |dlogit| {self.max_abs_diff:.3g}{tol} "
            f"(legal actions), masked equal {self.masked_equal}, "
            f"greedy agreement {100 * self.action_agreement:.2f}%{tie}"
        )


def reference_logits64(net: GraphPolicyNet, group: Group) -> np.ndarray | None:
    """The net's logits computed in float64 (None if the net cannot run in float64)."""
    import copy

    try:
        net64 = copy.deepcopy(net).double()
        x = [t.double() if t.is_floating_point() else t for t in net.obs_tensors(group, True)]
        with torch.no_grad():
            return net64(*x).numpy()
    except Exception:  # a net with float32 constants in its forward
        return None


def parity(
    net: GraphPolicyNet, path: str | Path, groups: Mapping[int, Group], label: str = ""
) -> list[GraphParity]:
    """onnxruntime (`path`) against torch, one entry per size group and a total (last)."""
    sess = session(path)
    rows: list[GraphParity] = []
    for size, group in groups.items():
        ref = torch_logits(net, group)
        got, act = sess.run(list(OUTPUTS), feeds(net, group, sess))
        st = logit_stats(ref, got, act)
        legal = st.legal
        ref64 = reference_logits64(net, group)
        if ref64 is None or not legal.any():
            ref_err, ort_err = 0.0, float("inf")
        else:
            ref_err = float(np.abs(ref64 - ref.astype(np.float64))[legal].max())
            ort_err = float(np.abs(ref64 - got.astype(np.float64))[legal].max())
        rows.append(
            GraphParity(f"{label} n={size}".strip(), len(ref), st.max_abs_diff, st.masked_equal,
                        float(st.same.mean()), int(st.ties.sum()), bool(np.all(st.agree_or_tied)),
                        ref_err, max(ATOL, 2 * ref_err), ort_err, float(st.agree_or_tied.mean()))
        )  # fmt: skip
    n = sum(r.n for r in rows)
    rows.append(
        GraphParity(
            f"{label} all sizes".strip(),
            n,
            max(r.max_abs_diff for r in rows),
            all(r.masked_equal for r in rows),
            sum(r.action_agreement * r.n for r in rows) / n,
            sum(r.ties for r in rows),
            all(r.tie_ok for r in rows),
            max(r.ref_error for r in rows),
            max(r.tolerance for r in rows),  # the groups are checked one by one
            max(r.ort_error for r in rows),
            sum(r.tie_agreement * r.n for r in rows) / n,
        )
    )
    return rows


# --------------------------------------------------------------------------------------
# Latency (batch-1, one thread; the report of the export)
# --------------------------------------------------------------------------------------
def latency_report(
    net: GraphPolicyNet,
    paths: Mapping[str, Path],
    sizes: Sequence[int],
    *,
    calls: int = LATENCY_CALLS,
    seed: int = 0,
    warmup: int = 50,
) -> dict[str, dict[str, dict[str, float]]]:
    """ "n=<size>" -> runtime -> {median_ms, p99_ms, size_bytes}: batch-1 one-thread latency
    of torch eager (forward + argmax) and of each ONNX file in `paths`."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    with one_thread():
        for size in sizes:
            group = record_observations(net, count=256, sizes=(size,), seed=seed)[int(size)]
            m = len(next(iter(group.values())))
            singles = [{k: v[i : i + 1] for k, v in group.items()} for i in range(m)]
            out[f"n={size}"] = latency_rows(
                lambda x: net(*x).argmax(dim=-1),
                [net.obs_tensors(s, batched=True) for s in singles],
                list(net.parameters()),
                paths,
                lambda sess, singles=singles: [feeds(net, s, sess) for s in singles],
                calls=calls,
                warmup=warmup,
            )
    return out
