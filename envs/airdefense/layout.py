"""Codes and array layouts shared by the kernels, the adapters and the docs.

Everything the hot loop needs to know about "what column means what" lives here as plain
integer constants, so kernels stay functions of arrays and the README can be generated from
the same names.
"""

from __future__ import annotations

# --- air entity roles (carriers and UAVs share the air table; carriers come first) -------
STRIKE, DECOY, JAMMER, RECON, CARRIER = 0, 1, 2, 3, 4
UAV_ROLES = ("strike", "decoy", "jammer", "recon")
ROLE_NAMES = (*UAV_ROLES, "carrier")

# --- air entity status -----------------------------------------------------------------
WAITING = 0  # not launched yet
ACTIVE = 1  # flying
KILLED = 2  # shot down by an interceptor or point defence
EXPENDED = 3  # warhead delivered (strike UAVs)
CRASHED = 4  # out of fuel, or carrier lost before launch
LEFT_MAP = 5  # flew out of the map
STATUS_NAMES = ("waiting", "active", "killed", "expended", "crashed", "left_map")

# --- ground object kinds ---------------------------------------------------------------
ASSET, RADAR, LAUNCHER, POINT_DEFENCE, COMMAND_POST = 0, 1, 2, 3, 4
KIND_NAMES = ("asset", "radar", "launcher", "point_defence", "command_post")

# --- per-air-entity parameter table columns: air_par[B, A, AP_N] ------------------------
AP_SPEED_MIN = 0  # m/s
AP_SPEED_CRUISE = 1  # m/s
AP_SPEED_MAX = 2  # m/s
AP_TURN_RATE = 3  # rad/s
AP_CLIMB_RATE = 4  # m/s
AP_ALT_MIN = 5  # m above ground
AP_ALT_MAX = 6  # m above ground
AP_ENDURANCE = 7  # s at cruise
AP_RCS = 8  # m^2
AP_COST = 9  # reward points when lost
AP_WARHEAD_DAMAGE = 10  # hit points
AP_WARHEAD_RADIUS = 11  # m
AP_JAM_POWER = 12  # abstract: J = power / R^2
AP_JAM_COS = 13  # cos of the jammer cone half-angle
AP_SENSOR_RANGE = 14  # m (recon)
AP_ESM_RANGE = 15  # m (passive detection of emitting radars)
AP_LAUNCH_TIME = 16  # s
AP_LAUNCH_HEADING = 17  # rad
AP_LAUNCH_ALT = 18  # m above ground
AP_VX = 19  # carrier velocity, m/s
AP_VY = 20
AP_VALUE = 21  # carrier value (attacker side)
AP_DETECTABLE = 22  # 1.0 if radars can see it (UAVs always, carriers when targetable)
AP_N = 23

# --- per-ground-object parameter table columns: gnd_par[B, G, GP_N] --------------------
GP_VALUE = 0
GP_HP_MAX = 1
# radar
GP_RANGE = 2  # m, Pd = 0.5 on rcs_ref without jamming
GP_RCS_REF = 3
GP_SCAN_PERIOD = 4
GP_PD_SLOPE = 5
GP_TRACK_MEMORY = 6
GP_MAST = 7
# launcher
GP_RELOAD = 2
GP_RANGE_MIN = 3
GP_RANGE_MAX = 4
GP_ALT_MIN = 5
GP_ALT_MAX = 6
GP_INT_SPEED = 7
GP_INT_TIME = 8
GP_PK = 9
GP_LETHAL = 10
GP_INT_COST = 11
GP_STOCK0 = 12
# point defence
GP_PD_RADIUS = 2
GP_PD_RATE = 3
GP_PD_ALT_MAX = 4
GP_N = 13

# --- interceptor status ----------------------------------------------------------------
INT_FREE, INT_FLYING, INT_DONE = 0, 1, 2

# --- events (recorded per step: [time, kind, a, b, x, y]) -------------------------------
EV_LAUNCH = 0  # a = air index (UAV), b = carrier index
EV_DETECT = 1  # a = air index, b = radar index (a new track)
EV_JAM_ON = 2  # a = air index
EV_JAM_OFF = 3  # a = air index
EV_FIRE = 4  # a = air index (target), b = launcher index
EV_INTERCEPT_KILL = 5  # a = air index, b = launcher index
EV_INTERCEPT_MISS = 6  # a = air index, b = launcher index
EV_HIT = 7  # a = air index (strike UAV), b = ground index
EV_GROUND_KILL = 8  # a = air index (strike UAV), b = ground index
EV_PD_KILL = 9  # a = air index, b = point-defence index
EV_CRASH = 10  # a = air index (out of fuel or carrier lost)
EV_LEFT_MAP = 11  # a = air index
EV_EMIT_ON = 12  # b = radar index
EV_EMIT_OFF = 13  # b = radar index
EV_SPOTTED = 14  # b = ground index (the attacker learns of a defence unit)
EVENT_NAMES = (
    "launch",
    "detect",
    "jam_on",
    "jam_off",
    "fire",
    "intercept_kill",
    "intercept_miss",
    "hit",
    "ground_kill",
    "pd_kill",
    "crash",
    "left_map",
    "emit_on",
    "emit_off",
    "spotted",
)
EVENT_WIDTH = 6

