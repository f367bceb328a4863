"""The shared blocks of :mod:`aerena.agents.nn` and the nets built on them.

Every shipped graph model (``graphs/models/*.pt``) and small seeded nets (the world
encoder and heads, each graph net class) are compared with outputs recorded in
``tests/fixtures/net_outputs.npz`` by the code before the blocks were shared. The fixture
holds the inputs too, so it does not depend on the envs. Rerun this module as a script to
record it again, only when a net's function is meant to change::

    OMP_NUM_THREADS=1 python tests/test_nn_blocks.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from aerena.agents.encoders import EntityEncoder  # noqa: E402
from aerena.agents.heads import MLPHead, PointerHead, ValueHead  # noqa: E402
from aerena.agents.nn import (  # noqa: E402
    LEGACY_BLOCK_KEYS,
    MultiHeadAttention,
    TransformerBlock,
    attention,
    mlp,
    split_heads,
)
from aerena.agents.solvers.base import build_net, load_checkpoint  # noqa: E402
from aerena.agents.solvers.routing import rollout_cvrp, rollout_tsp  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "net_outputs.npz"
MODELS = Path(__file__).resolve().parents[1] / "graphs" / "models"
SHIPPED = ("tsp20", "tsp100", "cvrp20", "cvrp100", "mvc", "maxcut", "maxcover", "wta", "im")
GEN = {  # the instances the recorded inputs come from (script mode only)
    "tsp": ("uniform", {"num_nodes": 12}),
    "cvrp": ("uniform", {"num_nodes": 10}),
    "mvc": ("ba", {"num_nodes": 12, "m": 2}),
    "maxcut": ("er", {"num_nodes": 11, "p": 0.35, "weights": "signed"}),
    "maxcover": ("bipartite", {"num_sets": 9, "num_items": 14, "costs": "uniform"}),
    "wta": ("uniform", {"num_weapons": 6, "num_targets": 5}),
    "im": ("wc", {"num_nodes": 12, "budget": 3, "m": 2}),
}
SMALL = {  # seeded nets (torch.manual_seed(1)): the initialisation order is recorded too
    "tsp": {"dim": 24, "heads": 3, "layers": 2, "ff": 40},
    "cvrp": {"dim": 16, "heads": 2, "layers": 1, "ff": 32},
    "mvc": {"dim": 16, "layers": 2},
    "maxcut": {"dim": 16, "layers": 2},
    "maxcover": {"dim": 16, "layers": 2},
    "wta": {"dim": 16, "heads": 2, "layers": 2},
    "im": {"dim": 16, "layers": 2},
}
# Attention scales q by 1/sqrt(C) (C the head width) before q k^T; the routing and WTA nets
# used to scale the scores after it. The two agree bit for bit when 1/sqrt(C) is a power of
# two (C = 4, 16, 64: every shipped model, the world encoder scaled q already); these
# seeded nets have C = 8 and differ from the record by a few float32 ulps.
ULP_ONLY = ("small_tsp", "small_cvrp", "small_wta")
TAGS = (*SHIPPED, *(f"small_{p}" for p in SMALL))


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def record() -> dict[str, np.ndarray]:
    return dict(np.load(FIXTURE))


def _cpu_model() -> str:
    """The CPU's model name (Linux), '' where unknown."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _same_machine(rec: dict[str, np.ndarray]) -> bool:
    """Recorded on this CPU model with the same kernel family and torch: then outputs must
    match bit for bit. Only the kernel family is not enough: on an AMD EPYC with AVX512
    oneDNN's kernels differ from the recording machine's by ~1e-6 (measured)."""
    model = str(rec["meta/cpu_model"]) if "meta/cpu_model" in rec else None
    return (
        model == _cpu_model()
        and str(rec["meta/cpu"]) == torch.backends.cpu.get_cpu_capability()
        and str(rec["meta/torch"]) == str(torch.__version__)
    )


# --------------------------------------------------------------------------------------
# What the nets compute (shared by the test and the recorder)
# --------------------------------------------------------------------------------------
def _net(tag: str):
    if tag.startswith("small_"):
        torch.manual_seed(1)
        problem = tag.removeprefix("small_")
        return build_net(problem, **SMALL[problem]).eval()
    return load_checkpoint(MODELS / f"{tag}.pt")[0]


