"""ONNX export of learned graph policies, with a parity check and a latency report.

    aerena export graphs/models/tsp20.pt --out tsp20.onnx --int8 --report

    from aerena.graphs.learned.onnx import export_graph_policy
    res = export_graph_policy(net, "tsp20.onnx", meta=checkpoint_meta)

What is exported: the net's forward (:class:`~aerena.graphs.learned.base.GraphPolicyNet`),
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
for graph policies (routing, node, WTA and IM nets alike: each is a `GraphPolicyNet`, and
the per-problem parts are the tables below).

``metadata_props``: ``aerena_version``, ``problem``, ``env_id``, ``net_class``,
``net_config`` (JSON), ``observation_layout`` (JSON: ``input_order`` and, per input, its
dtype and its shape with axis names, e.g. ``["batch", "nodes", 2]``; the outputs alike),
``action_meaning`` (e.g. ``"node index; last = stop"``) and ``training_meta`` (JSON, the
checkpoint's `meta`). :class:`aerena.deploy.GraphOnnxPolicy` reads them.

Parity (:func:`parity`): observations are recorded from real env episodes of the problem
(:func:`record_observations`: the net's own sampled actions, instance sizes
:data:`PARITY_SIZES` to exercise the dynamic axes; one group per size, since padded
observations of different sizes do not stack) and onnxruntime is compared with torch per
group: fp32 needs bit-identical masked logits, the same greedy actions (where torch's two best
legal logits are within 1e-5 of each other -- a tie -- the model's action must be one of the
tied best) and max |logit difference| <= 1e-5 over legal actions -- or, when torch's own
float32 result is further than that from exact arithmetic, onnxruntime no further from the
float64 torch forward than twice torch's float32 error (`ref_error` = max |torch fp32 -
torch fp64|, `ort_error` = max |onnxruntime - torch fp64|). A trained 3-layer attention
net with logits clipped to +-10 is only accurate to ~3e-5 in float32 (the pre-tanh
scores carry ~1e-5 and the clip multiplies by up to 10; torch batch-1 and batched forwards
differ by as much), so no float32 runtime can match torch's rounding to 1e-5; small and
untrained nets are held to the plain 1e-5. int8
(:func:`quantize_mixed`: onnxruntime's dynamic quantisation, else weight-only int8, else
dynamic with the weight nodes the greedy choice is most sensitive to kept fp32 -- the first
whose agreement on a separate calibration set of recorded observations, other episodes
than the parity ones, clears 99.2%) needs
>= 99 % greedy agreement over all the parity observations, where picking one of torch's
tied best actions (within 1e-5: node-selection policies meet many equally good nodes)
counts as agreeing. A failed check
raises `UserError` and leaves nothing behind: the model is written to a temporary folder
beside the target and renamed only after every check passed.

Latency (:func:`latency_report`): batch-1, one thread, median and p99 over 1000 calls of
torch eager, onnxruntime fp32 and int8, on recorded observations of each report size
(routing: the trained size and 100 nodes), with the model sizes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from aerena.agents.export_pipeline import (
    ATOL,
    DEFAULT_OPSET,
    INT8_AGREEMENT,
    LATENCY_CALLS,
    OUTPUTS,
    GreedyWrapper,
    commit,
    export_checked,
    export_onnx,
    latency_rows,
    logit_stats,
    one_thread,
    quantize_search,
    read_metadata,
    session,
    staging,
    weight_nodes,
)
from aerena.errors import UserError
from aerena.graphs.learned.base import GraphPolicyNet

MIXED_MARGIN = 0.002  # the calibration set must clear the bar by this much
CALIBRATION_COUNT = 512
CALIBRATION_SEED = 50_000  # calibration episodes: other env seeds than the parity ones
PARITY_COUNT = 1024
#: instance sizes of the recorded parity observations (nodes, sets, weapons and targets)
PARITY_SIZES = (10, 20, 50)
ROUTING = ("tsp", "cvrp")

ENV_IDS = {
    "tsp": "aerena/TSP-v0",
    "cvrp": "aerena/CVRP-v0",
    "mvc": "aerena/MVC-v0",
    "maxcut": "aerena/MaxCut-v0",
    "maxcover": "aerena/MaxCover-v0",
    "wta": "aerena/WTA-v0",
    "im": "aerena/IM-v0",
}

ACTION_MEANING = {
    "tsp": "node index (the next node of the tour)",
    "cvrp": "node index (the next visit; 0 = depot)",
    "mvc": "node index (added to the cover)",
    "maxcut": "node index (moved into S); last = stop",
    "maxcover": "set index (chosen); last = stop",
    "wta": "target index (of the current weapon)",
    "im": "node index (the next seed)",
}

#: the problem's default instance size (latency report of non-routing problems)
DEFAULT_SIZE = {"tsp": 20, "cvrp": 20, "mvc": 20, "maxcut": 20, "maxcover": 20, "wta": 10,
                "im": 20}  # fmt: skip


# --------------------------------------------------------------------------------------
# Envs of a problem at a size
# --------------------------------------------------------------------------------------
def env_kwargs(problem: str, size: int) -> dict[str, Any]:
    """Constructor keywords of the problem's env for instances of `size` (nodes / sets /
    weapons and targets)."""
    n = int(size)
    if problem in ("tsp", "cvrp", "mvc", "maxcut"):
        return {"num_nodes": n}
    if problem == "im":
        return {"num_nodes": n, "rr_sets": 500, "generator_kwargs": {"budget": max(1, n // 4)}}
    if problem == "maxcover":
        return {"num_sets": n, "generator_kwargs": {"num_items": 2 * n}}
    if problem == "wta":
        return {"num_weapons": n, "num_targets": n}
    raise UserError(f"no env for problem {problem!r}; known: {sorted(ENV_IDS)}")


def make_env(problem: str, size: int, **kwargs: Any) -> Any:
    """The problem's Gymnasium env (unwrapped) for instances of `size`."""
    import importlib

    from aerena.graphs import ENV_IDS as ENTRY_POINTS

    if problem not in ENV_IDS:
        raise UserError(f"no env for problem {problem!r}; known: {sorted(ENV_IDS)}")
    mod, cls = ENTRY_POINTS[ENV_IDS[problem]].split(":")
    return getattr(importlib.import_module(mod), cls)(**{**env_kwargs(problem, size), **kwargs})


