"""int8 of the graph policies: weight-only int8 against fp32, and the mixed-precision
search of :func:`aerena.agents.solvers.onnx.quantize_mixed` (schemes, kept fp32 nodes)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from aerena.agents.export_pipeline import (  # noqa: E402
    check_model,
    quantize_int8,
    quantize_int8_weights,
    session,
)
from aerena.agents.solvers import onnx as GO  # noqa: E402
from aerena.agents.solvers.base import build_net  # noqa: E402
from aerena.agents.solvers.onnx_parity import feeds, torch_logits  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):
    torch.manual_seed(0)
    net = build_net("mvc", dim=16, layers=2).eval()
    path = tmp_path_factory.mktemp("int8") / "mvc.fp32.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        GO._export_onnx(net, path, opset=GO.DEFAULT_OPSET, meta=None)
    groups = GO.record_observations(net, count=120, sizes=(10, 20))
    return net, path, groups


def test_weight_only_int8_is_standard_and_close(exported, tmp_path: Path):
    net, fp32, groups = exported
    q8 = tmp_path / "w8.onnx"
    quantize_int8_weights(fp32, q8)
    check_model(q8)  # standard domain, full check
    model = onnx.load(str(q8))
    ops = [n.op_type for n in model.graph.node]
    n_weights = len(GO.weight_nodes(fp32))
    assert ops.count("DequantizeLinear") == n_weights
    ints = [i for i in model.graph.initializer if i.name.endswith("_int8")]
    assert len(ints) == n_weights and all(i.data_type == onnx.TensorProto.INT8 for i in ints)
    assert q8.stat().st_size < fp32.stat().st_size
    # per-channel rounding: each weight within half a step of its fp32 value
    ref = {i.name: onnx.numpy_helper.to_array(i) for i in onnx.load(str(fp32)).graph.initializer}
    arrays = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    for i in ints:
        base = i.name[: -len("_int8")]
        w, q, s = ref[base], arrays[i.name].astype(np.float64), arrays[f"{base}_scale"]
        axis = next(a.i for n in model.graph.node if n.output[0] == base for a in n.attribute)
        scale = s.reshape((-1, 1) if axis == 0 else (1, -1))
        assert np.abs(q * scale - w).max() <= 0.5 * s.max() + 1e-7
    row = GO.parity(net, q8, groups)[-1]
    assert row.max_abs_diff < 0.05 and row.masked_equal
    # excluded nodes keep their fp32 weights
    first = GO.weight_nodes(fp32)[0]
    quantize_int8_weights(fp32, q8, [first])
    assert [n.op_type for n in onnx.load(str(q8)).graph.node].count("DequantizeLinear") == (
        n_weights - 1
    )


def test_quantize_mixed_schemes(exported, tmp_path: Path):
    net, fp32, groups = exported
    q8 = tmp_path / "m8.onnx"
    easy = GO.quantize_mixed(net, fp32, q8, groups, target=0.0)
    assert easy["scheme"] == "dynamic" and easy["fp32_nodes"] == []
    ops = {n.op_type for n in onnx.load(str(q8)).graph.node}
    assert "DynamicQuantizeLinear" in ops or "MatMulInteger" in ops
    hard = GO.quantize_mixed(net, fp32, q8, groups, target=1.01)  # unreachable: the best try
    assert hard["weight_nodes"] == len(GO.weight_nodes(fp32))
    assert len(hard["fp32_nodes"]) <= hard["weight_nodes"] // 2
    assert 0.0 <= hard["calibration_agreement"] <= 1.0
    got = GO.parity(net, q8, groups)[-1].tie_agreement
    assert got == pytest.approx(hard["calibration_agreement"])


def test_quantize_mixed_ranks_by_measured_error(exported, tmp_path: Path):
    """The kept-fp32 nodes are the most sensitive by measured logit error (recomputed here
    by quantising each node alone), and the reported agreement is that of the file."""
    net, fp32, groups = exported
    q8 = tmp_path / "s8.onnx"
    hard = GO.quantize_mixed(net, fp32, q8, groups, target=1.01)
    sens = hard["sensitivity"]
    nodes = GO.weight_nodes(fp32)
    assert sorted(sens) == sorted(nodes)
    values = list(sens.values())
    assert values == sorted(values, reverse=True) and min(values) >= 0.0
    assert hard["fp32_nodes"] == list(sens)[: len(hard["fp32_nodes"])]
    # one node's error, recomputed independently with parity's own statistics
    worst = next(iter(sens))
    alone = tmp_path / "alone.onnx"
    quantize_int8(fp32, alone, [x for x in nodes if x != worst])
    err = []
    for group in groups.values():
        ref = torch_logits(net, group)
        sess = session(alone)
        got, _ = sess.run(None, feeds(net, group, sess))
        legal = ref > np.finfo(np.float32).min
        err.append((got.astype(np.float64) - ref)[legal] ** 2)
    assert sens[worst] == pytest.approx(float(np.concatenate(err).mean()), rel=1e-6)
    assert hard["calibration_mse"] >= 0.0
