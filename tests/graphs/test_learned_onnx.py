"""ONNX export of learned graph policies (aerena.agents.solvers.onnx), the torch-free
runtime aerena.deploy.GraphOnnxPolicy and `aerena export POLICY.pt`.

Every default net of NETS is exercised (small dims, untrained); a net whose module cannot
be imported fails its tests (no skip). A tiny attention net defined here covers what an
untrained default net cannot: a model whose int8 export passes the 99 % agreement gate.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from torch import Tensor, nn  # noqa: E402

from aerena.agents.nn import mask_logits as masked  # noqa: E402
from aerena.agents.solvers.base import GraphPolicyNet, net_class  # noqa: E402
from aerena.errors import UserError  # noqa: E402

PROBLEMS = ("tsp", "cvrp", "mvc", "maxcut", "maxcover", "wta", "im")
SMALL = {"dim": 16, "heads": 2, "layers": 2, "ff": 32, "hidden": 32}
REPO = Path(__file__).resolve().parents[2]

torch.set_num_threads(1)


def small_net(problem: str, seed: int = 0) -> GraphPolicyNet:
    """The problem's default net (NETS) with small dims, untrained, in eval mode."""
    cls = net_class(problem)
    params = inspect.signature(cls.__init__).parameters
    config = {k: v for k, v in SMALL.items() if k in params}
    torch.manual_seed(seed)
    return cls(**config).eval()


class TinyTSPNet(GraphPolicyNet):
    """A small attention net over the TSP obs: one attention score of the current node's
    embedding against every node's, minus `scale` times the distance from the current
    node (peaked logits: its int8 model keeps the greedy actions)."""

    problem = "tsp"
    obs_keys = ("coords", "node_mask", "visited", "current", "action_mask")
    dynamic_axes = {
        "coords": {0: "batch", 1: "nodes"},
        "node_mask": {0: "batch", 1: "nodes"},
        "visited": {0: "batch", 1: "nodes"},
        "current": {0: "batch"},
        "action_mask": {0: "batch", 1: "nodes"},
    }

    def __init__(self, dim: int = 16, scale: float = 10.0) -> None:
        super().__init__(dim=dim, scale=scale)
        self.scale = scale
        self.embed = nn.Linear(4, dim)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)

    def forward(self, coords: Tensor, node_mask: Tensor, visited: Tensor, current: Tensor,
                action_mask: Tensor) -> Tensor:  # fmt: skip
        x = torch.cat([coords, visited.unsqueeze(-1).float(), node_mask.unsqueeze(-1).float()], -1)
        h = torch.relu(self.embed(x))
        cur = current.long().unsqueeze(-1)  # [B, 1, 1]
        hc = torch.gather(h, 1, cur.expand(-1, 1, h.shape[-1]))
        att = (self.q(hc) @ self.k(h).transpose(1, 2)).squeeze(1) / h.shape[-1] ** 0.5
        cc = torch.gather(coords, 1, cur.expand(-1, 1, 2))
        dist = ((coords - cc) ** 2).sum(-1).sqrt()
        return masked(att - self.scale * dist, action_mask)

    def value(self, *obs: Tensor) -> Tensor:
        return torch.zeros(obs[0].shape[0])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[GraphPolicyNet, Path, dict]:
    from aerena.agents.solvers.onnx import export_graph_policy

    torch.manual_seed(0)
    net = TinyTSPNet().eval()
    out = tmp_path_factory.mktemp("tiny") / "tiny.onnx"
    res = export_graph_policy(net, out, meta={"command": "test"})
    return net, out, res


