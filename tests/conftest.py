"""Shared fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def ray_local():
    """A fresh embedded Ray (2 CPUs) for one test module, one torch thread.

    ``address="local"`` always starts a new instance: a bare ``ray.init()`` would join any
    cluster already running on the machine (the cluster test starts one)."""
    ray = pytest.importorskip("ray")
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    yield
    ray.shutdown()
