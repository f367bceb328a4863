"""The learned node scorers (MVC, MaxCut, MaxCover, IM) and the WTA attention net: shapes,
masks, permutation equivariance, padding invariance, ONNX export, checkpoints, and
decoding on the env (:mod:`aerena.agents.solvers.envdecode`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aerena import graphs
from aerena.agents.solvers.base import build_net, load_checkpoint, save_checkpoint
from aerena.agents.solvers.envdecode import env_for_instance, solve_with_env
from aerena.errors import UserError

torch.set_num_threads(1)

PROBLEMS = ("mvc", "maxcut", "maxcover", "wta", "im")
SMALL_NET = {"dim": 16, "layers": 2}
GEN = {
    "mvc": ("ba", {"num_nodes": 12, "m": 2}),
    "maxcut": ("er", {"num_nodes": 11, "p": 0.35, "weights": "signed"}),
    "maxcover": ("bipartite", {"num_sets": 9, "num_items": 14, "costs": "uniform"}),
    "wta": ("uniform", {"num_weapons": 6, "num_targets": 5}),
    "im": ("wc", {"num_nodes": 12, "budget": 3, "m": 2}),
}
GEN2 = {  # a second, different size (ONNX)
    "mvc": ("er", {"num_nodes": 17, "p": 0.3}),
    "maxcut": ("ba", {"num_nodes": 15, "m": 2}),
    "maxcover": ("bipartite", {"num_sets": 13, "num_items": 21}),
    "wta": ("uniform", {"num_weapons": 9, "num_targets": 7}),
    "im": ("constant", {"num_nodes": 15, "budget": 4, "graph": "er", "p": 0.3, "prob": 0.2}),
}


def instance(problem: str, seed: int = 0, which: dict | None = None):
    name, kw = (which or GEN)[problem]
    return graphs.problem(problem).generate(name, seed=seed, **kw)


def net_of(problem: str, seed: int = 0):
    torch.manual_seed(seed)
    cfg = dict(SMALL_NET)
    if problem == "wta":
        cfg = {"dim": 16, "heads": 2, "layers": 2}
    return build_net(problem, **cfg).eval()


def mid_obs(env, inst, steps: int = 2, seed: int = 0):
    """An observation a few random valid steps into an episode."""
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed, options={"instance": inst})
    for _ in range(steps):
        legal = np.flatnonzero(obs["action_mask"])
        if env.problem in ("maxcut", "maxcover"):  # not the stop action
            legal = legal[legal < env.action_space.n - 1]
        if legal.size == 0:
            break
        obs, _, term, _, _ = env.step(int(rng.choice(legal)))
        if term:
            obs, _ = env.reset(seed=seed, options={"instance": inst})
            break
    return obs


def logits_of(net, obs) -> torch.Tensor:
    with torch.no_grad():
        return net(*net.obs_tensors(obs))


def padded_env(problem: str, inst):
    if problem == "mvc":
        from aerena.graphs.mvc.env import MVCEnv

        return MVCEnv(num_nodes=inst.n, max_nodes=inst.n + 5, max_edges=inst.graph.m + 9)
    if problem == "maxcut":
        from aerena.graphs.maxcut.env import MaxCutEnv

        return MaxCutEnv(num_nodes=inst.n, max_nodes=inst.n + 4, max_edges=inst.graph.m + 3)
    if problem == "maxcover":
        from aerena.graphs.maxcover.env import MaxCoverEnv

        return MaxCoverEnv(
            num_sets=inst.n_sets,
            max_sets=inst.n_sets + 3,
            max_items=inst.n_items + 6,
            max_edges=inst.set_items.shape[0] + 11,
        )
    if problem == "im":
        from aerena.graphs.im.env import IMEnv

        return IMEnv(num_nodes=inst.n, max_nodes=inst.n + 5, max_arcs=inst.m + 9)
    from aerena.graphs.wta.env import WTAEnv

    return WTAEnv(num_weapons=inst.m, num_targets=inst.n, max_weapons=inst.m + 3,
                  max_targets=inst.n + 2)  # fmt: skip


def n_actions_real(problem: str, inst) -> int:
    """Actions of the real nodes / sets / targets (the padded env has more)."""
    return inst.n_sets if problem == "maxcover" else inst.n


# --------------------------------------------------------------------------------------
# Shapes and masks
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("problem", PROBLEMS)
def test_shapes_and_masks(problem):
    inst = instance(problem)
    env = env_for_instance(problem, inst)
    net = net_of(problem)
    obs = [mid_obs(env, inst, steps=s, seed=s) for s in (0, 1, 2)]
    x = net.obs_tensors(obs)
    with torch.no_grad():
        logits = net(*x)
        value = net.value(*x)
    assert logits.shape == (3, env.action_space.n) and logits.dtype == torch.float32
    assert value.shape == (3,) and torch.isfinite(value).all()
    mask = torch.as_tensor(np.stack([o["action_mask"] for o in obs])) != 0
    lo = torch.finfo(torch.float32).min
    assert (logits[~mask] == lo).all()
    assert torch.isfinite(logits[mask]).all() and (logits[mask] > lo).all()
    probs = torch.softmax(logits, -1)
    assert (probs[~mask] == 0).all()
    assert torch.allclose(probs.sum(-1), torch.ones(3))


@pytest.mark.parametrize("problem", PROBLEMS)
def test_forward_on_env_reset(problem):
    import gymnasium

    from aerena.training.solvers.ppo import ENV_ID

    env = gymnasium.make(ENV_ID[problem])
    obs, _ = env.reset(seed=3)
    net = net_of(problem)
    assert set(net.obs_keys) <= set(obs) and "action_mask" in net.obs_keys
    logits = logits_of(net, obs)
    assert logits.shape == (1, env.action_space.n)
    a = int(logits.argmax())
    assert obs["action_mask"][a]


def test_unknown_config_is_user_error():
    with pytest.raises(UserError):
        build_net("mvc", dims=3)
    with pytest.raises(UserError):
        build_net("wta", dim=10, heads=3)


# --------------------------------------------------------------------------------------
# Permutation equivariance and padding invariance
# --------------------------------------------------------------------------------------
def _relabel(ei: np.ndarray, inv: np.ndarray, valid: np.ndarray) -> np.ndarray:
    out = ei.copy()
    out[valid] = inv[ei[valid]]
    return out


def permuted(problem: str, obs: dict, rng) -> tuple[dict, np.ndarray]:
    """(obs with the nodes / sets / targets permuted by perm, perm): new[i] = old[perm[i]]."""
    o = {k: np.array(v, copy=True) for k, v in obs.items()}
    if problem in ("mvc", "maxcut", "im"):
        n = int(o["node_mask"].sum())
        perm = np.concatenate([rng.permutation(n), np.arange(n, o["node_mask"].shape[0])])
        inv = np.argsort(perm)
        for k in ("node_features", "selected", "node_mask"):
            o[k] = o[k][perm]
        o["action_mask"][: perm.shape[0]] = obs["action_mask"][perm]
        em = o["edge_mask"] != 0
        ei = o["edge_index"].copy()
        ei[:, em] = inv[ei[:, em]]
        # shuffle the real edges too
        order = np.concatenate([rng.permutation(int(em.sum())), np.flatnonzero(~em)])
        o["edge_index"] = ei[:, order]
        o["edge_mask"] = o["edge_mask"][order]
        if "edge_weight" in o:
            o["edge_weight"] = o["edge_weight"][order]
        return o, perm
    if problem == "maxcover":
        s = int(o["set_mask"].sum())
        i = int(o["item_mask"].sum())
        perm = np.concatenate([rng.permutation(s), np.arange(s, o["set_mask"].shape[0])])
        iperm = np.concatenate([rng.permutation(i), np.arange(i, o["item_mask"].shape[0])])
        inv, iinv = np.argsort(perm), np.argsort(iperm)
        o["set_features"], o["set_mask"] = o["set_features"][perm], o["set_mask"][perm]
        o["item_features"], o["item_mask"] = o["item_features"][iperm], o["item_mask"][iperm]
        o["action_mask"][: perm.shape[0]] = obs["action_mask"][perm]
        em = o["edge_mask"] != 0
        o["edge_index"][0, em] = inv[o["edge_index"][0, em]]
        o["edge_index"][1, em] = iinv[o["edge_index"][1, em]]
        return o, perm
    t = int(o["target_mask"].sum())
    perm = np.concatenate([rng.permutation(t), np.arange(t, o["target_mask"].shape[0])])
    inv = np.argsort(perm)
    o["kill_prob"] = o["kill_prob"][:, perm]
    for k in ("values", "surviving", "target_mask", "action_mask"):
        o[k] = o[k][perm]
    a = o["assigned"]
    o["assigned"] = np.where(a >= 0, inv[np.maximum(a, 0)], a)
    return o, perm


@pytest.mark.parametrize("problem", PROBLEMS)
def test_permutation_equivariance(problem):
    inst = instance(problem, seed=1)
    env = env_for_instance(problem, inst)
    net = net_of(problem)
    rng = np.random.default_rng(0)
    for steps in (0, 2):
        obs = mid_obs(env, inst, steps=steps, seed=steps)
        pobs, perm = permuted(problem, obs, rng)
        a, b = logits_of(net, obs)[0], logits_of(net, pobs)[0]
        n = perm.shape[0]
        np.testing.assert_allclose(b[:n].numpy(), a[:n].numpy()[perm], rtol=0, atol=1e-5)
        np.testing.assert_allclose(b[n:].numpy(), a[n:].numpy(), rtol=0, atol=1e-5)  # stop
        va = net.value(*net.obs_tensors(obs))
        vb = net.value(*net.obs_tensors(pobs))
        np.testing.assert_allclose(vb.detach().numpy(), va.detach().numpy(), atol=1e-4)


@pytest.mark.parametrize("problem", PROBLEMS)
def test_padding_invariance(problem):
    inst = instance(problem, seed=2)
    tight, loose = env_for_instance(problem, inst), padded_env(problem, inst)
    net = net_of(problem)
    for steps in (0, 2):
        a = logits_of(net, mid_obs(tight, inst, steps=steps, seed=5))[0]
        b = logits_of(net, mid_obs(loose, inst, steps=steps, seed=5))[0]
        n = n_actions_real(problem, inst)
        np.testing.assert_allclose(b[:n].numpy(), a[:n].numpy(), rtol=0, atol=1e-5)
        if problem in ("maxcut", "maxcover"):  # the stop action is the last one
            assert abs(float(a[-1]) - float(b[-1])) < 1e-5


# --------------------------------------------------------------------------------------
# ONNX and checkpoints
# --------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the TorchScript exporter
@pytest.mark.parametrize("problem", PROBLEMS)
def test_onnx_export_two_sizes(problem, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    net = net_of(problem)
    inst1, inst2 = instance(problem, seed=4), instance(problem, seed=5, which=GEN2)
    env1, env2 = env_for_instance(problem, inst1), env_for_instance(problem, inst2)
    obs1 = [mid_obs(env1, inst1, steps=1, seed=1)]
    obs2 = [mid_obs(env2, inst2, steps=s, seed=s) for s in (0, 2, 3)]
    path = tmp_path / f"{problem}.onnx"
    axes = dict(net.dynamic_axes)
    axes["logits"] = {0: "batch", 1: "actions"}
    torch.onnx.export(
        net,
        net.obs_tensors(obs1),
        str(path),
        input_names=list(net.obs_keys),
        output_names=["logits"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for obs in (obs1, obs2):
        x = net.obs_tensors(obs)
        feed = {k: t.numpy() for k, t in zip(net.obs_keys, x, strict=True)}
        (out,) = sess.run(None, feed)
        with torch.no_grad():
            ref = net(*x).numpy()
        assert out.shape == ref.shape
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("problem", PROBLEMS)
def test_checkpoint_round_trip(problem, tmp_path):
    net = net_of(problem, seed=7)
    path = save_checkpoint(net, tmp_path / "net.pt", meta={"command": "test"})
    net2, meta = load_checkpoint(path)
    assert type(net2) is type(net) and meta == {"command": "test"}
    assert net2.config == net.config
    inst = instance(problem)
    obs = mid_obs(env_for_instance(problem, inst), inst, steps=1)
    assert torch.equal(logits_of(net, obs), logits_of(net2, obs))


# --------------------------------------------------------------------------------------
# Decoding on the env
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("problem", PROBLEMS)
def test_envdecode_valid_and_reproducible(problem):
    mod = graphs.problem(problem)
    inst = instance(problem, seed=6)
    net = net_of(problem)
    threads = torch.get_num_threads()
    val, sol, extras = solve_with_env(net, problem, inst, decode="greedy")
    mod.check_solution(inst, sol)
    assert val == pytest.approx(mod.objective(inst, sol), rel=1e-9, abs=1e-9)
    assert extras["rollouts"] == 1 and extras["steps"] >= 1
    v1, s1, e1 = solve_with_env(net, problem, inst, decode="sample", samples=6, seed=3)
    v2, s2, _ = solve_with_env(net, problem, inst, decode="sample", samples=6, seed=3)
    mod.check_solution(inst, s1)
    assert v1 == pytest.approx(mod.objective(inst, s1), rel=1e-9, abs=1e-9)
    assert v1 == v2 and np.array_equal(s1, s2)
    assert len(e1["objectives"]) == 6
    best = min(e1["objectives"]) if graphs.SENSE[problem] == "min" else max(e1["objectives"])
    assert v1 == best
    assert torch.get_num_threads() == threads
    assert torch.is_grad_enabled()  # decoding leaves autograd as it was


def test_envdecode_rejects_bad_input():
    net = net_of("mvc")
    inst = instance("mvc")
    with pytest.raises(UserError):
        solve_with_env(net, "maxcut", instance("maxcut"))
    with pytest.raises(UserError):
        solve_with_env(net, "mvc", inst, decode="beam")
    with pytest.raises(UserError):
        solve_with_env(net, "mvc", inst, decode="sample", samples=0)


def test_maxcut_reads_edge_weights():
    inst = instance("maxcut", seed=3)
    env = env_for_instance("maxcut", inst)
    net = net_of("maxcut")
    obs = mid_obs(env, inst, steps=1)
    flipped = dict(obs)
    flipped["edge_weight"] = -obs["edge_weight"]
    assert not torch.allclose(logits_of(net, obs), logits_of(net, flipped))
