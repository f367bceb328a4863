"""``aerena solve``: run a baseline of a graph problem on a file, a shipped benchmark or a
generated instance, and report objective, gap to the optimum and time.

    aerena solve tsp berlin52 --method ils --time-limit 2
    aerena solve tsp path/to/a280.tsp --method 2opt --out a280.tour
    aerena solve cvrp --generate n=50,seed=1 --method ils --json
    aerena solve mvc --generate n=1000,seed=0,kind=ba,m=4 --method greedy
    aerena solve im --generate n=2000,seed=0,kind=wc,budget=50 --method celf

Instances: a benchmark name (``graphs/common/benchmarks.py``), a file (TSP ``.tsp``, CVRP
``.vrp``; MVC/MaxCut edge lists ``.txt``/``.edges``, DIMACS ``.col``/``.dimacs``/``.clq``,
rudy ``.rudy``/``.mc``; MaxCover, WTA and IM the JSON written by :func:`instance_to_json`), or
``--generate key=value,...`` (``n`` = number of nodes, sets for MaxCover, weapons for WTA;
``kind`` = generator, default its first; ``seed``; other keys go to the generator).

Optimum: ``--optimum X``, else the benchmark table, else a ``.opt.tour`` (TSP) or ``.sol``
(CVRP, its cost line) next to the file.

Solutions (``--out``, written atomically): TSPLIB ``.tour`` (TSP), CVRPLIB ``.sol`` (CVRP),
and for MVC / MaxCut / MaxCover / WTA / IM a JSON object
``{"problem", "method", "objective", "solution"}`` where `solution` is 0/1 per node (1 =
in the cover, MVC), the side 0/1 of every node (MaxCut), 0/1 per set (1 = chosen,
MaxCover), the 0-based target of every weapon (WTA) or 0/1 per node (1 = seed, IM; its
objective is the Monte Carlo spread of :mod:`aerena.graphs.im.objective`).

Methods: the problem's baselines (``BASELINES``), plus for TSP ``ortools`` (OR-Tools
routing, ``pip install ortools``) and ``lkh`` (LKH-3 through ``pip install elkai``), for
CVRP ``pyvrp`` (PyVRP's hybrid genetic search, ``pip install pyvrp``), and for
every problem ``model`` (a learned policy: the shipped one nearest in size for TSP, CVRP and
MVC, or ``--model FILE``; ``--decode greedy|sample|multistart|aug8``, ``--samples K``,
``--polish`` for a classical local search afterwards; see
:mod:`aerena.agents.solvers.solve`). ``--time-limit`` bounds
the iterative methods: TSP/CVRP ``ils`` run kicks in chunks until the time is up, CP-SAT
and OR-Tools get it as their limit (OR-Tools routing and PyVRP: 10 s when none is given).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import inspect
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from aerena import cliargs
from aerena.errors import UserError

EXTRA_METHODS = {"tsp": ("ortools", "lkh"), "cvrp": ("pyvrp",)}
_N_KEY = {"maxcover": "num_sets", "wta": "num_weapons"}
# --generate sizes: generators and instances build dense n x n arrays (distances, edge
# draws), so n is bounded before anything is allocated (10,000^2 float64 = 0.8 GB)
MAX_GENERATE_N = 10_000
MAX_TIME_LIMIT = 7 * 24 * 3600.0  # --time-limit: a week (1e300 would never end)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "solve",
        help="solve a graph problem instance with a baseline",
        description=__doc__.replace("``", "'"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("problem", help="tsp, cvrp, mvc, maxcut, maxcover, wta or im")
    p.add_argument("instance", nargs="?", help="a file or a shipped benchmark name")
    p.add_argument("--generate", metavar="SPEC", help="e.g. n=100,seed=1,kind=uniform")
    p.add_argument(
        "--method", default=None, help="method name (default: the problem's first baseline)"
    )
    p.add_argument(
        "--time-limit",
        type=cliargs.positive(MAX_TIME_LIMIT),
        default=None,
        metavar="S",
        help=f"seconds for iterative methods (at most {MAX_TIME_LIMIT:,.0f})",
    )
    p.add_argument("--seed", type=cliargs.seed, default=0, help="seed of randomised methods")
    p.add_argument(
        "--optimum", type=cliargs.nonnegative(), default=None, help="known optimal objective"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", default=None, help="write the solution here")
    m = p.add_argument_group("method 'model' (learned policies)")
    m.add_argument("--model", default=None, metavar="FILE", help="a policy checkpoint (.pt)")
    m.add_argument(
        "--decode",
        default=None,
        choices=("greedy", "sample", "multistart", "aug8", "onepass"),
        help="decoding (default: aug8 for tsp/cvrp, onepass for mvc/maxcut, else greedy)",
    )
    m.add_argument(
        "--samples",
        type=cliargs.count(1, 1_000_000),
        default=64,
        metavar="K",
        help="samples of --decode sample",
    )
    m.add_argument(
        "--polish",
        action="store_true",
        help="local search on the learned solution (tsp: with --time-limit S, then ILS "
        "kicks until S seconds in all)",
    )
    p.set_defaults(func=run)


# ----------------------------------------------------------------------------- instances


def _parse_value(s: str) -> Any:
    for cast in (int, float):
        try:
            return cast(s)
        except ValueError:
            pass
    return s


def parse_spec(spec: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not any(x.strip() for x in spec.split(",")):
        raise UserError(f"--generate: expected key=value,..., got {spec!r}")
    for part in filter(None, (x.strip() for x in spec.split(","))):
        if "=" not in part:
            raise UserError(f"--generate: expected key=value, got {part!r}")
        k, v = part.split("=", 1)
        out[k.strip()] = _parse_value(v.strip())
    return out


def generate(problem: str, spec: str, method: str | None = None) -> Any:
    """The instance of a ``--generate`` spec; sizes are checked before generating,
    against `method`'s own limit too when it is an exact solver (``max_n``)."""
    from aerena import graphs

    mod = graphs.problem(problem)
    params = parse_spec(spec)
    limit = _max_n(mod, method)
    if limit is not None and isinstance(params.get("n"), int) and params["n"] > limit:
        raise UserError(
            f"--generate: method {method!r} is limited to n <= {limit} "
            f"(asked for n={params['n']}); use a heuristic"
        )
    kind = str(params.pop("kind", mod.GENERATORS.names()[0]))
    seed = params.pop("seed", 0)
    if not isinstance(seed, int) or not 0 <= seed <= cliargs.MAX_SEED:
        raise UserError(f"--generate: seed must be an integer in [0, {cliargs.MAX_SEED}]")
    for key, value in params.items():
        if isinstance(value, float) and not np.isfinite(value):
            raise UserError(f"--generate: {key} must be finite, got {value}")
        if isinstance(value, int) and value < 0:
            raise UserError(f"--generate: {key} must be >= 0, got {value}")
    if "n" in params:
        n = params.pop("n")
        if not isinstance(n, int) or not 1 <= n <= MAX_GENERATE_N:
            raise UserError(f"--generate: n must be an integer in [1, {MAX_GENERATE_N:,}]")
        params[_N_KEY.get(problem, "num_nodes")] = n
    with instance_errors("--generate"):
        return mod.generate(kind, seed=seed, **params)


