"""ONNX export of learned graph policies, with a parity check and a latency report.

    aerena export graphs/models/tsp20.pt --out tsp20.onnx --int8 --report

    from aerena.agents.solvers.onnx import export_graph_policy
    res = export_graph_policy(net, "tsp20.onnx", meta=checkpoint_meta)

What is exported: the net's forward (:class:`~aerena.agents.solvers.base.GraphPolicyNet`),
wrapped by :class:`GreedyPolicy` into a tensor-in / tensor-out module:

* inputs: the env observation arrays named by ``net.obs_keys``, in that order, batch
  first, dtypes as the env gives them (float32 features, int8 masks, int64 indices);
* outputs: ``logits`` [B, A] float32 (masked: illegal actions hold the most negative
  finite float32, exactly as in torch) and ``action`` [B] int64 (the greedy action, the
  first maximum of the masked logits).

Every input axis named in ``net.dynamic_axes`` (the batch axis and the node / edge /
set / item axes) is a dynamic ONNX axis, and so are the output batch axis and the action
axis (named after the action mask's axis), so one model serves every graph size. The
exporter is torch's TorchScript-based one (``dynamo=False``); every node is in the
standard domain and ``onnx.checker.check_model(..., full_check=True)`` passes
(:func:`aerena.agents.export_pipeline.check_model`). The steps are those of the one export
pipeline (:mod:`aerena.agents.export_pipeline`); :class:`GraphAdapter` is its adapter
for graph policies (routing, node, WTA and IM nets alike: each is a `GraphPolicyNet`); the
per-problem parts (envs, sizes, recorded observations) are
:mod:`aerena.agents.solvers.onnx_problems` and the parity rule
:mod:`aerena.agents.solvers.onnx_parity`.

``metadata_props``: ``aerena_version``, ``problem``, ``env_id``, ``net_class``,
``net_config`` (JSON), ``observation_layout`` (JSON: ``input_order`` and, per input, its
dtype and its shape with axis names, e.g. ``["batch", "nodes", 2]``; the outputs alike),
``action_meaning`` (e.g. ``"node index; last = stop"``) and ``training_meta`` (JSON, the
checkpoint's `meta`). :class:`aerena.deploy.GraphOnnxPolicy` reads them.

Parity (:func:`~aerena.agents.solvers.onnx_parity.parity`, the rule in
:mod:`aerena.agents.solvers.onnx_parity`): observations are recorded from real env
episodes of the problem (:func:`~aerena.agents.solvers.onnx_problems.record_observations`:
the net's own sampled actions, instance sizes :data:`PARITY_SIZES` to exercise the dynamic
axes; one group per size, since padded observations of different sizes do not stack) and
onnxruntime is compared with torch per group. int8 (:func:`quantize_mixed`: onnxruntime's
dynamic quantisation, else weight-only int8, else dynamic with the weight nodes of the
largest measured logit error kept fp32 -- each node's error measured with that node alone
quantised, mean squared over legal actions -- one more at a time until the agreement on a
separate calibration set of 1024 recorded observations, other episodes than the parity
ones, clears 99.5%) needs >= 99 % greedy agreement over all the parity observations. A
failed check raises `UserError` and leaves nothing behind: the model is written to a
temporary folder beside the target and renamed only after every check passed.

Latency (:func:`~aerena.agents.solvers.onnx_parity.latency_report`): batch-1, one thread,
median and p99 over 1000 calls of torch eager, onnxruntime fp32 and int8, on recorded
observations of each report size (routing: the trained size and 100 nodes), with the model
sizes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor

from aerena.agents.export_pipeline import (
    DEFAULT_OPSET,
    INT8_AGREEMENT,
    LATENCY_CALLS,
    OUTPUTS,
    GreedyWrapper,
    commit,
    export_checked,
    export_onnx,
    logit_stats,
    quantize_search,
    read_metadata,
    session,
    staging,
    weight_nodes,
)
from aerena.agents.solvers.base import GraphPolicyNet
from aerena.agents.solvers.onnx_meta import dynamic_axes, example_inputs, metadata
from aerena.agents.solvers.onnx_parity import (
    GraphParity,
    feeds,
    latency_report,
    parity,
    torch_logits,
)
from aerena.agents.solvers.onnx_problems import (
    ACTION_MEANING,
    ENV_IDS,
    PARITY_COUNT,
    PARITY_SIZES,
    Group,
    make_env,
    record_observations,
    report_sizes,
    torch_solve,
    trained_size,
)
from aerena.errors import UserError

MIXED_MARGIN = 0.005  # the calibration set must clear the bar by this much (its noise: ~0.3%)
CALIBRATION_COUNT = 1024
CALIBRATION_SEED = 50_000  # calibration episodes: other env seeds than the parity ones


# --------------------------------------------------------------------------------------
# The wrapper (axes, trace inputs and metadata: :mod:`aerena.agents.solvers.onnx_meta`)
# --------------------------------------------------------------------------------------
class GreedyPolicy(GreedyWrapper):
    """forward(*obs) -> (masked logits [B, A], greedy action [B] int64)."""

    def __init__(self, net: GraphPolicyNet) -> None:
        super().__init__()
        self.net = net

    def logits(self, *obs: Tensor) -> Tensor:
        return self.net(*obs)


# --------------------------------------------------------------------------------------
# int8 with the sensitive layers kept fp32
# --------------------------------------------------------------------------------------
def quantize_mixed(
    net: GraphPolicyNet, fp32: str | Path, q8: str | Path, calibration: Mapping[int, Group],
    target: float = INT8_AGREEMENT + MIXED_MARGIN,
) -> dict[str, Any]:  # fmt: skip
    """The first int8 model whose greedy agreement (ties counted) on the `calibration`
    observations reaches `target` (:func:`aerena.agents.export_pipeline.quantize_search`:
    dynamic, weight-only, then dynamic with the weight nodes of the largest measured logit
    error kept fp32). torch's logits are computed once; each try runs onnxruntime only.
    Writes `q8`; returns {"scheme", "fp32_nodes", "calibration_agreement",
    "calibration_mse", "weight_nodes", "sensitivity"}."""
    refs = {size: torch_logits(net, group) for size, group in calibration.items()}

    def measure(path: Path) -> tuple[float, float]:
        sess = session(path)
        agree, err = [], []
        for size, group in calibration.items():
            got, act = sess.run(list(OUTPUTS), feeds(net, group, sess))
            st = logit_stats(refs[size], got, act)
            agree.append(st.agree_or_tied)
            err.append((got.astype(np.float64) - refs[size])[st.legal] ** 2)
        e = np.concatenate(err)
        return float(np.concatenate(agree).mean()), float(e.mean()) if e.size else 0.0

    return quantize_search(fp32, q8, measure, target)


# --------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------
def _export_onnx(
    net: GraphPolicyNet, path: Path, *, opset: int, meta: Mapping[str, Any] | None
) -> None:
    args = example_inputs(net)
    export_onnx(
        GreedyPolicy(net),
        args,
        path,
        input_names=net.obs_keys,
        dynamic_axes=dynamic_axes(net),
        meta=lambda used: metadata(net, args, meta, used),
        opset=opset,
        quiet_tracer=True,
    )


@dataclass
class GraphAdapter:
    """The pipeline's adapter (:class:`aerena.agents.export_pipeline.Adapter`) of a graph
    policy: parity per size group (each group checked in fp32, the total in int8),
    :func:`quantize_mixed` on a calibration set, :func:`latency_report`."""

    net: GraphPolicyNet
    groups: Mapping[int, Group]
    opset: int
    meta: Mapping[str, Any] | None
    report_at: Sequence[int]
    seed: int

    def export(self, path: Path) -> None:
        _export_onnx(self.net, path, opset=self.opset, meta=self.meta)

    def parity(self, path: Path, int8: bool) -> tuple[list[GraphParity], list[GraphParity]]:
        rows = parity(
            self.net, path, self.groups, f"{self.net.problem} {'int8' if int8 else 'fp32'}"
        )
        return rows, (rows[-1:] if int8 else rows[:-1])

    def quantize(self, fp32: Path, q8: Path) -> dict[str, Any]:
        seed = self.seed + CALIBRATION_SEED
        calib = record_observations(self.net, count=CALIBRATION_COUNT, seed=seed)
        return quantize_mixed(self.net, fp32, q8, calib)

    def latency(self, paths: dict[str, Path]) -> dict[str, dict[str, dict[str, float]]]:
        return latency_report(self.net, paths, self.report_at, seed=self.seed)


def export_graph_policy(
    net: GraphPolicyNet,
    path: str | Path,
    *,
    opset: int = DEFAULT_OPSET,
    int8: bool = False,
    parity_obs: int | Mapping[int, Group] | None = None,
    meta: Mapping[str, Any] | None = None,
    report: bool = False,
    report_at: Sequence[int] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Export `net` to `path` (fp32, or int8 with `int8=True`) after the checks of the
    module docstring; returns {"file", "problem", "precision", "opset", "parity": [...],
    "report": {...}, "metadata": {...}}.

    `parity_obs`: the number of recorded observations (default 1024) or recorded groups
    (:func:`record_observations`). `meta`: the checkpoint's training meta (kept in the
    model). `report`: also measure latency (at `report_at` sizes, default the trained size
    from `meta`, and 100 nodes for routing).
    """
    if not isinstance(net, GraphPolicyNet) or not net.obs_keys:
        raise UserError(f"{type(net).__name__} is not a GraphPolicyNet with obs_keys")
    if net.problem not in ENV_IDS:
        raise UserError(f"no env for problem {net.problem!r}; known: {sorted(ENV_IDS)}")
    path = Path(path)
    if not path.parent.is_dir():
        raise UserError(f"--out {path}: the folder {path.parent} does not exist")
    net = net.eval()
    if isinstance(parity_obs, Mapping):
        groups = {int(k): dict(v) for k, v in parity_obs.items()}
    else:
        groups = record_observations(net, count=int(parity_obs or PARITY_COUNT), seed=seed)
    sizes = list(report_at or report_sizes(net.problem, trained_size(net.problem, meta)))
    adapter = GraphAdapter(net, groups, opset, meta, sizes, seed)
    with staging(path.parent) as folder:
        done = export_checked(adapter, folder, "model", int8=int8, report=report)
        meta_props = read_metadata(done.fp32)
        commit({done.path: path})
    results, rep, mixed = done.parity, done.report, done.int8_info
    return {
        "file": str(path),
        "problem": net.problem,
        "precision": "int8" if int8 else "fp32",
        "opset": opset,
        "parity": [asdict(p) for p in results],
        "report": rep,
        "int8_scheme": mixed.get("scheme"),
        "int8_fp32_nodes": mixed.get("fp32_nodes"),
        "int8_calibration_agreement": mixed.get("calibration_agreement"),
        "int8_calibration_mse": mixed.get("calibration_mse"),
        "int8_sensitivity": mixed.get("sensitivity"),
        "metadata": meta_props,
    }


__all__ = [
    "ACTION_MEANING",
    "DEFAULT_OPSET",
    "ENV_IDS",
    "GraphParity",
    "GreedyPolicy",
    "LATENCY_CALLS",
    "PARITY_SIZES",
    "export_graph_policy",
    "latency_report",
    "make_env",
    "parity",
    "record_observations",
    "torch_solve",
    "trained_size",
    "weight_nodes",
]
