"""The one ONNX export pipeline: wrap -> export -> metadata -> check -> parity -> latency -> int8.

Every policy kind exports through :func:`export_checked` with a small adapter
(:class:`Adapter`) that says how to export its wrapped model, compare it with torch and
time it:

* world policies (per-role RLModules): :mod:`aerena.agents.onnx_export`;
* graph policies (routing, node, WTA and IM nets, all a
  :class:`~aerena.agents.solvers.base.GraphPolicyNet`): :mod:`aerena.agents.solvers.onnx`.

The shared steps live here: the greedy wrapper (:class:`GreedyWrapper`, masked logits and
the first-maximum action), the single ``torch.onnx.export`` call (:func:`export_onnx`,
TorchScript exporter by default, torch.export with ``dynamo=True``), the metadata
(``metadata_props``), the checker (:func:`check_model`: full ONNX check, standard
operator domains only), the logit comparison (:func:`logit_stats`), the latency table
(:func:`latency_rows`: batch-1, one thread, median and p99), the int8 quantisers
(:func:`quantize_int8` dynamic, :func:`quantize_int8_weights` weight-only per-channel,
:func:`quantize_search` the mixed-precision search) and the staging folder that keeps a
failed export from leaving any file behind (:func:`staging`).

torch is imported at module level (this module is only imported by the export commands);
onnx and onnxruntime stay lazy (optional extras).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from aerena.errors import UserError

OUTPUTS = ("logits", "action")
STANDARD_DOMAINS = ("", "ai.onnx")
DEFAULT_OPSET = 17
ATOL = 1e-5
INT8_AGREEMENT = 0.99
LATENCY_CALLS = 1000
LATENCY_WARMUP = 50


# --------------------------------------------------------------------------------------
# Wrap
# --------------------------------------------------------------------------------------
class GreedyWrapper(nn.Module):
    """Tensor-in / tensor-out export view of a policy: forward(*inputs) -> (masked logits
    [B, A], greedy action [B] int64, the first maximum). Subclasses define `logits`."""

    def logits(self, *inputs: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, *inputs: Tensor) -> tuple[Tensor, Tensor]:
        logits = self.logits(*inputs)
        return logits, torch.argmax(logits, dim=-1)


# --------------------------------------------------------------------------------------
# Export, metadata, check
# --------------------------------------------------------------------------------------
Metadata = Mapping[str, str] | Callable[[list[str]], Mapping[str, str]]


def export_onnx(
    wrapper: nn.Module,
    args: tuple[Tensor, ...],
    path: str | Path,
    *,
    input_names: Sequence[str],
    dynamic_axes: Mapping[str, Mapping[int, str]],
    meta: Metadata,
    opset: int = DEFAULT_OPSET,
    dynamo: bool = False,
    dynamic_shapes: Mapping[str, Any] | None = None,
    quiet_tracer: bool = False,
) -> None:
    """Export `wrapper` (traced on `args`) to `path`, add `meta` to its `metadata_props`
    and :func:`check_model` it. `meta` may be a function of the model's input names (the
    exporter drops inputs the forward ignores).

    The default exporter is torch's TorchScript-based one (`dynamo=False`): fast, and its
    plain op-by-op graph matches torch to ~1e-8 here. `dynamo=True` uses the torch.export
    based exporter (needs onnxscript; slower, fused ops, ~1e-5 from torch), with
    `dynamic_shapes` (forward argument name -> {axis: torch.export.Dim}) and opset >= 18.
    """
    import onnx

    if dynamo:
        shape_kw: dict[str, Any] = {"dynamic_shapes": dict(dynamic_shapes or {}), "verbose": False}
        opset = max(opset, 18)
    else:
        shape_kw = {"dynamic_axes": {k: dict(v) for k, v in dynamic_axes.items()}}
    wrapper = wrapper.eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter's notice
        if quiet_tracer:
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            wrapper,
            args,
            str(path),
            input_names=list(input_names),
            output_names=list(OUTPUTS),
            opset_version=opset,
            dynamo=dynamo,
            **shape_kw,
        )
    model = onnx.load(str(path))
    props = meta([i.name for i in model.graph.input]) if callable(meta) else meta
    for k, v in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.save(model, str(path))
    check_model(path)


def read_metadata(path: str | Path) -> dict[str, str]:
    """The `metadata_props` of an ONNX file."""
    import onnx

    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def check_model(path: str | Path) -> None:
    """The full ONNX checker and standard operator domains only; UserError otherwise."""
    import onnx

    model = onnx.load(str(path))
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:  # onnx raises ValidationError / InferenceError
        raise UserError(f"the exported model fails the ONNX checker: {exc}") from exc
    bad = sorted({n.domain for n in model.graph.node if n.domain not in STANDARD_DOMAINS})
    if bad:
        raise UserError(f"the exported model uses non-standard operator domains: {bad}")


def session(path: str | Path, threads: int = 1) -> Any:
    """An onnxruntime CPU session (:func:`aerena.deploy.cpu_session`)."""
    from aerena.deploy import cpu_session

    return cpu_session(path, threads)


# --------------------------------------------------------------------------------------
# Parity
# --------------------------------------------------------------------------------------
@dataclass
class LogitStats:
    """onnxruntime logits / actions against torch's masked logits `ref`."""

    legal: np.ndarray  # [B, A] bool: the legal set as mask_logits computes it
    max_abs_diff: float  # over legal actions
    masked_equal: bool  # illegal logits bit-identical (and the same shape)
    same: np.ndarray  # [B] bool: the same greedy action as torch
    ties: np.ndarray  # [B] bool: torch's two best legal logits within ATOL
    agree_or_tied: np.ndarray  # [B] bool: the same action, or one of torch's tied best