def _max_n(mod: Any, method: str | None) -> int | None:
    """The default ``max_n`` of an exact baseline (None for the others)."""
    if method is None or method not in mod.BASELINES:
        return None
    param = inspect.signature(mod.BASELINES.get(method)).parameters.get("max_n")
    return None if param is None else int(param.default)


@contextlib.contextmanager
def instance_errors(source: str) -> Iterator[None]:
    """Turn the checks of instance constructors and generators (ValueError, TypeError,
    KeyError: too few nodes, NaN coordinates, a wrong parameter, a missing key) into a
    UserError naming `source`."""
    try:
        yield
    except UserError:
        raise
    except KeyError as exc:
        raise UserError(f"{source}: not a valid instance (missing key {exc})") from None
    except RecursionError:
        raise UserError(f"{source}: not a valid instance (nested too deeply)") from None
    except (TypeError, ValueError) as exc:
        raise UserError(f"{source}: not a valid instance ({exc})") from None


def instance_to_json(problem: str, inst: Any) -> dict[str, Any]:
    """A JSON-able dict of a MaxCover, WTA or IM instance (the format :func:`load` reads)."""
    if problem == "wta":
        return {"kill_prob": inst.kill_prob.tolist(), "values": inst.values.tolist()}
    if problem == "im":
        return {
            "n": inst.n,
            "arcs": inst.arcs.tolist(),
            "prob": inst.prob.tolist(),
            "budget": inst.budget,
        }
    return {
        "sets": [s.tolist() for s in inst.sets()],
        "item_weights": inst.item_weights.tolist(),
        "budget": float(inst.budget),
        "set_costs": None if inst.set_costs is None else inst.set_costs.tolist(),
    }