@pytest.fixture(scope="module", params=PROBLEMS)
def exported(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[GraphPolicyNet, Path, dict]:
    """Each problem's default net exported (fp32) with the full 1024-observation parity."""
    from aerena.agents.solvers.onnx import export_graph_policy

    problem = request.param
    net = small_net(problem)
    out = tmp_path_factory.mktemp(problem) / f"{problem}.onnx"
    res = export_graph_policy(net, out, parity_obs=1024, meta={"num_nodes": 20})
    return net, out, res


# --------------------------------------------------------------------------------------
# Export, metadata, parity
# --------------------------------------------------------------------------------------
def test_every_default_net_exports_with_fp32_parity(exported: tuple) -> None:
    net, out, res = exported
    assert out.is_file() and res["file"] == str(out) and res["precision"] == "fp32"
    rows = res["parity"]
    sizes = [r["label"] for r in rows[:-1]]
    assert sizes == [f"{net.problem} fp32 n={n}" for n in (10, 20, 50)]  # dynamic axis used
    total = rows[-1]
    assert total["n"] >= 1000
    assert total["max_abs_diff"] <= 1e-5
    # the small untrained nets' own float32 error is far below 1e-5: no widened bound
    assert total["ref_error"] < 5e-6 and total["tolerance"] == 1e-5
    assert total["masked_equal"]
    assert total["action_agreement"] == 1.0
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(".aerena-export")]


def test_model_metadata_and_dynamic_axes(exported: tuple) -> None:
    from aerena.agents.export_pipeline import STANDARD_DOMAINS
    from aerena.agents.solvers.onnx import ACTION_MEANING

    net, out, _ = exported
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    assert {n.domain for n in model.graph.node} <= set(STANDARD_DOMAINS)
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["problem"] == net.problem
    assert meta["action_meaning"] == ACTION_MEANING[net.problem]
    assert json.loads(meta["training_meta"]) == {"num_nodes": 20}
    layout = json.loads(meta["observation_layout"])
    assert layout["obs_keys"] == list(net.obs_keys)
    names = [i.name for i in model.graph.input]
    assert layout["input_order"] == names
    assert names == [k for k in net.obs_keys if k in names]
    for inp in model.graph.input:
        dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
        declared = layout["inputs"][inp.name]["shape"]
        assert dims == declared, inp.name
        for axis, name in net.dynamic_axes.get(inp.name, {}).items():
            assert declared[axis] == name
    out_dims = {
        o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]
        for o in model.graph.output
    }
    assert out_dims["logits"][0] == "batch" and isinstance(out_dims["logits"][1], str)
    assert out_dims["action"] == ["batch"]
    if net.problem in ("maxcut", "maxcover"):
        assert "last = stop" in meta["action_meaning"]


def test_tiny_net_runs_at_unseen_sizes_and_batches(tiny: tuple) -> None:
    from aerena.agents.solvers.onnx import make_env
    from aerena.deploy import GraphOnnxPolicy

    net, out, res = tiny
    assert res["parity"][-1]["max_abs_diff"] <= 1e-5
    policy = GraphOnnxPolicy.load(out)
    assert policy.problem == "tsp" and policy.training_meta == {"command": "test"}
    for size, batch in ((7, 1), (33, 3), (120, 2)):
        env = make_env("tsp", size)
        obs = [env.reset(seed=s)[0] for s in range(batch)]
        got = policy.logits(obs)
        with torch.no_grad():
            ref = net(*net.obs_tensors(obs)).numpy()
        assert got.shape == (batch, size)
        legal = ref > np.finfo(np.float32).min
        assert np.abs(got - ref)[legal].max() <= 1e-5
        assert np.array_equal(policy.act(obs), ref.argmax(axis=1))


