"""``aerena train-solver``: train a learned graph-problem policy and save a ``.pt`` file.

    aerena train-solver tsp --algo pomo --nodes 20 --iterations 2000 --out tsp20.pt
    aerena train-solver tsp --algo pomo --engine torch --device cuda --minutes 8 --out tsp20.pt
    aerena train-solver mvc --algo ppo --iterations 40 --out mvc.pt \
        --ppo-options '--size-range 20 50'

Algorithms: ``pomo`` (routing: REINFORCE with POMO's shared multi-start baseline; engine
``rllib`` = the custom RLlib Algorithm/Learner of :mod:`aerena.graphs.learned.pomo_rllib`,
engine ``torch`` = the plain loop of :mod:`aerena.graphs.learned.pomo` that trained the
shipped models on a GPU) and ``ppo`` (every problem: RLlib PPO with action masks,
:mod:`aerena.graphs.learned.ppo`; ``--ppo-options`` go to it). The saved file
works with ``aerena solve PROBLEM ... --method model --model FILE`` and ``aerena export``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from aerena import cliargs
from aerena.errors import UserError

ROUTING = ("tsp", "cvrp")
PROBLEMS = ("tsp", "cvrp", "mvc", "maxcut", "maxcover", "wta")


def _check_device(name: str) -> None:
    """Refuse a torch device that does not exist here, before training starts."""
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"--device {name!r}: not a torch device (cpu, cuda, cuda:N)") from None
    if device.type == "cuda" and not (
        torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count()
    ):
        raise UserError(f"--device {name}: no such CUDA device on this machine")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-solver",
        help="train a learned graph-problem policy (POMO or PPO)",
        description=__doc__.replace("``", "'"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("problem", choices=PROBLEMS)
    p.add_argument(
        "--algo",
        choices=("pomo", "ppo"),
        default=None,
        help="default: pomo for tsp/cvrp, ppo otherwise",
    )
    p.add_argument("--engine", choices=("rllib", "torch"), default="rllib", help="pomo only")
    p.add_argument(
        "--nodes",
        type=cliargs.count(2, 100_000),
        default=20,
        help="TSP nodes / CVRP customers (pomo)",
    )
    p.add_argument(
        "--iterations", type=cliargs.count(1), default=None, help="updates (pomo) / PPO iterations"
    )
    p.add_argument(
        "--minutes",
        type=cliargs.positive(),
        default=None,
        help="wall-time budget (pomo, torch engine)",
    )
    p.add_argument(
        "--batch-size",
        type=cliargs.count(1, 1_000_000),
        default=64,
        help="instances per update (pomo)",
    )
    p.add_argument("--lr", type=cliargs.positive(1.0), default=1e-4, help="learning rate (pomo)")
    p.add_argument("--dim", type=cliargs.count(1, 4096), default=128)
    p.add_argument("--layers", type=cliargs.count(1, 64), default=3)
    p.add_argument("--heads", type=cliargs.count(1, 64), default=8)
    p.add_argument("--device", default="cpu", help="torch engine: cpu or cuda")
    p.add_argument("--seed", type=cliargs.seed, default=0)
    p.add_argument("--out", required=True, help="the policy file to write (.pt)")
    p.add_argument(
        "--ppo-options",
        default="",
        metavar="'OPTS'",
        help="more options for the PPO recipe, e.g. '--size-range 20 50 --lr 1e-4'",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    algo = args.algo or ("pomo" if args.problem in ROUTING else "ppo")
    import shlex

    extra = shlex.split(args.ppo_options)
    if algo == "ppo":
        from aerena.graphs.learned import ppo

        if args.iterations is None:
            raise UserError("--iterations is required for --algo ppo")
        return ppo.main(
            [args.problem, "--iterations", str(args.iterations), "--seed", str(args.seed),
             "--out", args.out, *extra]
        )  # fmt: skip
    if extra:
        raise UserError("--ppo-options apply to --algo ppo")
    if args.problem not in ROUTING:
        raise UserError(f"--algo pomo trains routing problems (tsp, cvrp), not {args.problem}")
    net_cfg = {"dim": args.dim, "layers": args.layers, "heads": args.heads, "ff": 4 * args.dim}
    command = "aerena train-solver " + " ".join(sys.argv[2:])

    def log(row: dict[str, Any]) -> None:
        print(json.dumps(row), flush=True)

    if args.engine == "torch":
        from aerena.graphs.learned import pomo

        if args.iterations is None and args.minutes is None:
            raise UserError("give --iterations or --minutes")
        _check_device(args.device)
        pomo.train(
            args.problem,
            args.nodes,
            minutes=args.minutes,
            steps=args.iterations,
            batch_size=args.batch_size,
            lr=args.lr,
            net_config=net_cfg,
            seed=args.seed,
            device=args.device,
            out=args.out,
            command=command,
            log=log,
        )
        print(f"saved {args.out}")
        return 0
    if args.iterations is None:
        raise UserError("--engine rllib needs --iterations")
    if args.minutes is not None or args.device != "cpu":
        raise UserError("--minutes and --device apply to --engine torch")
    from aerena.graphs.learned.base import save_checkpoint
    from aerena.graphs.learned.pomo_rllib import train_pomo_rllib

    t0 = time.perf_counter()
    net, history = train_pomo_rllib(
        args.problem,
        args.nodes,
        iterations=args.iterations,
        net=net_cfg,
        instances_per_batch=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        log=log,
    )
    meta = {
        "problem": args.problem,
        "nodes": args.nodes,
        "algorithm": "pomo (RLlib)",
        "steps": args.iterations,
        "instances": args.iterations * args.batch_size,
        "train_time_s": round(time.perf_counter() - t0, 1),
        "validation_length": history[-1]["val_length"] if history else None,
        "command": command,
    }
    save_checkpoint(net, args.out, meta)
    print(f"saved {args.out}")
    return 0