def load(problem: str, what: str) -> tuple[Any, Path | None, float | None]:
    """``(instance, file or None, optimum or None)`` of a benchmark name or a file."""
    from aerena.graphs.common import benchmarks

    if what in benchmarks.BENCHMARKS and not Path(what).exists():
        kind, opt = benchmarks.BENCHMARKS.get(what)
        if kind != problem:
            raise UserError(f"{what} is a {kind} benchmark, not {problem}")
        return benchmarks.load(what), benchmarks.path(what), opt
    path = Path(what)
    if not path.exists():
        close = difflib.get_close_matches(what, benchmarks.names(problem), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UserError(f"no such file or {problem} benchmark: {what!r}{hint}")
    ext = path.suffix.lower()
    if problem == "tsp":
        from aerena.graphs.tsp.io import load_tsplib

        inst = load_tsplib(path)
    elif problem == "cvrp":
        from aerena.graphs.cvrp.io import load_cvrplib

        inst = load_cvrplib(path)
    elif problem in ("mvc", "maxcut"):
        from aerena.graphs.common import io

        if ext in (".col", ".dimacs", ".clq"):
            g = io.read_dimacs(path)
        elif ext in (".rudy", ".mc"):
            g = io.read_rudy(path)
        else:
            g = io.read_edgelist(path)
        if problem == "mvc":
            from aerena.graphs.mvc.instance import MVCInstance

            inst = MVCInstance(g, name=path.stem)
        else:
            from aerena.graphs.maxcut.instance import MaxCutInstance

            inst = MaxCutInstance(g, name=path.stem)
    else:
        from aerena.graphs.common.io import read_text

        try:
            d = json.loads(read_text(path))
        except UserError:
            raise
        except ValueError as exc:
            raise UserError(f"{path}: not a JSON instance ({exc})") from None
        if not isinstance(d, dict):
            raise UserError(f"{path}: not a JSON instance (expected an object)")
        if problem == "wta":
            from aerena.graphs.wta.instance import WTAInstance

            inst = WTAInstance(np.asarray(d["kill_prob"]), np.asarray(d["values"]), path.stem)
        elif problem == "im":
            from aerena.graphs.im.instance import IMInstance

            inst = IMInstance.from_arcs(
                d["n"], np.asarray(d["arcs"], dtype=np.int64), np.asarray(d["prob"]),
                d["budget"], name=path.stem,
            )  # fmt: skip
        else:
            from aerena.graphs.maxcover.instance import MaxCoverInstance

            inst = MaxCoverInstance.from_sets(
                [np.asarray(s, dtype=np.int64) for s in d["sets"]],
                np.asarray(d["item_weights"], dtype=np.float64),
                float(d["budget"]),
                None if d.get("set_costs") is None else np.asarray(d["set_costs"]),
                name=path.stem,
            )
    return inst, path, _optimum_next_to(problem, path, inst)


def _optimum_next_to(problem: str, path: Path, inst: Any) -> float | None:
    from aerena import graphs

    base = path.with_suffix("")
    try:
        if problem == "tsp":
            f = base.with_name(base.name + ".opt.tour")
            if f.exists():
                from aerena.graphs.tsp.io import read_tour

                return float(graphs.problem("tsp").objective(inst, read_tour(f, inst.n)))
        if problem == "cvrp":
            f = base.with_suffix(".sol")
            if f.exists():
                from aerena.graphs.cvrp.io import load_solution

                giant, cost = load_solution(f)
                return (
                    float(cost)
                    if cost is not None
                    else graphs.problem("cvrp").objective(inst, giant)
                )
    except (ValueError, OSError):
        return None
    return None


# ------------------------------------------------------------------------------- methods


def _tsp_ils_timed(inst: Any, seed: int, time_limit: float) -> np.ndarray:
    """TSP ``ils`` until `time_limit`: the one timed polish (2-opt, 2-opt + Or-opt, then
    double-bridge kicks) from the nearest-neighbour tour."""
    from aerena.graphs.tsp import baselines as tb

    return tb.polish(inst, tb.nearest(inst), seed=seed, seconds=time_limit)


def _cvrp_ils_timed(inst: Any, seed: int, time_limit: float) -> np.ndarray:
    """CVRP ruin-and-recreate in chunks of 50 kicks from the best solution until the limit."""
    from aerena.graphs.cvrp import baselines as cb
    from aerena.graphs.cvrp import kernels as K

    t_end = time.perf_counter() + time_limit
    rng = np.random.default_rng(seed)
    n = inst.n
    giant = cb.local_search(inst)
    if n < 3:
        return giant
    kmax = max(2, min(10, n))
    neigh = cb.customer_neighbours(inst.dist, kmax)
    while time.perf_counter() < t_end:
        routes, lens = K.giant_to_routes(giant, n)
        r, ln = K.ruin_recreate(*cb._args(inst), routes, lens, neigh, rng.random((50, 2 + kmax)))
        giant = K.routes_to_giant(r, ln)
    return giant


def _tsp_ortools(inst: Any, seed: int, time_limit: float | None) -> np.ndarray:
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError:
        raise UserError(
            "method 'ortools' needs OR-Tools: pip install ortools (extra aerena[cpsat])"
        ) from None
    n = inst.n
    scale = 1.0 if np.all(inst.dist == np.round(inst.dist)) else 1e6
    d = np.round(inst.dist * scale).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    cb = routing.RegisterTransitCallback(
        lambda i, j: int(d[manager.IndexToNode(i), manager.IndexToNode(j)])
    )
    routing.SetArcCostEvaluatorOfAllVehicles(cb)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(1000 * (time_limit or 10.0)))
    sol = routing.SolveWithParameters(params)
    if sol is None:
        raise UserError("OR-Tools found no tour")
    tour, i = [], routing.Start(0)
    while not routing.IsEnd(i):
        tour.append(manager.IndexToNode(i))
        i = sol.Value(routing.NextVar(i))
    return np.asarray(tour, dtype=np.int64)