# --------------------------------------------------------------------------------------
# The wrapper and metadata
# --------------------------------------------------------------------------------------
class GreedyPolicy(GreedyWrapper):
    """forward(*obs) -> (masked logits [B, A], greedy action [B] int64)."""

    def __init__(self, net: GraphPolicyNet) -> None:
        super().__init__()
        self.net = net

    def logits(self, *obs: Tensor) -> Tensor:
        return self.net(*obs)


def action_axis(net: GraphPolicyNet) -> str:
    """Name of the logits' action axis: the action mask's axis 1 name, else "actions"."""
    return str(net.dynamic_axes.get("action_mask", {}).get(1, "actions"))


def dynamic_axes(net: GraphPolicyNet) -> dict[str, dict[int, str]]:
    """torch.onnx dynamic axes of the inputs (the net's) and of the outputs."""
    axes = {k: dict(net.dynamic_axes.get(k, {0: "batch"})) for k in net.obs_keys}
    axes["logits"] = {0: "batch", 1: action_axis(net)}
    axes["action"] = {0: "batch"}
    return axes


def _dtype_name(a: np.ndarray | Tensor) -> str:
    if isinstance(a, Tensor):
        return str(a.dtype).removeprefix("torch.")
    return str(a.dtype)


def observation_layout(
    net: GraphPolicyNet, example: Sequence[Tensor], used: Sequence[str] | None = None
) -> dict[str, Any]:
    """Input order, and each input's / output's dtype and shape with axis names.

    `used`: the model's inputs (the exporter drops observation keys the forward ignores,
    e.g. TSP's `visited`, which its action mask already holds); default all obs keys.
    """
    axes = dynamic_axes(net)
    used = list(net.obs_keys if used is None else used)

    def shape(name: str, dims: Sequence[int]) -> list[Any]:
        return [axes[name].get(i, int(d)) for i, d in enumerate(dims)]

    inputs = {
        k: {"dtype": _dtype_name(x), "shape": shape(k, x.shape)}
        for k, x in zip(net.obs_keys, example, strict=True)
        if k in used
    }
    return {
        "obs_keys": list(net.obs_keys),
        "input_order": [k for k in net.obs_keys if k in used],
        "inputs": inputs,
        "outputs": {
            "logits": {"dtype": "float32", "shape": ["batch", action_axis(net)]},
            "action": {"dtype": "int64", "shape": ["batch"]},
        },
    }


def metadata(
    net: GraphPolicyNet,
    example: Sequence[Tensor],
    meta: Mapping[str, Any] | None = None,
    used: Sequence[str] | None = None,
) -> dict[str, str]:
    from aerena import __version__

    return {
        "aerena_version": __version__,
        "problem": net.problem,
        "env_id": ENV_IDS.get(net.problem, ""),
        "net_class": f"{type(net).__module__}:{type(net).__qualname__}",
        "net_config": json.dumps(dict(net.config), default=str),
        "observation_layout": json.dumps(observation_layout(net, example, used)),
        "action_meaning": ACTION_MEANING.get(net.problem, "action index"),
        "training_meta": json.dumps(dict(meta or {}), default=str),
    }


# --------------------------------------------------------------------------------------
# Observations from real episodes
# --------------------------------------------------------------------------------------
Group = dict[str, np.ndarray]  # obs key -> stacked observations of one size


