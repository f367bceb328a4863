"""The process runtime of a training run: torch threads and the one Ray start.

:func:`start_ray` is the library's one ``ray.init`` call: an embedded local instance
(``address="local"``: always a new one, never an unrelated cluster that happens to run
on this machine, which ``ray.init()`` without an address would join), or the cluster at
`address`. :func:`init_ray` is `aerena train`'s start: the experiment's CPUs and threads,
an unreachable address or a failed start as one UserError.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from aerena.training.console import check_address, start_failure

if TYPE_CHECKING:
    from aerena.training.config import Experiment


def set_threads(n: int) -> None:
    """`n` torch / OpenMP / MKL threads for this process."""
    os.environ["OMP_NUM_THREADS"] = str(n)
    os.environ["MKL_NUM_THREADS"] = str(n)
    import torch  # heavy: only when a run sets its threads

    torch.set_num_threads(n)


def start_ray(
    address: str | None = None,
    *,
    num_cpus: int | None = None,
    threads: int | None = None,
    configure_logging: bool = False,
) -> bool:
    """Start an embedded local Ray (`address` None) or join the cluster at `address`,
    unless Ray is up; True when this call started it. `threads`: OMP / MKL threads of
    Ray's worker processes (their runtime env); `num_cpus` and `configure_logging` apply to
    the local instance. Ray's messages never reach the driver's console."""
    import ray  # heavy: only when a run starts Ray

    if ray.is_initialized():
        return False
    runtime_env = None
    if threads is not None:
        runtime_env = {
            "env_vars": {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
        }
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
    else:
        ray.init(
            address="local",
            num_cpus=num_cpus,
            include_dashboard=False,
            runtime_env=runtime_env,
            log_to_driver=False,
            configure_logging=configure_logging,
        )
    return True


def init_ray(address: str | None, exp: Experiment, log: Path | None = None) -> bool:
    """Start (or join, with `address`) Ray for `exp`; True if this call started it. A
    failure is one UserError (:func:`aerena.training.console.start_failure`; `log`: where
    Ray's messages went)."""
    import ray  # heavy: only when a run starts Ray

    if ray.is_initialized():
        return False
    check_address(address)
    try:
        return start_ray(
            address, num_cpus=exp.resources.num_cpus, threads=exp.resources.torch_threads
        )
    except (ConnectionError, RuntimeError, ValueError, OSError, TimeoutError) as exc:
        raise start_failure(address, exc, log) from None