def _tsp_lkh(inst: Any, seed: int, time_limit: float | None) -> np.ndarray:
    try:
        import elkai
    except ImportError:
        raise UserError("method 'lkh' needs LKH-3 through elkai: pip install elkai") from None
    tour = elkai.DistanceMatrix(inst.dist.tolist()).solve_tsp()
    tour = np.asarray(tour[:-1] if len(tour) > inst.n else tour, dtype=np.int64)
    k = int(np.flatnonzero(tour == 0)[0])
    return np.roll(tour, -k)


def _cvrp_pyvrp(inst: Any, seed: int, time_limit: float | None) -> np.ndarray:
    """PyVRP's hybrid genetic search (`pip install pyvrp`, extra aerena[pyvrp]) for
    `time_limit` s (default 10). PyVRP works on integers: distances are scaled so the
    largest is 10^5 and rounded (the objective is then computed on the exact distances);
    demands and capacity must be integers (CVRPLIB's are)."""
    try:
        from pyvrp import Model
        from pyvrp.stop import MaxRuntime
    except ImportError:
        raise UserError(
            "method 'pyvrp' needs PyVRP: pip install pyvrp (extra aerena[pyvrp])"
        ) from None
    demand = np.asarray(inst.demand, dtype=np.float64)
    if not (np.allclose(demand, np.round(demand)) and float(inst.capacity).is_integer()):
        raise UserError("method 'pyvrp' needs integer demands and capacity")
    scale = 1e5 / max(float(inst.dist.max()), 1e-12)
    d = np.rint(inst.dist * scale).astype(np.int64)
    m = Model()
    m.add_vehicle_type(num_available=inst.n, capacity=int(inst.capacity))
    coords = inst.coords if inst.coords is not None else np.zeros((inst.n + 1, 2))
    locs = [m.add_location(x=float(x), y=float(y)) for x, y in coords]
    m.add_depot(locs[0])
    for i in range(1, inst.n + 1):
        m.add_client(locs[i], delivery=int(round(demand[i])))
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            if i != j:
                m.add_edge(a, b, distance=int(d[i, j]))
    res = m.solve(stop=MaxRuntime(10.0 if time_limit is None else float(time_limit)),
                  seed=seed, display=False, collect_stats=False)  # fmt: skip
    if not res.is_feasible():
        raise UserError("PyVRP found no feasible solution in the time limit")
    giant = [0]
    for route in res.best.routes():
        # a route iterates its scheduled activities; a client's idx counts clients from 0
        visits = [int(a.idx) + 1 for a in route if a.is_client()]
        if visits:
            giant.extend(visits)
            giant.append(0)
    return np.asarray(giant, dtype=np.int64)


