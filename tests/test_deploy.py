"""The torch-free runtime aerena.deploy: import hygiene, parity with torch in closed loop."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

SCENARIO = "tiny"
SMALL = {"dim": 16, "embed_dim": 16, "heads": 2, "layers": 2, "hidden": 32}
REPO = Path(__file__).resolve().parents[1]


def _build_modules(roles: tuple[str, ...], seed: int = 0) -> dict:
    """Untrained modules with spread-out policy heads (varied greedy actions)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("ray.rllib")
    import aerena
    from aerena.agents.rl_module import EntityGNNModule

    env = aerena.parallel_env(SCENARIO)
    first: dict[str, str] = {}
    for name in env.possible_agents:
        first.setdefault(name.rsplit("_", 1)[0], name)
    torch.manual_seed(seed)
    out = {}
    for role in roles:
        m = EntityGNNModule(
            observation_space=env.observation_space(first[role]),
            action_space=env.action_space(first[role]),
            model_config={**SMALL, "role": role},
        )
        for p in m.pi.parameters():
            torch.nn.init.normal_(p, std=0.5)
        out[role] = m.eval()
    return out


@pytest.fixture(scope="module")
def defender(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    pytest.importorskip("onnx")
    from aerena.agents.onnx_export import export_policy

    modules = _build_modules(("launcher", "radar"))
    out = tmp_path_factory.mktemp("deploy") / "model.onnx"
    export_policy(modules, "defender", out, scenario=SCENARIO, parity_count=256)
    return modules, out


def test_import_and_play_without_torch(defender: tuple[dict, Path]) -> None:
    _, out = defender
    code = textwrap.dedent(
        f"""
        import json, sys
        import numpy as np
        import aerena
        from aerena.deploy import OnnxPolicy
        from aerena.envs.airdefense.world import World

        policy = OnnxPolicy.load({str(out)!r})
        world = World("tiny", 2)
        world.reset([1, 2])
        player = policy.player(world, "defender")
        player.reset()
        acts = player.act()
        env = aerena.parallel_env("tiny", seed=3)
        obs, _ = env.reset()
        d = policy.act_dict(obs)
        heavy = [m for m in ("torch", "ray", "torch_geometric") if m in sys.modules]
        print(json.dumps({{"heavy": heavy, "roles": sorted(policy.roles),
                           "shape": list(acts.shape), "agents": sorted(d)}}))
        """
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["heavy"] == []
    assert got["roles"] == ["launcher", "radar"]
    assert got["agents"] and all(a.split("_")[0] in ("launcher", "radar") for a in got["agents"])


class _Recorder:
    """Wraps a player; keeps every action array it returns."""

    def __init__(self, player: Any) -> None:
        self.player = player
        self.log: list[np.ndarray] = []

    def reset(self, worlds: np.ndarray | None = None) -> None:
        self.player.reset(worlds)

    def act(self) -> np.ndarray:
        a = self.player.act()
        self.log.append(a.copy())
        return a


def test_closed_loop_episodes_equal_torch(defender: tuple[dict, Path]) -> None:
    import torch

    from aerena.agents.rl_module import LearnedPlayer
    from aerena.agents.scripted import make_player
    from aerena.deploy import OnnxPolicy
    from aerena.envs.airdefense.world import World
    from aerena.training.evaluate import play_episodes

    modules, out = defender
    policy = OnnxPolicy.load(out)
    torch.set_num_threads(1)
    runs = {}
    for label in ("torch", "onnx"):
        world = World(SCENARIO, 2)
        if label == "torch":
            me = _Recorder(LearnedPlayer(world, "defender", modules, seed=5))
        else:
            me = _Recorder(policy.player(world, "defender"))
        opp = make_player("attacker", "scripted", world, seed=6)
        rows = play_episodes(world, {"defender": me, "attacker": opp}, 4, 100)
        runs[label] = (rows, me.log)
    (rows_t, log_t), (rows_o, log_o) = runs["torch"], runs["onnx"]
    assert rows_t == rows_o
    assert len(log_t) == len(log_o) > 10
    for a, b in zip(log_t, log_o, strict=True):
        np.testing.assert_array_equal(a, b)
    acts = np.concatenate(log_t)
    assert len(np.unique(acts)) > 1  # the policy does act (engages / goes silent)


def test_act_dict_matches_torch_on_pettingzoo_obs(defender: tuple[dict, Path]) -> None:
    import torch
    from ray.rllib.core.columns import Columns

    import aerena
    from aerena.deploy import OnnxPolicy

    modules, out = defender
    policy = OnnxPolicy.load(
        [out.with_name("model.launcher.onnx"), out.with_name("model.radar.onnx")]
    )
    env = aerena.parallel_env(SCENARIO, seed=7)
    obs, _ = env.reset()
    rng = np.random.default_rng(0)
    steps = 0
    while env.agents and steps < 60:
        mine = policy.act_dict(obs)
        for agent, a in mine.items():
            o = obs[agent]
            batch = {Columns.OBS: {k: torch.from_numpy(np.asarray(v)[None]) for k, v in o.items()}}
            with torch.no_grad():
                logits = modules[agent.rsplit("_", 1)[0]].forward_inference(batch)
            assert a == int(logits[Columns.ACTION_DIST_INPUTS].argmax(dim=-1)[0])
        actions = {}
        for agent in env.agents:
            if agent in mine:
                actions[agent] = mine[agent]
            else:
                legal = np.flatnonzero(obs[agent]["action_mask"])
                actions[agent] = int(rng.choice(legal)) if len(legal) else 0
        obs, *_ = env.step(actions)
        steps += 1
    assert steps > 5


def test_load_errors(defender: tuple[dict, Path], tmp_path: Path) -> None:
    from aerena.deploy import OnnxPolicy

    _, out = defender
    with pytest.raises(FileNotFoundError):
        OnnxPolicy.load(tmp_path / "missing.onnx")
    radar = out.with_name("model.radar.onnx")
    from aerena.errors import UserError

    with pytest.raises(UserError, match="two models for role 'radar'"):
        OnnxPolicy.load([radar, radar])
    only = OnnxPolicy.load(radar)
    assert only.roles == ["radar"]
    assert only.models["radar"].action_meanings == ["emit", "silent"]


def test_play_onnx_command(defender: tuple[dict, Path], capsys: Any) -> None:
    from aerena import cli
    from aerena.training import export_cli

    _, out = defender
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    if "play-onnx" not in sub.choices:
        export_cli.add_parser(sub)
    args = parser.parse_args(["play-onnx", str(out), "--episodes", "3", "--worlds", "2", "--json"])
    assert args.func(args) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["side"] == "defender" and rep["scenario"] == SCENARIO
    assert len(rep["rows"]) == 3 and "win_rate" in rep["summary"]


def test_evaluate_onnx_is_play_onnx(defender: tuple[dict, Path], capsys: Any) -> None:
    """`aerena evaluate --onnx` plays the same episodes as `aerena play-onnx`."""
    from aerena import cli

    _, out = defender
    common = ["--episodes", "3", "--worlds", "2", "--json"]
    assert cli.main(["play-onnx", str(out), *common]) == 0
    played = json.loads(capsys.readouterr().out)
    assert cli.main(["evaluate", "--onnx", str(out), *common]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["rows"] == played["rows"]
    assert evaluated["summary"] == played["summary"]


def test_evaluate_needs_exactly_one_of_checkpoint_and_onnx(
    defender: tuple[dict, Path], capsys: Any
) -> None:
    from aerena import cli

    _, out = defender
    assert cli.main(["evaluate"]) == 2
    assert "needs a CHECKPOINT" in capsys.readouterr().err
    assert cli.main(["evaluate", "some/run", "--onnx", str(out)]) == 2
    assert "not both" in capsys.readouterr().err


def test_attacker_v2_closed_loop_episodes_equal_torch(tmp_path: Path) -> None:
    """A UAV policy on v2 observations (terrain view included) plays the same episodes
    exported to ONNX and run by aerena.deploy as in torch."""
    pytest.importorskip("onnx")
    import torch

    from aerena.agents.onnx_export import export_policy
    from aerena.agents.rl_module import LearnedPlayer
    from aerena.agents.scripted import make_player
    from aerena.deploy import OnnxPolicy
    from aerena.envs.airdefense import layout as Lo
    from aerena.envs.airdefense.world import World
    from aerena.training.evaluate import play_episodes

    modules = _build_modules(("uav",), seed=1)
    out = tmp_path / "uav.onnx"
    export_policy(modules, "attacker", out, scenario=SCENARIO, parity_count=128)
    policy = OnnxPolicy.load(out)
    torch.set_num_threads(1)
    runs = {}
    for label in ("torch", "onnx"):
        world = World(SCENARIO, 2)
        if label == "torch":
            me = _Recorder(LearnedPlayer(world, "attacker", modules, seed=5))
        else:
            me = _Recorder(policy.player(world, "attacker"))
        opp = make_player("defender", "scripted", world, seed=6)
        rows = play_episodes(world, {"attacker": me, "defender": opp}, 4, 100)
        runs[label] = (rows, me.log, world.state.obs_self.copy())
    (rows_t, log_t, obs_t), (rows_o, log_o, obs_o) = runs["torch"], runs["onnx"]
    assert rows_t == rows_o
    assert len(log_t) == len(log_o) > 10
    for a, b in zip(log_t, log_o, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(obs_t, obs_o)
    assert Lo.S_DIM == policy_self_dim(out)


def policy_self_dim(path: Path) -> int:
    """The `self` input width of an exported model."""
    import onnx

    model = onnx.load(str(path))
    for inp in model.graph.input:
        if inp.name == "self":
            return int(inp.type.tensor_type.shape.dim[-1].dim_value)
    raise AssertionError("no self input")