def logit_stats(ref: np.ndarray, got: np.ndarray, act: np.ndarray) -> LogitStats:
    """Compare onnxruntime's (`got` logits, `act` actions) with torch's `ref` logits."""
    legal = ref > np.finfo(np.float32).min  # a row without legal actions allows 0
    diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    max_diff = float(diff[legal].max()) if legal.any() else 0.0
    masked_equal = bool(got.shape == ref.shape and np.array_equal(got[~legal], ref[~legal]))
    best = ref.argmax(axis=1)
    same = act == best
    top = ref.max(axis=1)
    second = np.where(legal, ref, -np.inf)
    second[np.arange(len(ref)), best] = -np.inf
    tie = (top - second.max(axis=1)) <= ATOL
    picked = ref[np.arange(len(ref)), np.clip(act, 0, ref.shape[1] - 1)]
    return LogitStats(
        legal, max_diff, masked_equal, same, tie, same | (tie & (top - picked <= ATOL))
    )


class ParityRow(Protocol):
    def ok(self, int8: bool) -> bool: ...
    def describe(self) -> str: ...


# --------------------------------------------------------------------------------------
# Latency
# --------------------------------------------------------------------------------------
def time_calls(
    call: Callable[[Any], Any], inputs: Sequence[Any], calls: int, warmup: int = LATENCY_WARMUP
) -> tuple[float, float]:
    """(median, p99) in ms of `calls` timed calls of `call`, cycling over `inputs`, after
    `warmup` untimed ones."""
    times = []
    for i in range(calls + warmup):
        x = inputs[i % len(inputs)]
        t0 = time.perf_counter()
        call(x)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    t = np.array(times) * 1e3
    return float(np.median(t)), float(np.percentile(t, 99))


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one intra-op thread inside the block (the latency report's setting)."""
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


def latency_rows(
    torch_call: Callable[[Any], Any],
    torch_inputs: Sequence[Any],
    params: Sequence[Tensor],
    paths: Mapping[str, Path],
    feeds: Callable[[Any], Sequence[dict[str, np.ndarray]]],
    *,
    calls: int = LATENCY_CALLS,
    warmup: int = LATENCY_WARMUP,
) -> dict[str, dict[str, float]]:
    """runtime -> {median_ms, p99_ms, size_bytes}: "torch eager" (`torch_call` over
    `torch_inputs`, size of `params`) and each ONNX file of `paths` (label -> file) on the
    inputs `feeds(session)`. Call inside :func:`one_thread`."""
    with torch.no_grad():
        med, p99 = time_calls(torch_call, torch_inputs, calls, warmup)
    size = sum(p.numel() * p.element_size() for p in params)
    out = {"torch eager": {"median_ms": med, "p99_ms": p99, "size_bytes": float(size)}}
    for label, path in paths.items():
        sess = session(path)
        med, p99 = time_calls(lambda f, sess=sess: sess.run(None, f), feeds(sess), calls, warmup)
        out[label] = {
            "median_ms": med,
            "p99_ms": p99,
            "size_bytes": float(os.path.getsize(path)),
        }
    return out


# --------------------------------------------------------------------------------------
# int8
# --------------------------------------------------------------------------------------
def quantize_int8(src: str | Path, dst: str | Path, exclude: Sequence[str] = ()) -> None:
    """Dynamic int8 quantisation of the weights (onnxruntime.quantization); the nodes
    named in `exclude` stay fp32."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quiet its "consider pre-processing" advice
    try:
        quantize_dynamic(
            str(src), str(dst), weight_type=QuantType.QInt8, nodes_to_exclude=list(exclude)
        )
    finally:
        root.setLevel(level)


def quantize_int8_weights(src: str | Path, dst: str | Path, exclude: Sequence[str] = ()) -> None:
    """Weight-only int8: every 2-D float32 weight of a MatMul / Gemm (not in `exclude`) is
    stored as int8 with one scale per output channel (max |w| / 127, zero point 0) behind
    a standard ``DequantizeLinear``; activations and arithmetic stay fp32."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    dq_nodes, done = [], set()
    for node in graph.node:
        if node.name in exclude or node.op_type not in ("MatMul", "Gemm"):
            continue
        if len(node.input) < 2 or node.input[1] not in inits or node.input[1] in done:
            continue
        name = node.input[1]
        w = numpy_helper.to_array(inits[name])
        if w.ndim != 2 or w.dtype != np.float32:
            continue
        trans = node.op_type == "Gemm" and any(a.name == "transB" and a.i for a in node.attribute)
        axis = 0 if trans else 1  # the output-channel axis of B
        amax = np.abs(w).max(axis=1 - axis)
        scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        shaped = scale.reshape((-1, 1) if axis == 0 else (1, -1))
        q = np.clip(np.rint(w / shaped), -127, 127).astype(np.int8)
        graph.initializer.remove(inits[name])
        graph.initializer.extend([
            numpy_helper.from_array(q, f"{name}_int8"),
            numpy_helper.from_array(scale, f"{name}_scale"),
            numpy_helper.from_array(np.zeros(scale.shape, dtype=np.int8), f"{name}_zero"),
        ])  # fmt: skip
        dq_nodes.append(helper.make_node("DequantizeLinear",
                                         [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                                         [name], axis=axis, name=f"{name}_dequantize"))  # fmt: skip
        done.add(name)
    for node in reversed(dq_nodes):  # before their first use (topological order)
        graph.node.insert(0, node)
    onnx.save(model, str(dst))


def weight_nodes(path: str | Path) -> list[str]:
    """Names of the MatMul / Gemm nodes of an ONNX model (what int8 quantises)."""
    import onnx

    model = onnx.load(str(path))
    return [n.name for n in model.graph.node if n.op_type in ("MatMul", "Gemm")]


QUANTISERS = {"dynamic": quantize_int8, "weights": quantize_int8_weights}


def quantize_search(
    fp32: str | Path,
    q8: str | Path,
    measure: Callable[[Path], tuple[float, float]],
    target: float,
) -> dict[str, Any]:
    """The first int8 model whose agreement reaches `target`; `measure(path)` -> (greedy
    agreement, mean squared logit error over legal actions) of a model on the calibration
    observations. Tried in turn:

    1. ``dynamic``: onnxruntime's dynamic quantisation (int8 weights, uint8 activations
       scaled per call) of every weight node;
    2. ``weights``: weight-only int8, one scale per output channel, fp32 arithmetic
       (:func:`quantize_int8_weights`);
    3. ``dynamic`` with the most sensitive weight nodes kept fp32, one more at a time, at
       most half of them. Sensitivity is measured, not listed: the logit error of the model
       with that node alone quantised (the squared error is continuous, where the
       agreement of one node moves by single flips and cannot rank).

    Writes `q8` (the best tried when none reaches `target`); returns {"scheme",
    "fp32_nodes", "calibration_agreement", "calibration_mse", "weight_nodes",
    "sensitivity" (node -> its error alone, most sensitive first)}."""

    def tried(scheme: str, keep: list[str]) -> tuple[float, float]:
        QUANTISERS[scheme](fp32, q8, keep)
        return measure(Path(q8))

    nodes = weight_nodes(fp32)
    best: tuple[float, float, str, list[str]] = (-1.0, float("inf"), "dynamic", [])

    def better(a: tuple[float, float], scheme: str, keep: list[str]) -> None:
        nonlocal best
        if (a[0], -a[1]) > (best[0], -best[1]):
            best = (a[0], a[1], scheme, list(keep))

    sensitivity: dict[str, float] = {}
    for scheme in ("dynamic", "weights"):
        a = tried(scheme, [])
        better(a, scheme, [])
        if a[0] >= target:
            break
    if best[0] < target:
        for nd in nodes:  # that node alone quantised: its own share of the error
            sensitivity[nd] = tried("dynamic", [x for x in nodes if x != nd])[1]
        ranked = sorted(nodes, key=lambda nd: -sensitivity[nd])  # stable on ties
        sensitivity = {nd: sensitivity[nd] for nd in ranked}
        keep: list[str] = []
        for nd in ranked[: len(nodes) // 2]:
            keep.append(nd)
            a = tried("dynamic", keep)
            better(a, "dynamic", keep)
            if a[0] >= target:
                break
    agree, mse, scheme, keep = best
    QUANTISERS[scheme](fp32, q8, keep)
    return {"scheme": scheme, "fp32_nodes": keep, "calibration_agreement": agree,
            "calibration_mse": mse, "weight_nodes": len(nodes),
            "sensitivity": sensitivity}  # fmt: skip


# --------------------------------------------------------------------------------------
# The pipeline
# --------------------------------------------------------------------------------------
class Adapter(Protocol):
    """What :func:`export_checked` needs of a policy kind."""

    def export(self, path: Path) -> None:
        """Wrap, export, add the metadata and check (:func:`export_onnx`)."""

    def parity(self, path: Path, int8: bool) -> tuple[list[ParityRow], list[ParityRow]]:
        """(rows to report, rows the check holds to) of the model at `path`."""

    def quantize(self, fp32: Path, q8: Path) -> dict[str, Any]:
        """Write the int8 model; its scheme's details (may be empty)."""

    def latency(self, paths: dict[str, Path]) -> dict[str, Any]:
        """The latency report of torch and of the files `paths` (label -> file)."""


@dataclass
class Checked:
    """One model that passed every check, still in its staging folder."""

    path: Path  # the file to move into place (fp32 or int8)
    fp32: Path
    parity: list[Any] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    int8_info: dict[str, Any] = field(default_factory=dict)


def export_checked(
    adapter: Adapter, folder: Path, name: str, *, int8: bool = False, report: bool = False
) -> Checked:
    """Export `name`.fp32.onnx into the staging `folder`, hold it to fp32 parity; with
    `int8` or `report` also quantise (`name`.int8.onnx), check it and measure its parity
    (held to the int8 bar with `int8`); with `report` time both. A failed check raises
    `UserError` (the caller's :func:`staging` then removes everything)."""
    fp32 = folder / f"{name}.fp32.onnx"
    adapter.export(fp32)
    rows, checked = adapter.parity(fp32, False)
    bad = [r for r in checked if not r.ok(int8=False)]
    if bad:
        raise UserError(f"ONNX parity check failed, nothing written: {bad[0].describe()}")
    out = Checked(fp32, fp32, list(rows))
    q8 = folder / f"{name}.int8.onnx"
    if int8 or report:
        out.int8_info = dict(adapter.quantize(fp32, q8) or {})
        check_model(q8)
        rows8, checked8 = adapter.parity(q8, True)
        out.parity += rows8
        bad = [r for r in checked8 if not r.ok(int8=True)]
        if int8 and bad:
            raise UserError(f"int8 parity check failed, nothing written: {bad[0].describe()}")
    if report:
        out.report = adapter.latency({"onnxruntime fp32": fp32, "onnxruntime int8": q8})
    if int8:
        out.path = q8
    return out


@contextlib.contextmanager
def staging(parent: Path) -> Iterator[Path]:
    """A temporary folder beside the targets (same file system: `os.replace` is atomic),
    removed with whatever is left in it when the block ends, passed or failed."""
    folder = Path(tempfile.mkdtemp(prefix=".aerena-export-", dir=parent))
    try:
        yield folder
    finally:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


def commit(moves: Mapping[Path, Path]) -> None:
    """Move checked models (staged file -> target) into place, once all passed."""
    for src, dst in moves.items():
        os.replace(src, dst)