# --- agent roles -----------------------------------------------------------------------
AGENT_UAV, AGENT_LAUNCHER, AGENT_RADAR = 0, 1, 2
AGENT_ROLE_CODES = {"uav": AGENT_UAV, "launcher": AGENT_LAUNCHER, "radar": AGENT_RADAR}

# --- UAV action: Discrete(54) = jam(2) x turn(3) x climb(3) x speed(3) ------------------
# a = jam * 27 + (turn + 1) * 9 + (climb + 1) * 3 + speed ; speed 0 slow, 1 cruise, 2 fast.
# jam = 0 keeps / turns the jammer off, 1 turns it on (jammers only: masked otherwise).
UAV_ACTIONS = 54
UAV_NOOP = 13  # straight, hold altitude, cruise, jammer off
RADAR_ACTIONS = 2  # 0 emit, 1 silent
LAUNCHER_HOLD = 0  # 1 + k engages entity slot k of the launcher's observation

# --- observation features --------------------------------------------------------------
# UAV terrain view: flight seconds ahead, at the current heading and speed, holding altitude
# inside the unit's height band above ground (as the flight model does), of the terrain
# profile samples and of the look-ahead line-of-sight points
PROFILE_S = (10.0, 20.0, 40.0, 80.0)
LOOKAHEAD_S = (20.0, 60.0)
SELF_FEATURES = (
    "x / map width",
    "y / map height",
    "time / episode length",
    "role is uav",
    "role is launcher",
    "role is radar",
    # role-specific (uav | launcher | radar)
    "height above ground / 1000 m | stock / initial stock | emitting",
    "cos heading | reload left / reload time | hp fraction",
    "sin heading | linked to a live emitting radar | tracks / K",
    "speed / max speed | hp fraction | linked to a live command post or launcher",
    "fuel fraction | tracks available / K | nearest track distance / range_scale",
    "is strike | 0 | 0",
    "is decoy | 0 | 0",
    "is jammer | 0 | 0",
    "is recon | 0 | 0",
    "jammer on | 0 | 0",
    # UAV terrain view (env v2; 0 for launchers and radars): the ground ahead, the nearest
    # known radar's line of sight (the radars' own terrain test), the nearest known asset
    *(
        f"uav: (terrain height {t:g} s ahead on my heading - my altitude) / 1000 m"
        for t in PROFILE_S
    ),
    "uav: a live radar is known to my side",
    "uav: nearest known radar can see me now (in reach, terrain line of sight)",
    *(f"uav: nearest known radar can see me {t:g} s ahead" for t in LOOKAHEAD_S),
    "uav: a live asset is known to my side",
    "uav: nearest known asset distance / range_scale",
    "uav: closing speed on the nearest known asset / my max speed",
)
S_DIM = len(SELF_FEATURES)
SF_PROFILE = 16  # first terrain-profile column
SF_RADAR_KNOWN = SF_PROFILE + len(PROFILE_S)
SF_LOS = SF_RADAR_KNOWN + 1  # line of sight now, then at LOOKAHEAD_S
SF_ASSET_KNOWN = SF_LOS + 1 + len(LOOKAHEAD_S)
SF_ASSET_DIST = SF_ASSET_KNOWN + 1
SF_ASSET_CLOSING = SF_ASSET_DIST + 1

ENTITY_FEATURES = (
    "dx / range_scale",
    "dy / range_scale",
    "dz / 1000 m",
    "distance / range_scale",
    "vx / 100 m/s",
    "vy / 100 m/s",
    "friendly",
    "type: air (unknown type)",
    "type: strike",
    "type: decoy",
    "type: jammer",
    "type: recon",
    "type: carrier",
    "type: asset",
    "type: radar",
    "type: launcher",
    "type: point_defence",
    "type: command_post",
    "hp fraction",
    "age of the information / track memory",
    "jamming",
    "emitting",
    "engageable by me now",
    "value / total asset value",
    "one of our interceptors is flying at it (defender tracks)",
)
F_DIM = len(ENTITY_FEATURES)
EF_TYPE = 7  # first type column; air roles 1..5 map to EF_TYPE + 1 + role
EF_TYPE_GROUND = EF_TYPE + 6  # ground kinds map to EF_TYPE_GROUND + kind
EF_HP, EF_AGE, EF_JAM, EF_EMIT, EF_ENGAGEABLE, EF_VALUE = 18, 19, 20, 21, 22, 23
EF_INTERCEPTED = 24

# entity references written beside each observation: kind of the referenced table
REF_NONE, REF_AIR, REF_GROUND = 0, 1, 2
