"""ONNX export of the per-role policies (aerena.agents.onnx_export, `aerena export`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("ray.rllib")

from aerena.errors import UserError  # noqa: E402

SCENARIO = "tiny"
SMALL = {"dim": 16, "embed_dim": 16, "heads": 2, "layers": 2, "hidden": 32}


def build_modules(roles: tuple[str, ...] = ("uav", "launcher", "radar"), seed: int = 0) -> dict:
    """Untrained modules per role on the scenario's spaces; policy heads re-initialised
    with larger weights so the greedy actions vary (an exacting parity test)."""
    import aerena
    from aerena.agents.rl_module import EntityGNNModule

    env = aerena.parallel_env(SCENARIO)
    first = {}
    for name in env.possible_agents:
        first.setdefault(name.rsplit("_", 1)[0], name)
    torch.manual_seed(seed)
    out = {}
    for role in roles:
        agent = first[role]
        m = EntityGNNModule(
            observation_space=env.observation_space(agent),
            action_space=env.action_space(agent),
            model_config={**SMALL, "role": role},
        )
        for p in m.pi.parameters():
            torch.nn.init.normal_(p, std=0.5)
        out[role] = m.eval()
    return out


@pytest.fixture(scope="module")
def modules() -> dict:
    return build_modules(seed=1)  # a seed whose untrained launcher does not always hold


@pytest.fixture(scope="module")
def exported(modules: dict, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from aerena.agents.onnx_export import export_policy

    d = tmp_path_factory.mktemp("onnx")
    res = export_policy(modules, "defender", d / "model.onnx", scenario=SCENARIO)
    return d, res


def test_defender_export_writes_one_checked_model_per_role(exported: Any) -> None:
    from aerena.agents.export_pipeline import STANDARD_DOMAINS

    d, res = exported
    assert set(res.paths) == {"launcher", "radar"}
    assert res.paths["launcher"] == d / "model.launcher.onnx"
    assert sorted(p.name for p in d.iterdir()) == ["model.launcher.onnx", "model.radar.onnx"]
    for role, path in res.paths.items():
        model = onnx.load(str(path))
        onnx.checker.check_model(model, full_check=True)
        assert {n.domain for n in model.graph.node} <= set(STANDARD_DOMAINS)
        assert [i.name for i in model.graph.input] == [
            "self",
            "entities",
            "entity_mask",
            "action_mask",
        ]
        assert [o.name for o in model.graph.output] == ["logits", "action"]
        for v in (*model.graph.input, *model.graph.output):
            assert v.type.tensor_type.shape.dim[0].dim_param == "batch"
        meta = {p.key: p.value for p in model.metadata_props}
        assert meta["role"] == role and meta["scenario"] == SCENARIO
        assert meta["aerena_version"]
        layout = json.loads(meta["observation_layout"])
        from aerena.envs.airdefense import layout as Lo

        assert layout["self_features"] == list(Lo.SELF_FEATURES)
        assert layout["entity_features"] == list(Lo.ENTITY_FEATURES)
        meanings = json.loads(meta["action_meanings"])
        assert len(meanings) == layout["A"]
    radar = json.loads(
        {p.key: p.value for p in onnx.load(str(res.paths["radar"])).metadata_props}[
            "action_meanings"
        ]
    )
    assert radar == ["emit", "silent"]


def test_fp32_parity_on_recorded_observations(exported: Any) -> None:
    _, res = exported
    assert {p.role for p in res.parity} == {"launcher", "radar"}
    for p in res.parity:
        assert p.n >= 1000
        assert p.max_abs_diff <= 1e-5
        assert p.masked_equal and p.action_agreement == 1.0


def test_parity_varies_actions_and_dynamic_batch(modules: dict, exported: Any) -> None:
    import onnxruntime as ort

    from aerena.agents.onnx_export import record_observations, torch_logits

    _, res = exported
    obs = record_observations(SCENARIO, None, ["launcher"], count=1024)["launcher"]
    ref = torch_logits(modules["launcher"], obs)
    assert len(np.unique(ref.argmax(axis=1))) > 1  # the test policy does not always hold
    sess = ort.InferenceSession(str(res.paths["launcher"]), providers=["CPUExecutionProvider"])
    for b in (1, 7):
        feeds = {
            "self": obs[0][:b],
            "entities": obs[1][:b],
            "entity_mask": obs[2][:b] != 0,
            "action_mask": obs[3][:b] != 0,
        }
        logits, action = sess.run(None, feeds)
        assert logits.shape == (b, ref.shape[1]) and action.dtype == np.int64
        np.testing.assert_array_equal(action, ref[:b].argmax(axis=1))


def test_int8_keeps_greedy_agreement(modules: dict, tmp_path: Path) -> None:
    from aerena.agents.onnx_export import export_policy

    res = export_policy(
        {"radar": modules["radar"]}, "radar", tmp_path / "r8.onnx", scenario=SCENARIO, int8=True
    )
    (q,) = [p for p in res.parity if p.role == "radar int8"]
    assert q.action_agreement >= 0.99
    assert res.paths == {"radar": tmp_path / "r8.onnx"}
    model = onnx.load(str(tmp_path / "r8.onnx"))
    assert any(n.op_type in ("MatMulInteger", "DynamicQuantizeLinear") for n in model.graph.node)
    assert {p.key for p in model.metadata_props} >= {"role", "observation_layout"}


def test_attacker_export_writes_the_out_path(modules: dict, tmp_path: Path) -> None:
    from aerena.agents.onnx_export import export_policy

    res = export_policy(modules, "attacker", tmp_path / "att.onnx", scenario=SCENARIO)
    assert res.paths == {"uav": tmp_path / "att.onnx"}
    assert [p.name for p in tmp_path.iterdir()] == ["att.onnx"]
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "att.onnx")).metadata_props}
    meanings = json.loads(meta["action_meanings"])
    assert len(meanings) == 54 and meanings[13] == "jam off, turn +0, climb +0, speed cruise"


def test_unknown_policy_is_a_user_error(modules: dict, tmp_path: Path) -> None:
    from aerena.agents.onnx_export import export_policy

    with pytest.raises(UserError, match="no module nope"):
        export_policy(modules, "nope", tmp_path / "m.onnx", scenario=SCENARIO)


def test_plan_radar_needs_its_play_options(modules: dict, tmp_path: Path) -> None:
    """A radar trained with `emission_plan` picks one of 16 delays, not emit/silent: export
    refuses it without the run's play options (it would be played per step), and checks it
    against them (aerena.deploy then plays the plan through SidePlay)."""
    import gymnasium as gym

    from aerena.agents.onnx_export import check_choices, resolve_roles

    class PlanRadar:
        action_space = gym.spaces.Discrete(16)

    plan = {**modules, "radar": PlanRadar()}
    roles = resolve_roles("defender", plan)
    with pytest.raises(UserError, match="16 actions, its play options give 2 choices"):
        check_choices(plan, roles, SCENARIO, None, None)
    check_choices(plan, roles, SCENARIO, None, {"emission_plan": (60.0, 16)})
    with pytest.raises(UserError, match="give 8 choices"):
        check_choices(plan, roles, SCENARIO, None, {"emission_plan": (60.0, 8)})


def _main_with_export(argv: list[str]) -> int:
    """`aerena` with the export subcommands registered (as aerena/cli.py will)."""
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


def test_export_refuses_a_broken_model(
    modules: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from aerena.agents import onnx_export
    from aerena.training import export_cli

    forward = onnx_export.InferencePolicy.forward

    def broken(self: Any, *args: Any) -> Any:
        logits, action = forward(self, *args)
        return logits + 1e-3 * torch.arange(logits.shape[-1], dtype=logits.dtype), action

    monkeypatch.setattr(onnx_export.InferencePolicy, "forward", broken)
    monkeypatch.setattr(export_cli, "_load", lambda ck, sc: (modules, SCENARIO, {}))
    out = tmp_path / "model.onnx"
    rc = _main_with_export(["export", "ck", "--policy", "defender", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.count("\n") == 0
    assert err.startswith("error: ONNX parity check failed, nothing written: launcher")
    assert list(tmp_path.iterdir()) == []  # no model, no temporary folder


def test_export_cli_writes_models_and_report(
    modules: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from aerena.training import export_cli

    monkeypatch.setattr(export_cli, "_load", lambda ck, sc: (modules, SCENARIO, {}))
    out = tmp_path / "model.onnx"
    argv = ["export", "ck", "--policy", "radar", "--out", str(out), "--report", "--json"]
    assert _main_with_export(argv) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["files"] == {"radar": str(out)}
    rows = rep["report"]["radar"]
    assert set(rows) == {"torch eager", "onnxruntime fp32", "onnxruntime int8"}
    assert all(r["median_ms"] > 0 and r["size_bytes"] > 0 for r in rows.values())


def test_dynamo_exporter_also_passes_the_checks(modules: dict, tmp_path: Path) -> None:
    pytest.importorskip("onnxscript")
    from aerena.agents.export_pipeline import STANDARD_DOMAINS
    from aerena.agents.onnx_export import export_policy

    out = tmp_path / "radar.onnx"
    res = export_policy({"radar": modules["radar"]}, "radar", out, scenario=SCENARIO, dynamo=True)
    (p,) = res.parity
    assert p.n >= 1000 and p.max_abs_diff <= 1e-5 and p.action_agreement == 1.0
    model = onnx.load(str(out))
    assert {n.domain for n in model.graph.node} <= set(STANDARD_DOMAINS)