def record_observations(
    net: GraphPolicyNet,
    *,
    count: int = PARITY_COUNT,
    sizes: Sequence[int] = PARITY_SIZES,
    seed: int = 0,
    envs: int = 8,
) -> dict[int, Group]:
    """size -> observations (stacked per obs key) of >= ceil(count / len(sizes)) steps of
    episodes on the net's problem, `envs` episodes stepped together with actions sampled
    from the net's own masked logits."""
    if count < 1:
        raise UserError(f"the parity observation count must be at least 1, got {count}")
    per = -(-count // len(sizes))
    g = torch.Generator().manual_seed(seed)
    out: dict[int, Group] = {}
    for si, size in enumerate(sizes):
        pool = [make_env(net.problem, size) for _ in range(envs)]
        next_seed = seed + 100_000 * si
        obs = []
        for env in pool:
            obs.append(env.reset(seed=next_seed)[0])
            next_seed += 1
        rows: list[dict[str, np.ndarray]] = []
        while len(rows) < per:
            rows.extend(obs)
            x = net.obs_tensors(obs)
            with torch.no_grad():
                probs = torch.softmax(net(*x).double(), dim=-1)
            acts = torch.multinomial(probs, 1, generator=g)[:, 0].tolist()
            for i, (env, a) in enumerate(zip(pool, acts, strict=True)):
                o, _, term, trunc, _ = env.step(a)
                if term or trunc:
                    o = env.reset(seed=next_seed)[0]
                    next_seed += 1
                obs[i] = o
        out[int(size)] = {k: np.stack([r[k] for r in rows[:per]]) for k in net.obs_keys}
    return out


def _feeds(net: GraphPolicyNet, group: Group, sess: Any) -> dict[str, np.ndarray]:
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
        got, act = sess.run(list(OUTPUTS), _feeds(net, group, sess))
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
# int8 with the sensitive layers kept fp32
# --------------------------------------------------------------------------------------
def quantize_mixed(
    net: GraphPolicyNet, fp32: str | Path, q8: str | Path, calibration: Mapping[int, Group],
    target: float = INT8_AGREEMENT + MIXED_MARGIN,
) -> dict[str, Any]:  # fmt: skip
    """The first int8 model whose greedy agreement (ties counted) on the `calibration`
    observations reaches `target` (:func:`aerena.agents.export_pipeline.quantize_search`:
    dynamic, weight-only, then dynamic with the most sensitive weight nodes kept fp32).
    Writes `q8`; returns {"scheme", "fp32_nodes", "calibration_agreement", "weight_nodes"}."""
    return quantize_search(
        fp32, q8, lambda p: parity(net, p, calibration)[-1].tie_agreement, target
    )


# --------------------------------------------------------------------------------------
# Latency
# --------------------------------------------------------------------------------------
def trained_size(problem: str, meta: Mapping[str, Any] | None, name: str = "") -> int:
    """The instance size the net was trained on: from the checkpoint meta (`num_nodes`, `nodes`,
    `size`, ... also inside `env` / `env_kwargs`), else the digits after the problem name
    in the file name (`tsp20.pt`), else the problem's default size."""
    meta = dict(meta or {})
    keys = ("num_nodes", "nodes", "size", "num_sets", "num_weapons", "n")
    for d in (meta, meta.get("env") or {}, meta.get("env_kwargs") or {}):
        if isinstance(d, Mapping):
            for k in keys:
                if isinstance(d.get(k), int) and d[k] > 0:
                    return int(d[k])
    m = re.search(rf"{re.escape(problem)}[_-]?(\d+)", name)
    if m and int(m.group(1)) > 1:
        return int(m.group(1))
    return DEFAULT_SIZE.get(problem, 20)


def report_sizes(problem: str, size: int) -> list[int]:
    """Sizes of the latency report: routing nets also at 100 nodes."""
    return sorted({size, 100}) if problem in ROUTING else [size]


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
                lambda sess, singles=singles: [_feeds(net, s, sess) for s in singles],
                calls=calls,
                warmup=warmup,
            )
    return out


# --------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------
def example_inputs(net: GraphPolicyNet, size: int = 12, seed: int = 0) -> tuple[Tensor, ...]:
    """Two real observations (batch 2) of a `size` instance: the export's trace inputs."""
    env = make_env(net.problem, size)
    first = env.reset(seed=seed)[0]
    mask = np.flatnonzero(first["action_mask"])
    second = env.step(int(mask[len(mask) // 2]))[0] if len(mask) else first
    return net.obs_tensors([first, second])


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
        "metadata": meta_props,
    }


# --------------------------------------------------------------------------------------
# Greedy decoding in torch (the reference of the closed-loop test)
# --------------------------------------------------------------------------------------
def torch_solve(
    net: GraphPolicyNet, env: Any, instance: Any = None, seed: int | None = None
) -> tuple[float, np.ndarray]:
    """(objective, solution) of the torch net's greedy actions stepping `env`."""
    options = {"instance": instance} if instance is not None else None
    obs, _ = env.reset(seed=seed, options=options)
    while True:
        with torch.no_grad():
            a = int(net(*net.obs_tensors(obs)).argmax(dim=-1)[0])
        obs, _, term, trunc, info = env.step(a)
        if term or trunc:
            return float(info["objective"]), np.asarray(info["solution"])


__all__ = [
    "ACTION_MEANING",
    "ENV_IDS",
    "GraphParity",
    "GreedyPolicy",
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