def net_outputs(tag: str, net, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    x = net.obs_tensors(obs, batched=True)
    out = {}
    with torch.no_grad():
        out[f"{tag}/logits"] = net(*x).numpy()
        out[f"{tag}/value"] = net.value(*x).numpy()
        coords = torch.as_tensor(obs.get("coords", np.zeros(0)))
        if net.problem == "tsp":
            starts = torch.arange(coords.shape[1]).repeat(coords.shape[0], 1)
            r = rollout_tsp(net, coords, starts, sample=False)
        elif net.problem == "cvrp":
            r = rollout_cvrp(net, coords, torch.as_tensor(obs["demand"]), None, sample=False)
        if net.problem in ("tsp", "cvrp"):
            out[f"{tag}/rollout_actions"] = r.actions.numpy()
            out[f"{tag}/rollout_length"] = r.length.numpy()
    return out


def _world_nets():
    torch.manual_seed(3)
    enc = EntityEncoder(7, 9, 6, dim=24, embed_dim=20, heads=4, layers=2).eval()
    return enc, MLPHead(20, 32, 54), PointerHead(20, 24, 32, durations=2), ValueHead(20, 32)


def world_outputs(obs_self, ents, mask, nets=None) -> dict[str, np.ndarray]:
    enc, uav, launcher, value = nets or _world_nets()
    with torch.no_grad():
        e = enc(obs_self, ents, mask)
        return {
            "world/embedding": e.embedding.numpy(),
            "world/nodes": e.nodes.numpy(),
            "world/uav": uav(e).numpy(),
            "world/launcher": launcher(e).numpy(),
            "world/value": value(e.embedding).numpy(),
        }


def _world_inputs(rec: dict[str, np.ndarray]) -> tuple:
    return tuple(torch.as_tensor(rec[f"world/in/{k}"]) for k in ("self", "entities", "entity_mask"))


def _compare(rec: dict[str, np.ndarray], got: dict[str, np.ndarray], exact: bool) -> None:
    for key, arr in got.items():
        want = rec[key]
        assert arr.shape == want.shape and arr.dtype == want.dtype, key
        if exact:
            np.testing.assert_array_equal(arr, want, err_msg=key)
        elif "actions" not in key:  # another CPU may break a near-tie differently
            np.testing.assert_allclose(arr, want, rtol=1e-5, atol=1e-5, err_msg=key)


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("tag", TAGS)
def test_graph_nets_give_the_recorded_outputs(record, tag) -> None:
    net = _net(tag)
    obs = {k: record[f"{tag}/in/{k}"] for k in net.obs_keys}
    exact = _same_machine(record) and tag not in ULP_ONLY
    _compare(record, net_outputs(tag, net, obs), exact)


def test_world_encoder_and_heads_give_the_recorded_outputs(record) -> None:
    _compare(record, world_outputs(*_world_inputs(record)), _same_machine(record))


@pytest.mark.parametrize("tag", SHIPPED)
def test_shipped_checkpoints_load_through_the_key_map(tag) -> None:
    """The files keep their old child names; the blocks rename them at load, strictly."""
    payload = torch.load(MODELS / f"{tag}.pt", map_location="cpu", weights_only=True)
    net = _net(tag)  # load_checkpoint: load_state_dict(strict=True)
    file_keys, keys = set(payload["state_dict"]), set(net.state_dict())
    assert len(file_keys) == len(keys)
    if tag.startswith(("tsp", "cvrp", "wta")):
        assert file_keys != keys  # the attention blocks had other names
        assert any(".attn." in k for k in keys)
    else:
        assert file_keys == keys  # the node GNNs' names never changed
    for k, v in net.state_dict().items():
        if k in file_keys:
            assert torch.equal(v, payload["state_dict"][k]), k


def test_world_encoder_loads_its_old_key_names(record) -> None:
    """A state_dict saved before the shared block (`layers.i.conv.*`) loads strictly and
    also with ``strict=False`` (RLlib's `set_state`) without missing or unexpected keys."""
    nets = _world_nets()
    old = {k.replace(".attn.", ".conv."): v for k, v in nets[0].state_dict().items()}
    assert any(".conv.lin_query." in k for k in old)
    fresh = EntityEncoder(7, 9, 6, dim=24, embed_dim=20, heads=4, layers=2).eval()
    result = fresh.load_state_dict(old, strict=False)
    assert not result.missing_keys and not result.unexpected_keys
    EntityEncoder(7, 9, 6, dim=24, embed_dim=20, heads=4, layers=2).load_state_dict(old)
    got = world_outputs(*_world_inputs(record), (fresh, *nets[1:]))
    _compare(record, got, _same_machine(record))


def test_legacy_names_never_prefix_the_new_ones() -> None:
    keys = TransformerBlock(MultiHeadAttention(8, 2, pair_features=3), 8, 16).state_dict()
    assert not [k for k in keys for old in LEGACY_BLOCK_KEYS if k.startswith(old)]


def _attention_ref(q, k, v, keep, bias):
    """Slow NumPy reference: per batch, head and query, softmax over the kept keys."""
    q, k, v = (t.double().numpy() for t in (q, k, v))
    B, H, Q, C = q.shape
    out = np.zeros((B, Q, H * C))
    for b in range(B):
        for h in range(H):
            for i in range(Q):
                kept = np.flatnonzero(keep[b, min(i, keep.shape[1] - 1)].numpy())
                if kept.size == 0:  # nothing to attend to: uniform over every key
                    kept = np.arange(k.shape[2])
                    s = np.zeros(kept.size)
                else:
                    s = k[b, h, kept] @ q[b, h, i] / np.sqrt(C)
                    if bias is not None:
                        s = s + bias[b, h, i, kept].double().numpy()
                w = np.exp(s - s.max())
                out[b, i, h * C : (h + 1) * C] = (w / w.sum()) @ v[b, h, kept]
    return out


@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("per_query", [False, True])
def test_attention_equals_the_slow_reference(with_bias, per_query) -> None:
    g = torch.Generator().manual_seed(11)
    B, H, Q, K, C = 3, 2, 4, 6, 5
    q, k, v = (torch.randn(B, H, n, C, generator=g) for n in (Q, K, K))
    keep = torch.rand(B, Q if per_query else 1, K, generator=g) < 0.6
    keep[0, 0] = False  # a row that keeps no key
    keep[1, 0] = True
    bias = torch.randn(B, H, Q, K, generator=g) if with_bias else None
    got = attention(q, k, v, keep, bias).double().numpy()
    np.testing.assert_allclose(got, _attention_ref(q, k, v, keep, bias), atol=1e-5)
    # masked keys carry exactly zero weight: changing them changes nothing, bit for bit
    noise = torch.randn(B, H, K, C, generator=g) * 1e3
    drop = ~keep.any(1)[:, None, :, None]  # keys no query keeps
    drop[0] = False  # (the empty row of sample 0 averages every key)
    k2, v2 = torch.where(drop, noise, k), torch.where(drop, noise, v)
    assert torch.equal(attention(q, k2, v2, keep, bias)[1:], attention(q, k, v, keep, bias)[1:])


def test_split_heads_round_trips() -> None:
    x = torch.randn(2, 5, 12)
    s = split_heads(x, 3)
    assert s.shape == (2, 3, 5, 4)
    assert torch.equal(s.transpose(1, 2).reshape(2, 5, 12), x)


def test_mlp_layout_and_bad_widths() -> None:
    m = mlp(5, 7, 7, 2)
    assert [type(x).__name__ for x in m] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert (m[0].in_features, m[2].in_features, m[-1].out_features) == (5, 7, 2)
    assert m(torch.randn(3, 5)).shape == (3, 2)
    with pytest.raises(ValueError, match="at least"):
        mlp(4)


def test_pair_bias_attention_needs_pair_features() -> None:
    att = MultiHeadAttention(8, 2, pair_features=3)
    keep = torch.ones(1, 1, 4, dtype=torch.bool)
    with pytest.raises(ValueError, match="pair features"):
        att(torch.randn(1, 3, 8), keep, torch.randn(1, 4, 8))
    out = att(torch.randn(1, 3, 8), keep, torch.randn(1, 4, 8), torch.randn(1, 3, 4, 3))
    assert out.shape == (1, 3, 8)
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 4)


