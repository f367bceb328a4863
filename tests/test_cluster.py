"""Scale-out: a two-node Ray cluster on this machine; env runners on the second node sample.

`ray.cluster_utils.Cluster` starts a head node (1 CPU) and a second node (1 CPU and the
custom resource `worker_node`); training joins it with an address, as
`aerena train --address` does (`init_ray(address, exp)`), and the env runner asks for
`worker_node` so that Ray must place it on the second node.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
ray = pytest.importorskip("ray")
pytest.importorskip("ray.rllib")


@pytest.mark.slow
def test_env_runners_on_a_second_node_sample() -> None:
    from ray.cluster_utils import Cluster

    from aerena.training.config import experiment_for_scenario
    from aerena.training.train import build_algorithm_config, init_ray, iteration_record

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False},
    )
    node2 = cluster.add_node(num_cpus=1, resources={"worker_node": 1})
    algo = None
    try:
        exp = experiment_for_scenario(
            "tiny",
            {
                "learn": "defender",
                "algorithm.train_batch_size": 200,
                "algorithm.minibatch_size": 100,
                "algorithm.num_epochs": 1,
                "resources.num_env_runners": 1,
                "resources.num_envs_per_env_runner": 1,
                "resources.custom_resources_per_env_runner": {"worker_node": 0.5},
                "stop.iterations": 1,
            },
        ).config
        init_ray(cluster.address, exp)  # the `--address` path of aerena train
        nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
        assert node2.node_id in nodes and len(nodes) == 2
        algo = build_algorithm_config(exp).build_algo()
        result = algo.train()
        rec = iteration_record(result, exp, 0.0, 1.0, 0)
        # with remote env runners the driver's local runner does not sample: every step
        # of the batch came from the runner on the second node
        assert rec["env_steps"] >= 200
        assert result["env_runners"]["num_env_steps_sampled"] >= 200

        def where(runner):  # type: ignore[no-untyped-def]
            import ray as _ray

            return _ray.get_runtime_context().get_node_id(), runner.worker_index

        out = algo.env_runner_group.foreach_env_runner(where, local_env_runner=False)
        assert len(out) == 1
        node_id, index = out[0]
        assert index == 1
        assert node_id == node2.node_id != cluster.head_node.node_id
    finally:
        if algo is not None:
            algo.stop()
        ray.shutdown()
        cluster.shutdown()


@pytest.mark.slow
def test_pbt_smoke(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`aerena tune --pbt`: two trials, a perturbation every iteration, best.json written."""
    import json

    from aerena.training.config import experiment_for_scenario
    from aerena.training.tune import tune_pbt

    if ray.is_initialized():
        ray.shutdown()
    exp = experiment_for_scenario(
        "tiny",
        {"stop.iterations": 2, "algorithm.train_batch_size": 100,
         "algorithm.minibatch_size": 100, "algorithm.num_epochs": 1,
         "resources.num_envs_per_env_runner": 1, "tune.lr": [1e-4, 1e-3]},
    )  # fmt: skip
    try:
        out = tune_pbt(exp, population=2, interval=1, runs_dir=tmp_path)
    finally:
        ray.shutdown()
    assert out["best_config"]["lr"] in (1e-4, 1e-3, 0.8e-4, 1.2e-4, 0.8e-3, 1.2e-3)
    assert set(out["best_config"]) == {"lr", "entropy_coeff", "clip_param"}
    saved = json.loads((tmp_path / out["dir"] / "best.json").read_text())
    assert saved["best_config"] == out["best_config"]
    trials = [p for p in (tmp_path / out["dir"]).iterdir() if p.name.startswith("_trainable")]
    assert len(trials) == 2
