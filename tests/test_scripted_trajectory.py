"""The scripted attacker against the scripted defender plays bit for bit the same episodes.

The hashes below were recorded before the scripted attacker's kernels were reorganised
(parameters as a record, `guide` split into phases, the module split), and those of the
defender cases (`saturation`, `*_salvo`) before the defender's kernel was (records, phases):
any change in what
the scripted players do, down to the last bit of a position, changes a hash. Record new
ones only for an intended change of behaviour.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from aerena.agents.scripted import make_player, side_columns
from aerena.agents.scripted.defender import ScriptedDefender
from aerena.envs.airdefense.world import World

# (scenario, worlds, seeds from, step limit or None, defender kind, fixed target slot or None)
CASES = {
    "strike_small": ("strike_small", 3, 0, None, "scripted", None),
    "strike_small_plan": ("strike_small", 2, 7, 400, "scripted", 1),
    "saturation_wta": ("saturation", 2, 3, 500, "scripted-wta", None),
    "tiny": ("tiny", 4, 11, None, "scripted", None),
    # the default defender under saturation; defenders that conserve and fire salvos, and
    # (strike_small_salvo) whose radar goes silent and emits again
    "saturation": ("saturation", 2, 5, 500, "scripted", None),
    "saturation_salvo": ("saturation", 2, 9, 500, "scripted", None),
    "strike_small_salvo": ("strike_small", 2, 21, None, "scripted", None),
}

#: Defender parameters of a case (default: the defender's own).
DEFENDER_PARAMS = {
    "saturation_salvo": {"salvo_time": 60.0, "conserve_ratio": 3.0, "hold_time": 150.0},
    "strike_small_salvo": {"salvo_time": 40.0, "silent_range": 15000.0, "strike_range": 9000.0},
}

EXPECTED = {
    "strike_small": "1efada5ff8581f1a40bed4e5eef62e112b90e9be282e149ec915e7d4cc89908e",
    "strike_small_plan": "294e547b4a57cec06d38099c35c7516240b6f5c7bd456a11d38ee1f819c24740",
    "saturation_wta": "09385a119c718d5f647f45f9310c51f8013a618dac74c2d2f3d4a56cfa47a802",
    "tiny": "96467b33eb69ceb917bdd2584d50cb3a13d65c0037ecf3fadeb757c55c68fd50",
    "saturation": "15a645b6558a9905cdcce3573581f040515bf2012c7e8882fcffb483c3ea7b50",
    "saturation_salvo": "c55188181317e4c602d2bac6d5f7bf32141048cec7940550a0b1c920d8008ac6",
    "strike_small_salvo": "8ef77eb6845cc6a2144dd72b02bda59b58526258ea820da1abef9e13546f3d2f",
}


def trajectory_hash(case: str) -> str:
    """sha256 over every step's actions of both sides, the UAVs' positions, headings,
    fuel and status, the ground objects' hit points, and the attacker's own plan."""
    scenario, n, seed, max_steps, defender, fixed = CASES[case]
    overrides = {} if max_steps is None else {"episode.max_steps": max_steps}
    world = World(scenario, n, **overrides)
    world.reset([seed + b for b in range(n)])
    att = make_player("attacker", "scripted", world, seed=seed)
    if case in DEFENDER_PARAMS:
        dfd = ScriptedDefender(world, seed=seed + 1, **DEFENDER_PARAMS[case])
    else:
        dfd = make_player("defender", defender, world, seed=seed + 1)
    att.reset()
    dfd.reset()
    if fixed is not None:
        att.fixed[:, ::2] = fixed  # every other UAV flies to a planned target
    ca, cd = side_columns(world, "attacker"), side_columns(world, "defender")
    act = np.zeros((n, world.sizes["N"]), np.int64)
    h = hashlib.sha256()
    steps = 0
    while not world.done.all():
        live = ~world.done
        act[:, ca] = att.act()
        act[:, cd] = dfd.act()
        world.step(act, worlds=live)
        s = world.state
        for arr in (act, s.air_pos, s.air_heading, s.air_fuel, s.air_status, s.gnd_hp):
            h.update(np.ascontiguousarray(arr).tobytes())
        for arr in (att.target, att.extend, att.direct):
            h.update(np.ascontiguousarray(arr).tobytes())
        steps += 1
    h.update(str(steps).encode())
    return h.hexdigest()


@pytest.mark.parametrize("case", sorted(CASES))
def test_scripted_episodes_are_unchanged(case: str) -> None:
    assert trajectory_hash(case) == EXPECTED[case]


if __name__ == "__main__":  # python tests/test_scripted_trajectory.py: print the hashes
    for name in CASES:
        print(f'    "{name}": "{trajectory_hash(name)}",')