def test_int8_export_keeps_greedy_actions(tiny: tuple, tmp_path: Path) -> None:
    from aerena.agents.solvers.onnx import export_graph_policy

    net, _, _ = tiny
    out = tmp_path / "tiny8.onnx"
    res = export_graph_policy(net, out, int8=True, parity_obs=1024)
    assert res["precision"] == "int8" and out.is_file()
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert "DynamicQuantizeLinear" in ops or "MatMulInteger" in ops
    int8 = [r for r in res["parity"] if r["label"].startswith("tsp int8")][-1]
    assert int8["n"] >= 1000 and int8["action_agreement"] >= 0.99
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny8.onnx"]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_int8_gate_writes_or_refuses_cleanly(problem: str, tmp_path: Path) -> None:
    """Untrained default nets have flat logits, so int8 often flips greedy actions: the
    export either passes the 99 % gate and writes the file, or refuses and writes nothing."""
    from aerena.agents.solvers.onnx import export_graph_policy, parity, record_observations

    net = small_net(problem)
    groups = record_observations(net, count=300)
    out = tmp_path / "m.onnx"
    try:
        res = export_graph_policy(net, out, int8=True, parity_obs=groups)
    except UserError as exc:
        assert str(exc).startswith(f"int8 parity check failed, nothing written: {problem} int8")
        assert list(tmp_path.iterdir()) == []
    else:
        # the gate's measure: the same action or one of torch's tied best (module docstring)
        assert res["parity"][-1]["tie_agreement"] >= 0.99
        assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]
        assert parity(net, out, groups)[-1].tie_agreement >= 0.99