# --------------------------------------------------------------------------------------
# Recording (script mode)
# --------------------------------------------------------------------------------------
def _observations(problem: str, seed: int, steps: int = 3) -> dict[str, np.ndarray]:
    """Two stacked observations of an env: the start and a few random valid steps in."""
    from aerena import graphs
    from aerena.agents.solvers.envdecode import env_for_instance

    name, kw = GEN[problem]
    inst = graphs.problem(problem).generate(name, seed=seed, **kw)
    env = env_for_instance(problem, inst)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed, options={"instance": inst})
    rows = [obs]
    for _ in range(steps):
        legal = np.flatnonzero(obs["action_mask"])
        if problem in ("maxcut", "maxcover"):
            legal = legal[legal < env.action_space.n - 1]
        obs, _, term, _, _ = env.step(int(rng.choice(legal)))
        if term:
            break
    rows.append(obs)
    return {k: np.stack([np.asarray(r[k]) for r in rows]) for k in rows[0]}


def main() -> None:
    torch.set_num_threads(1)
    out: dict[str, np.ndarray] = {
        "meta/cpu": np.array(torch.backends.cpu.get_cpu_capability()),
        "meta/torch": np.array(str(torch.__version__)),
        "meta/cpu_model": np.array(_cpu_model()),
    }
    for tag in TAGS:
        net = _net(tag)
        obs = _observations(net.problem, 1 if tag.startswith("small_") else 0)
        out.update({f"{tag}/in/{k}": obs[k] for k in net.obs_keys})
        out.update(net_outputs(tag, net, obs))
    g = torch.Generator().manual_seed(4)
    B, S, K, F = 5, 7, 6, 9
    obs_self, ents = torch.randn(B, S, generator=g), torch.randn(B, K, F, generator=g)
    mask = (torch.rand(B, K, generator=g) < 0.6).to(torch.float32)
    mask[0], mask[1] = 0.0, 1.0  # an agent that sees nothing, one that fills every slot
    for k, v in (("self", obs_self), ("entities", ents), ("entity_mask", mask)):
        out[f"world/in/{k}"] = v.numpy()
    out.update(world_outputs(obs_self, ents, mask))
    np.savez_compressed(FIXTURE, **out)
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size} bytes, {len(out)} arrays)")


if __name__ == "__main__":
    main()
