"""GNN agents: encoder symmetries, masking, dense-vs-PyG equivalence, the RLlib module."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ray.rllib")

from gymnasium import spaces  # noqa: E402

from aerena.agents.encoders import (  # noqa: E402
    DenseTransformerConv,
    EntityEncoder,
    PygEntityEncoder,
    to_pyg_batch,
)
from aerena.agents.heads import PointerHead, role_of_agent  # noqa: E402
from aerena.agents.nn import mask_logits  # noqa: E402
from aerena.envs.airdefense import layout as Lo  # noqa: E402

S, F = Lo.S_DIM, Lo.F_DIM


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _inputs(B: int, K: int, seed: int, p: float = 0.6) -> tuple:
    g = torch.Generator().manual_seed(seed)
    xs = torch.randn(B, S, generator=g)
    xe = torch.randn(B, K, F, generator=g)
    m = (torch.rand(B, K, generator=g) < p).to(torch.int8)
    m[0] = 0  # an agent that sees nothing
    m[1] = 1  # one that fills every slot
    return xs, xe, m


def _encoder(K: int, seed: int = 0, **kw: int) -> EntityEncoder:
    torch.manual_seed(seed)
    enc = EntityEncoder(S, F, K, dim=32, embed_dim=24, heads=4, layers=2, **kw)
    return enc.eval()


# --------------------------------------------------------------------------------------
# Encoder symmetries
# --------------------------------------------------------------------------------------
def test_encoder_is_permutation_invariant() -> None:
    K = 8
    enc = _encoder(K)
    xs, xe, m = _inputs(16, K, seed=1)
    out = enc(xs, xe, m)
    for s in range(5):
        perm = torch.randperm(K, generator=torch.Generator().manual_seed(100 + s))
        pout = enc(xs, xe[:, perm], m[:, perm])
        torch.testing.assert_close(pout.embedding, out.embedding, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(pout.nodes, out.nodes[:, perm], atol=1e-5, rtol=1e-5)


def test_masked_entities_have_no_influence() -> None:
    K = 8
    enc = _encoder(K)
    xs, xe, m = _inputs(16, K, seed=2)
    out = enc(xs, xe, m)
    garbage = xe.clone()
    hidden = m == 0
    garbage[hidden] = torch.randn(int(hidden.sum()), F) * 1e3
    garbage[hidden.nonzero()[:3].unbind(1)] = float("inf")  # even non-finite padding
    g_out = enc(xs, garbage, m)
    assert torch.equal(g_out.embedding, out.embedding)
    assert torch.equal(g_out.nodes, out.nodes)
    assert torch.all(out.nodes[hidden] == 0)
    assert torch.isfinite(out.embedding).all()


def test_encoder_accepts_any_k() -> None:
    enc = _encoder(8)
    for K in (1, 3, 20):
        xs, xe, m = _inputs(4, K, seed=K)
        out = enc(xs, xe, m)
        assert out.embedding.shape == (4, 24) and out.nodes.shape == (4, K, 32)


def test_launcher_head_follows_the_entities() -> None:
    K = 6
    enc = _encoder(K)
    torch.manual_seed(3)
    head = PointerHead(24, 32, 16).eval()
    xs, xe, m = _inputs(8, K, seed=3)
    logits = head(enc(xs, xe, m))
    perm = torch.randperm(K, generator=torch.Generator().manual_seed(4))
    plog = head(enc(xs, xe[:, perm], m[:, perm]))
    torch.testing.assert_close(plog[:, 0], logits[:, 0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(plog[:, 1:], logits[:, 1:][:, perm], atol=1e-5, rtol=1e-5)


# --------------------------------------------------------------------------------------
# Dense attention == torch_geometric
# --------------------------------------------------------------------------------------
def test_dense_conv_equals_pyg_transformer_conv() -> None:
    pyg = pytest.importorskip("torch_geometric")
    from torch_geometric.nn import TransformerConv

    torch.manual_seed(5)
    D, H, B, N = 16, 4, 6, 7
    ref = TransformerConv(D, D // H, heads=H)
    dense = DenseTransformerConv(D, D, H)
    dense.load_state_dict(ref.state_dict())
    x = torch.randn(B, N, D)
    mask = torch.rand(B, N) < 0.7
    mask[:, 0] = True
    out = dense(x, mask)
    for b in range(B):
        idx = mask[b].nonzero().flatten()
        n = len(idx)
        ii = torch.arange(n)
        edge_index = torch.stack([ii.repeat_interleave(n), ii.repeat(n)])  # complete + loops
        want = ref(x[b, idx], edge_index)
        torch.testing.assert_close(out[b, idx], want, atol=1e-5, rtol=1e-5)
    assert pyg.__version__


def test_dense_encoder_equals_pyg_encoder() -> None:
    pytest.importorskip("torch_geometric")
    K = 8
    dense = _encoder(K, seed=6)
    ref = PygEntityEncoder(S, F, K, dim=32, embed_dim=24, heads=4, layers=2).eval()
    ref.load_state_dict(dense.state_dict())  # same parameter names
    xs, xe, m = _inputs(12, K, seed=7)
    a = dense(xs, xe, m)
    batch = to_pyg_batch(xs, xe, m)
    assert batch.num_graphs == 12
    assert batch.num_nodes == 12 + int(m.sum())
    b = ref(batch)
    torch.testing.assert_close(a.embedding, b.embedding, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.nodes, b.nodes, atol=1e-5, rtol=1e-5)


class _EmbedOnly(torch.nn.Module):
    def __init__(self, enc: EntityEncoder) -> None:
        super().__init__()
        self.enc = enc

    def forward(self, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> tuple:
        out = self.enc(a, b, c)
        return out.embedding, out.nodes


def test_dense_encoder_exports_with_dynamic_batch() -> None:
    """The inference path is plain torch: `torch.export` (the front end of the ONNX
    exporter) captures it with a dynamic batch size, and the export agrees on new inputs."""
    K = 8
    enc = _encoder(K, seed=8)
    model = _EmbedOnly(enc).eval()
    xs, xe, m = _inputs(4, K, seed=8)
    batch = torch.export.Dim("batch", min=1, max=4096)
    with torch.no_grad():
        prog = torch.export.export(
            model, (xs, xe, m), dynamic_shapes=({0: batch}, {0: batch}, {0: batch})
        )
    ops = {str(n.target) for n in prog.graph.nodes if n.op == "call_function"}
    assert not any("torch_geometric" in o or "scatter" in o for o in ops)
    xs2, xe2, m2 = _inputs(9, K, seed=9)
    with torch.no_grad():
        got = prog.module()(xs2, xe2, m2)
        want = model(xs2, xe2, m2)
    torch.testing.assert_close(got[0], want[0])
    torch.testing.assert_close(got[1], want[1])


def test_onnx_export_if_available(tmp_path) -> None:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    K = 8
    enc = _encoder(K, seed=10)
    xs, xe, m = _inputs(4, K, seed=10)

    torch.onnx.export(_EmbedOnly(enc).eval(), (xs, xe, m), str(tmp_path / "enc.onnx"))
    assert (tmp_path / "enc.onnx").stat().st_size > 0


# --------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------
def test_mask_logits_zero_probability_and_finite_gradients() -> None:
    logits = torch.randn(5, 7, requires_grad=True)
    mask = torch.tensor(np.random.default_rng(0).random((5, 7)) < 0.5, dtype=torch.int8)
    mask[0] = 0  # nothing legal: action 0 only
    mask[1, 3] = 1
    masked = mask_logits(logits, mask)
    probs = torch.softmax(masked, -1)
    legal = mask.bool()
    legal[0, 0] = True
    assert torch.all(probs[~legal] == 0)
    assert torch.allclose(probs.sum(-1), torch.ones(5))
    dist = torch.distributions.Categorical(logits=masked)
    loss = -dist.entropy().sum() + dist.log_prob(torch.tensor([0, 3, 3, 3, 3]).clamp(max=6)).sum()
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    assert torch.all(logits.grad[~legal] == 0)


def _obs_space(K: int, n: int) -> spaces.Dict:
    return spaces.Dict(
        {
            "self": spaces.Box(-10, 10, (S,), np.float32),
            "entities": spaces.Box(-10, 10, (K, F), np.float32),
            "entity_mask": spaces.Box(0, 1, (K,), np.int8),
            "action_mask": spaces.Box(0, 1, (n,), np.int8),
        }
    )


@pytest.mark.parametrize(("role", "n"), [("uav", 54), ("launcher", 9), ("radar", 2)])
def test_sampled_actions_are_always_legal(role: str, n: int) -> None:
    from ray.rllib.core.columns import Columns

    from aerena.agents.rl_module import EntityGNNModule

    K = 8
    torch.manual_seed(11)
    module = EntityGNNModule(
        observation_space=_obs_space(K, n),
        action_space=spaces.Discrete(n),
        model_config={"dim": 16, "embed_dim": 16, "heads": 2, "layers": 2, "hidden": 32},
    )
    assert module.role == role
    rng = np.random.default_rng(12)
    B = 256
    xs, xe, m = _inputs(B, K, seed=13)
    am = rng.random((B, n)) < rng.random((B, 1))  # sparse to dense masks
    am[np.arange(B), rng.integers(0, n, B)] = True  # at least one legal action
    am[:4] = False
    am[:4, rng.integers(0, n)] = True  # exactly one legal action
    obs = {
        "self": xs,
        "entities": xe,
        "entity_mask": m,
        "action_mask": torch.tensor(am, dtype=torch.int8),
    }
    out = module.forward_exploration({Columns.OBS: obs})
    logits = out[Columns.ACTION_DIST_INPUTS]
    dist = module.get_exploration_action_dist_cls().from_logits(logits)
    legal = torch.tensor(am)
    for _ in range(50):
        a = dist.sample()
        assert bool(legal[torch.arange(B), a].all())
    greedy = module.forward_inference({Columns.OBS: obs})[Columns.ACTION_DIST_INPUTS]
    assert bool(legal[torch.arange(B), greedy.argmax(-1)].all())
    train = module.forward_train({Columns.OBS: obs})
    values = module.compute_values({Columns.OBS: obs}, embeddings=train[Columns.EMBEDDINGS])
    assert values.shape == (B,)
    torch.testing.assert_close(values, module.compute_values({Columns.OBS: obs}))
    module.make_target_networks()  # APPO's target nets
    from ray.rllib.core.rl_module.apis.target_network_api import (
        TARGET_NETWORK_ACTION_DIST_INPUTS,
    )

    tgt = module.forward_target({Columns.OBS: obs})[TARGET_NETWORK_ACTION_DIST_INPUTS]
    torch.testing.assert_close(tgt, logits)


def test_module_sizes_from_model_config() -> None:
    from aerena.agents.rl_module import EntityGNNModule

    module = EntityGNNModule(
        observation_space=_obs_space(4, 5),
        action_space=spaces.Discrete(5),
        model_config={"dim": 24, "embed_dim": 20, "heads": 3, "layers": 3, "hidden": 40},
    )
    assert module.role == "launcher"
    assert len(module.encoder.layers) == 3
    assert module.encoder.embed_dim == 20 and module.encoder.layers[0].attn.heads == 3
    with pytest.raises(ValueError, match="1 \\+ K"):
        EntityGNNModule(
            observation_space=_obs_space(4, 7),
            action_space=spaces.Discrete(7),
            model_config={"role": "launcher"},
        )


def test_chunked_value_pass_equals_one_pass() -> None:
    """compute_values without embeddings (RLlib's GAE pass) runs the encoder in chunks of
    `value_chunk` rows; values and gradients match one pass over the whole batch."""
    from ray.rllib.core.columns import Columns

    from aerena.agents.rl_module import EntityGNNModule

    K, n, B = 6, 7, 203  # 203 = 3 full chunks of 64 and a ragged one
    cfg = {"dim": 16, "embed_dim": 16, "heads": 2, "layers": 2, "hidden": 32}
    mods = []
    for chunk in (64, 0):
        torch.manual_seed(3)
        mods.append(
            EntityGNNModule(
                observation_space=_obs_space(K, n),
                action_space=spaces.Discrete(n),
                model_config={**cfg, "value_chunk": chunk},
            )
        )
    xs, xe, m = _inputs(B, K, seed=5)
    obs = {"self": xs, "entities": xe, "entity_mask": m,
           "action_mask": torch.ones(B, n, dtype=torch.int8)}  # fmt: skip
    v_chunked, v_one = (mod.compute_values({Columns.OBS: obs}) for mod in mods)
    assert v_chunked.shape == (B,)
    torch.testing.assert_close(v_chunked, v_one, rtol=1e-5, atol=1e-6)
    w = torch.linspace(-1, 1, B)
    for v in (v_chunked, v_one):
        (w * v).sum().backward()
    pairs = zip(mods[0].named_parameters(), mods[1].named_parameters(), strict=True)
    for (name, p1), (_, p2) in pairs:
        if p1.grad is None:
            assert p2.grad is None, name
            continue
        torch.testing.assert_close(p1.grad, p2.grad, rtol=1e-4, atol=1e-6, msg=name)


def test_learned_player_acts_legally_in_the_world() -> None:
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from aerena.agents.rl_module import EntityGNNModule, LearnedPlayer
    from aerena.agents.scripted import make_player, side_columns
    from aerena.envs.airdefense.rllib_env import AirDefenseMultiAgentEnv
    from aerena.envs.airdefense.world import World

    env = AirDefenseMultiAgentEnv({"scenario": "tiny"})
    modules = {}
    for agent in env.possible_agents:
        role = role_of_agent(agent)
        if role not in modules:
            spec = RLModuleSpec(
                module_class=EntityGNNModule,
                observation_space=env.observation_spaces[agent],
                action_space=env.action_spaces[agent],
                model_config={"role": role, "dim": 16, "embed_dim": 16, "heads": 2},
            )
            modules[role] = spec.build()
    world = World("tiny", 4)
    world.reset([0, 1, 2, 3])
    players = {
        "defender": LearnedPlayer(world, "defender", modules, seed=0, sample=True),
        "attacker": LearnedPlayer(world, "attacker", modules),
    }
    for p in players.values():
        p.reset()
    actions = np.zeros((4, world.sizes["N"]), dtype=np.int64)
    s = world.state
    for _ in range(60):
        for side, p in players.items():
            cols = side_columns(world, side)
            a = p.act()
            live = s.agent_alive[:, cols]
            legal = np.take_along_axis(s.act_mask[:, cols], a[..., None], axis=2)[..., 0]
            assert np.all(legal[live])
            actions[:, cols] = a
        world.step(actions)
        assert not s.invalid.any()
        if world.done.all():
            break
    assert make_player("attacker", "random", world) is not None