@pytest.mark.parametrize("problem", ["tiny", *PROBLEMS])
def test_parity_failure_refuses_and_leaves_nothing(
    problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aerena.agents.solvers import onnx as gonnx

    net = TinyTSPNet().eval() if problem == "tiny" else small_net(problem)
    forward = gonnx.GreedyPolicy.forward

    def broken(self: Any, *obs: Tensor) -> tuple[Tensor, Tensor]:
        logits, action = forward(self, *obs)
        return logits + 1e-3 * torch.arange(logits.shape[-1], dtype=logits.dtype), action

    monkeypatch.setattr(gonnx.GreedyPolicy, "forward", broken)  # only the exported graph
    with pytest.raises(UserError, match="ONNX parity check failed, nothing written"):
        gonnx.export_graph_policy(net, tmp_path / "m.onnx", parity_obs=100)
    assert list(tmp_path.iterdir()) == []


def test_corrupted_weights_fail_parity(tiny: tuple, tmp_path: Path) -> None:
    from onnx import numpy_helper

    from aerena.agents.solvers.onnx import parity, record_observations

    net, out, _ = tiny
    model = onnx.load(str(out))
    for init in model.graph.initializer:  # every weight matrix 1 % larger
        w = numpy_helper.to_array(init)
        if w.dtype == np.float32 and w.ndim == 2:
            init.CopyFrom(numpy_helper.from_array(w * np.float32(1.01), init.name))
    bad = tmp_path / "bad.onnx"
    onnx.save(model, str(bad))
    rows = parity(net, bad, record_observations(net, count=120, sizes=(10,)), "tsp fp32")
    assert not rows[-1].ok(int8=False)
    assert rows[-1].max_abs_diff > 1e-5


def test_user_errors(tmp_path: Path) -> None:
    from aerena.agents.solvers.onnx import export_graph_policy, record_observations

    with pytest.raises(UserError, match="does not exist"):
        export_graph_policy(TinyTSPNet(), tmp_path / "nope" / "m.onnx")
    with pytest.raises(UserError, match="at least 1"):
        record_observations(TinyTSPNet(), count=0)


# --------------------------------------------------------------------------------------
# Closed loop, the runtime API
# --------------------------------------------------------------------------------------
def test_onnx_solve_equals_torch_greedy_decoding(exported: tuple) -> None:
    from aerena.agents.solvers.onnx import make_env, torch_solve
    from aerena.deploy import GraphOnnxPolicy

    net, out, _ = exported
    policy = GraphOnnxPolicy.load(out)
    for size, seed in ((10, 1), (20, 2), (20, 3)):
        env = make_env(net.problem, size)
        ref_obj, ref_sol = torch_solve(net, env, seed=seed)
        obj, sol = policy.solve(env, seed=seed)
        assert obj == ref_obj and np.array_equal(sol, ref_sol), (size, seed)
        # the same instance given explicitly, to an env padded to a larger size
        env.reset(seed=seed)
        inst = env.instance
        big = make_env(net.problem, size + 5)
        obj2, sol2 = policy.solve(big, instance=inst)
        ref2 = torch_solve(net, big, instance=inst)
        assert obj2 == ref2[0] and np.array_equal(sol2, ref2[1])


def test_graph_policy_act_api(tiny: tuple) -> None:
    from aerena.agents.solvers.onnx import make_env
    from aerena.deploy import GraphOnnxPolicy

    net, out, _ = tiny
    policy = GraphOnnxPolicy.load(out)
    env = make_env("tsp", 12)
    obs, _ = env.reset(seed=5)
    a = policy.act(obs)
    assert isinstance(a, int) and obs["action_mask"][a]
    assert policy.logits(obs).shape == (12,)
    batch = {k: np.stack([obs[k], obs[k]]) for k in obs}
    acts = policy.act(batch)
    assert acts.shape == (2,) and acts.dtype == np.int64 and (acts == a).all()
    rng = np.random.default_rng(0)
    draws = [policy.act(obs, greedy=False, rng=rng) for _ in range(50)]
    assert all(obs["action_mask"][d] for d in draws) and len(set(draws)) > 1
    with pytest.raises(KeyError, match="coords"):
        policy.act({"action_mask": obs["action_mask"]})


def test_deploy_solves_without_torch(exported: tuple) -> None:
    net, out, _ = exported
    if net.problem not in ("tsp", "maxcut"):
        return  # the import hygiene is the same for every problem: two are enough
    code = textwrap.dedent(
        f"""
        import importlib, json, sys
        from aerena.deploy import GraphOnnxPolicy
        from aerena.graphs import ENV_IDS

        policy = GraphOnnxPolicy.load({str(out)!r})
        mod, cls = ENV_IDS[policy.env_id].split(":")
        kw = {{"tsp": {{"num_nodes": 15}}, "cvrp": {{"num_nodes": 15}},
              "mvc": {{"num_nodes": 15}}, "maxcut": {{"num_nodes": 15}},
              "maxcover": {{"num_sets": 15}},
              "wta": {{"num_weapons": 15, "num_targets": 15}}}}[policy.problem]
        env = getattr(importlib.import_module(mod), cls)(**kw)
        obj, sol = policy.solve(env, seed=7)
        heavy = [m for m in ("torch", "ray", "torch_geometric") if m in sys.modules]
        print(json.dumps({{"heavy": heavy, "problem": policy.problem, "objective": obj}}))
        """
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["heavy"] == [] and got["problem"] == net.problem
    assert np.isfinite(got["objective"])


# --------------------------------------------------------------------------------------
# Latency report
# --------------------------------------------------------------------------------------
def test_latency_report_rows(tiny: tuple) -> None:
    from aerena.agents.solvers.onnx import latency_report

    net, out, _ = tiny
    rep = latency_report(net, {"onnxruntime fp32": out}, [10, 30], calls=30, warmup=5)
    assert list(rep) == ["n=10", "n=30"]
    for rows in rep.values():
        assert set(rows) == {"torch eager", "onnxruntime fp32"}
        assert all(r["median_ms"] > 0 and r["p99_ms"] >= r["median_ms"] for r in rows.values())
        assert rows["onnxruntime fp32"]["size_bytes"] == out.stat().st_size


def test_trained_size_and_report_sizes() -> None:
    from aerena.agents.solvers.onnx import report_sizes, trained_size

    assert trained_size("tsp", {"num_nodes": 50}) == 50
    assert trained_size("tsp", {"env_kwargs": {"num_nodes": 100}}) == 100
    assert trained_size("tsp", {}, "tsp20.pt") == 20
    assert trained_size("mvc", None, "policy.pt") == 20
    assert report_sizes("tsp", 20) == [20, 100]
    assert report_sizes("tsp", 100) == [100]
    assert report_sizes("mvc", 20) == [20]


# --------------------------------------------------------------------------------------
# aerena export POLICY.pt
# --------------------------------------------------------------------------------------
def _main_with_export(argv: list[str]) -> int:
    """`aerena` with the export subcommands registered (as aerena/cli.py does)."""
    from aerena import cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    if "export" not in sub.choices:
        from aerena.training import export_cli

        export_cli.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


@pytest.fixture
def tsp_checkpoint(tmp_path: Path) -> Path:
    from aerena.agents.solvers.base import save_checkpoint

    return save_checkpoint(small_net("tsp"), tmp_path / "tsp20.pt", meta={"command": "test"})


def test_cli_exports_a_graph_checkpoint_with_report(
    tsp_checkpoint: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aerena.agents.solvers import onnx as gonnx
    from aerena.deploy import GraphOnnxPolicy

    monkeypatch.setattr(gonnx, "LATENCY_CALLS", 100)  # the CLI measures 1000: keep it fast
    out = tsp_checkpoint.with_name("tsp20.onnx")
    argv = ["export", str(tsp_checkpoint), "--out", str(out), "--report", "--json"]
    assert _main_with_export(argv) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["files"] == {"tsp": str(out)} and rep["precision"] == "fp32"
    fp32 = [r for r in rep["parity"] if r["label"] == "tsp fp32 all sizes"][0]
    assert fp32["n"] >= 1000 and fp32["max_abs_diff"] <= 1e-5
    assert list(rep["report"]) == ["n=20", "n=100"]  # the trained size (file name) and 100
    for rows in rep["report"].values():
        assert set(rows) == {"torch eager", "onnxruntime fp32", "onnxruntime int8"}
        assert all(r["median_ms"] > 0 and r["size_bytes"] > 0 for r in rows.values())
    policy = GraphOnnxPolicy.load(out)
    assert policy.problem == "tsp" and policy.training_meta == {"command": "test"}


def test_cli_text_output(tsp_checkpoint: Path, capsys: Any) -> None:
    out = tsp_checkpoint.with_name("m.onnx")
    argv = ["export", str(tsp_checkpoint), "--out", str(out), "--parity-obs", "300"]
    assert _main_with_export(argv) == 0
    text = capsys.readouterr().out
    assert "parity tsp fp32 all sizes" in text
    assert f"wrote {out} (tsp, fp32)" in text


def test_cli_refuses_a_broken_graph_model(
    tsp_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from aerena.agents.solvers import onnx as gonnx

    forward = gonnx.GreedyPolicy.forward

    def broken(self: Any, *obs: Tensor) -> tuple[Tensor, Tensor]:
        logits, action = forward(self, *obs)
        return logits * 1.001, action

    monkeypatch.setattr(gonnx.GreedyPolicy, "forward", broken)
    out = tsp_checkpoint.with_name("m.onnx")
    argv = ["export", str(tsp_checkpoint), "--out", str(out), "--parity-obs", "300"]
    assert _main_with_export(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("error: ONNX parity check failed, nothing written: tsp fp32")
    assert [p.name for p in tsp_checkpoint.parent.iterdir()] == ["tsp20.pt"]


def test_cli_graph_user_errors(tsp_checkpoint: Path, tmp_path: Path, capsys: Any) -> None:
    out = str(tmp_path / "m.onnx")
    ck = str(tsp_checkpoint)
    assert _main_with_export(["export", ck, "--out", out, "--policy", "defender"]) == 2
    assert "--policy does not apply" in capsys.readouterr().err
    assert _main_with_export(["export", ck, "--out", out, "--dynamo"]) == 2
    assert "--dynamo" in capsys.readouterr().err
    bad = tmp_path / "bad.pt"
    torch.save({"x": 1}, bad)
    assert _main_with_export(["export", str(bad), "--out", out]) == 2
    assert "not an aerena graph-policy checkpoint" in capsys.readouterr().err
    # an RLlib checkpoint (a folder) still needs --policy
    assert _main_with_export(["export", str(tmp_path), "--out", out]) == 2
    assert "--policy is required" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()