def method_names(problem: str) -> tuple[str, ...]:
    from aerena import graphs

    return (*graphs.baseline_names(problem), *EXTRA_METHODS.get(problem, ()), "model")


def solve(
    problem: str,
    inst: Any,
    method: str,
    seed: int = 0,
    time_limit: float | None = None,
    model_options: dict[str, Any] | None = None,
) -> tuple[Any, str]:
    """``(solution, canonical method name)``; `time_limit` bounds the iterative methods;
    `model_options` go to :func:`aerena.agents.solvers.solve.solve_with_model`."""
    from aerena import graphs

    mod = graphs.problem(problem)
    if method == "model":
        try:
            from aerena.agents.solvers.solve import solve_with_model
        except ImportError as exc:
            raise UserError(
                f"method 'model' needs torch ({exc.name}): pip install 'aerena[train]'"
            ) from None
        opts = dict(model_options or {})
        sol, info = solve_with_model(problem, inst, seed=seed, **opts)
        label = f"model:{Path(info['model']).name}:{info['decode']}"
        return sol, label + ("+polish" if info["polish"] else "")
    if method in EXTRA_METHODS.get(problem, ()):
        extra = {"ortools": _tsp_ortools, "lkh": _tsp_lkh, "pyvrp": _cvrp_pyvrp}
        return extra[method](inst, seed, time_limit), method
    try:
        name = mod.BASELINES.canonical(method)
    except KeyError:
        known = method_names(problem)
        close = difflib.get_close_matches(method, known, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UserError(
            f"unknown {problem} method {method!r}{hint} (known: {', '.join(known)})"
        ) from None
    if time_limit is not None and name == "ils" and problem in ("tsp", "cvrp"):
        fn = _tsp_ils_timed if problem == "tsp" else _cvrp_ils_timed
        return fn(inst, seed, float(time_limit)), name
    opts: dict[str, Any] = {"seed": seed}
    if time_limit is not None and name in ("cpsat", "exact") and problem not in ("tsp", "cvrp"):
        opts["time_limit"] = float(time_limit)
    try:
        return mod.BASELINES.get(name)(inst, **opts), name
    except ImportError as exc:
        raise UserError(
            f"method {name!r} needs OR-Tools ({exc.name}): "
            "pip install ortools (extra aerena[cpsat])"
        ) from None


def solution_to_list(problem: str, sol: Any) -> list[int]:
    return [int(x) for x in np.asarray(sol).ravel()]


def write_solution(path: str, problem: str, inst: Any, sol: Any, obj: float, method: str) -> Path:
    """Write `sol` in the problem's standard format, atomically (see the module doc)."""
    from aerena.graphs.common.io import atomic_write_text

    if problem == "tsp":
        from aerena.graphs.tsp.io import write_tour

        return write_tour(path, sol, name=inst.name, comment=f"length {obj:g} ({method})")
    if problem == "cvrp":
        from aerena.graphs.cvrp.io import save_solution

        return save_solution(path, sol, obj)
    doc = {
        "problem": problem,
        "method": method,
        "objective": obj,
        "solution": solution_to_list(problem, sol),
    }
    return atomic_write_text(path, json.dumps(doc) + "\n")


# ----------------------------------------------------------------------------------- run


def run(args: argparse.Namespace) -> int:
    from aerena import graphs

    problem = graphs.PROBLEMS.canonical(args.problem)
    mod = graphs.problem(problem)
    if (args.instance is None) == (args.generate is None):
        raise UserError("give an instance (file or benchmark name) or --generate, not both")
    method = args.method or mod.BASELINES.names()[0]
    if args.generate is not None:
        inst, path, opt = generate(problem, args.generate, method), None, None
    else:
        with instance_errors(args.instance):
            inst, path, opt = load(problem, args.instance)
    if args.optimum is not None:
        opt = float(args.optimum)
    if args.time_limit is not None and args.time_limit <= 0:
        raise UserError(f"--time-limit must be positive, got {args.time_limit}")
    model_options = None
    if method == "model":
        if args.samples < 1:
            raise UserError(f"--samples must be >= 1, got {args.samples}")
        model_options = {
            "decode": args.decode,
            "samples": args.samples,
            "polish": args.polish,
            "model": args.model,
        }
        if args.time_limit is not None:
            if not (args.polish and problem == "tsp"):
                raise UserError("--time-limit with --method model needs --polish (tsp)")
            model_options["polish_seconds"] = float(args.time_limit)
    elif args.model or args.decode or args.polish:
        raise UserError("--model, --decode and --polish apply to --method model only")
    t0 = time.perf_counter()
    sol, method = solve(problem, inst, method, args.seed, args.time_limit, model_options)
    elapsed = time.perf_counter() - t0
    obj = float(mod.objective(inst, sol))
    gap = None
    if opt is not None and opt != 0:
        sense = 1.0 if graphs.SENSE[problem] == "min" else -1.0
        gap = 100.0 * sense * (obj - opt) / abs(opt)
    out = None
    if args.out:
        out = str(write_solution(args.out, problem, inst, sol, obj, method))
    if args.json:
        doc = {
            "problem": problem,
            "instance": getattr(inst, "name", None),
            "file": None if path is None else str(path),
            "method": method,
            "objective": obj,
            "optimum": opt,
            "gap": gap,
            "time_s": elapsed,
            "solution": solution_to_list(problem, sol),
            "out": out,
        }
        print(json.dumps(doc))
        return 0
    name = getattr(inst, "name", problem)
    print(f"{problem} {name} ({inst!r}) method={method}")
    print(f"objective  {obj:.6g}")
    if opt is not None:
        print(f"optimum    {opt:.6g}  gap {gap:+.3f}%")
    print(f"time       {elapsed:.3f} s")
    if out:
        print(f"solution   {out}")
    return 0
