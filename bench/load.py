"""A morning-peak load run against the local stack: how much it carries and where the ceiling is.

Why this exists: bench/ measures one dossier at a time; a treasury office's morning is many
units checking their dossiers' status at once while officers work their inboxes. This run drives
the local stack (bench.load_server: moto + the Chalice local server + the event pump, one
interpreter, as `make run`) over HTTP with locust, stepping the number of concurrent users
(closed loop, no think time), and reports per step throughput, p50/p95/p99 per request kind and
overall, and the error rate (5xx separately). At each step it also reads the stack's own
accounting — CPU used, and where a request's time goes: the Chalice local server, the app (our
code and the framework), botocore, the wire to moto, moto itself and its DynamoDB lock — and, at
the knee, profiles the stack's CPU by component and lists our own hottest functions.

The mix (MIX): 40% GET a dossier's status and 20% list own dossiers (unit accountants of two
units), 25% GET the open-task inbox (an officer or the leader of KV1), 10% submit a signed
dossier (a fresh Idempotency-Key each), 5% decide an open task seen in an inbox (accept, or
approve for a leader's task). Two users can pick the same task: the loser's 409 is an expected
answer (counted apart from errors), as is 409 on a task whose step expired.

It is a measurement, not a test: numbers depend on the machine and its load. Results go to
bench/results/load.json. `make load`; `--quick` for a short smoke run.

locust imports gevent and patches the standard library at import, so this module imports it
only inside main(): the pure parts below (Mix, percentile, summarise, attribute_cpu) are unit
tested without it.
"""
from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "load.json"

MIX = {"status": 40, "list": 20, "inbox": 25, "submit": 10, "decide": 5}
KINDS = tuple(MIX)
# (unit accountant, unit code, chapter, account): two units of office KV1.
UNITS = (("ketoan.cva", "1012345", "422", "9523.1.1012345"),
         ("ketoan.bvdd", "1023456", "423", "9523.1.1023456"))
OFFICE = {"control_officer": ("kiemsoat.kv1", "accept"), "leader": ("lanhdao.kv1", "approve")}
AMOUNT = 50_000                  # small: the units' estimates cover thousands of these
OUTCOMES = ("ok", "expected_4xx", "unexpected_4xx", "server_error", "transport_error")


# --- the mix -----------------------------------------------------------------------------------
class Mix:
    """Weighted choice of a request kind from one uniform number in [0, 1)."""

    def __init__(self, weights: dict[str, float]) -> None:
        if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("weights must be non-negative with a positive total")
        self.kinds = [k for k, w in weights.items() if w > 0]
        total = float(sum(weights[k] for k in self.kinds))
        running, self._bounds = 0.0, []
        for kind in self.kinds:
            running += weights[kind] / total
            self._bounds.append(running)
        self._bounds[-1] = 1.0          # no float gap at the top

    def pick(self, u: float) -> str:
        if not 0.0 <= u < 1.0:
            raise ValueError("u must be in [0, 1)")
        return self.kinds[bisect.bisect_right(self._bounds, u)]


# --- statistics --------------------------------------------------------------------------------
def percentile(values: Iterable[float], p: float) -> float:
    """Nearest-rank percentile, p in (0, 100]: the smallest value with at least p% of the
    values at or below it. Always a value that was observed."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def classify(kind: str, status: int) -> str:
    """What an answer counts as. A 409 to a decision is the loser of a race for the same task
    (or a step that expired): the API doing its job. No other 4xx is expected of this mix."""
    if status == 0:
        return "transport_error"
    if 200 <= status < 300:
        return "ok"
    if status >= 500:
        return "server_error"
    if kind == "decide" and status == 409:
        return "expected_4xx"
    return "unexpected_4xx"


@dataclass(frozen=True)
class Sample:
    kind: str
    ms: float
    outcome: str


def latency(values_ms: list[float]) -> dict[str, float]:
    if not values_ms:
        return {"n": 0}
    return {"n": len(values_ms), "mean_ms": sum(values_ms) / len(values_ms),
            "p50_ms": percentile(values_ms, 50), "p95_ms": percentile(values_ms, 95),
            "p99_ms": percentile(values_ms, 99), "max_ms": max(values_ms)}


def summarise(samples: list[Sample], seconds: float) -> dict[str, Any]:
    """Throughput, latency per kind and overall, and the outcome counts of one step's window.
    Latency is of answered requests (transport errors have none worth ranking)."""
    outcomes = Counter(s.outcome for s in samples)
    n = len(samples)
    errors = outcomes["unexpected_4xx"] + outcomes["server_error"] + outcomes["transport_error"]
    by_kind: dict[str, Any] = {}
    for kind in sorted({s.kind for s in samples}, key=lambda k: (KINDS + (k,)).index(k)):
        mine = [s for s in samples if s.kind == kind]
        by_kind[kind] = {**latency([s.ms for s in mine if s.outcome != "transport_error"]),
                         "outcomes": dict(Counter(s.outcome for s in mine))}
    return {"seconds": seconds, "requests": n, "rps": n / seconds if seconds else 0.0,
            "overall": latency([s.ms for s in samples if s.outcome != "transport_error"]),
            "by_kind": by_kind, "outcomes": {o: outcomes[o] for o in OUTCOMES},
            "error_rate": errors / n if n else 0.0,
            "server_error_rate": outcomes["server_error"] / n if n else 0.0,
            "mix": {k: by_kind[k]["n"] / n for k in by_kind} if n else {}}


def knee(steps: list[dict[str, Any]], fraction: float = 0.9) -> int:
    """The fewest users whose step reached `fraction` of the best throughput seen."""
    best = max(step["rps"] for step in steps)
    return min(step["users"] for step in steps if step["rps"] >= fraction * best)


def delta(after: Any, before: Any) -> Any:
    """after − before for every number in two snapshots of nested counters."""
    if isinstance(after, dict):
        return {k: delta(v, before.get(k, 0 if not isinstance(v, dict) else {}))
                for k, v in after.items()}
    if isinstance(after, (int, float)):
        return after - (before or 0)
    return after


def server_breakdown(diff: dict[str, Any], wall_s: float) -> dict[str, Any]:
    """Where an API request's time went, server side, from one step's counter differences."""
    totals: dict[str, float] = defaultdict(float)
    for counters in diff["requests"].values():
        for key, value in counters.items():
            totals[key] += value
    n = totals["n"]
    api_moto, bg_moto = diff["moto"].get("api", {}), diff["moto"].get("background", {})

    def per_request(seconds: float) -> float:
        return seconds / n * 1000 if n else 0.0

    total, app, sdk, wire = (totals[k] for k in ("total_s", "app_s", "sdk_s", "wire_s"))
    parts = {"chalice_local": total - app, "app_excluding_aws": app - sdk,
             "botocore_excluding_wire": sdk - wire, "wire_to_moto": wire}
    moto_server = api_moto.get("s", 0.0)
    return {
        "api_requests": int(n),
        "mean_ms": {"total": per_request(total),
                    **{k: per_request(v) for k, v in parts.items()},
                    "moto_server": per_request(moto_server),
                    "dynamodb_lock_wait": per_request(api_moto.get("lock_wait_s", 0.0))},
        "share_of_request_time": {k: (v / total if total else 0.0) for k, v in parts.items()},
        "aws_calls_per_request": totals["aws_calls"] / n if n else 0.0,
        "stack_cpu_cores": diff["cpu_s"] / wall_s if wall_s else 0.0,
        # All the stack's CPU (background work and polling included) per API request: one
        # interpreter runs on at most one core, so 1000 / this is its ceiling in req/s.
        "stack_cpu_ms_per_request": diff["cpu_s"] / n * 1000 if n else 0.0,
        "moto_busy": {"api_s": moto_server, "background_s": bg_moto.get("s", 0.0),
                      "api_calls": int(api_moto.get("n", 0)),
                      "background_calls": int(bg_moto.get("n", 0)),
                      "dynamodb_lock_held_s": api_moto.get("lock_hold_s", 0.0)
                      + bg_moto.get("lock_hold_s", 0.0)},
        "dynamodb_lock_busy": (api_moto.get("lock_hold_s", 0.0) + bg_moto.get("lock_hold_s", 0.0))
        / wall_s if wall_s else 0.0,
        "moto_top_operations": sorted(
            ({"op": op, "calls": int(c["n"]), "ms_mean": c["s"] / c["n"] * 1000,
              "s_total": c["s"]} for op, c in diff["moto_ops"].items() if c.get("n")),
            key=lambda o: -o["s_total"])[:8],
    }


# --- the CPU profile, by component ---------------------------------------------------------------
COMPONENTS = (("our code (app.py, chalicelib)", None),
              ("libraries our code calls (PyJWT, cryptography, ulid)",
               ("/jwt/", "/cryptography/", "/ulid/", "/signtool/")),
              ("pynamodb", ("/pynamodb/",)),
              ("botocore / boto3 / urllib3", ("/botocore/", "/boto3/", "/urllib3/", "/s3transfer/",
                                              "/dateutil/", "/jmespath/")),
              ("chalice (framework + local server)", ("/chalice/", "/http/server.py",
                                                       "/socketserver.py")),
              ("moto server (moto, werkzeug, flask)", ("/moto/", "/werkzeug/", "/flask/",
                                                        "/jinja2/", "/xmltodict", "/responses/",
                                                        "/devstack/moto_server.py", "/joserfc/",
                                                        "/jsonpath")),
              ("event pump (devstack)", ("/devstack/pump.py",)),
              ("measurement (bench)", ("/bench/",)))


def category_of(func: tuple[str, int, str], root: str) -> str | None:
    """The component a profiled function belongs to; None for the standard library and
    built-ins, whose time belongs to whoever called them."""
    path = func[0].replace("\\", "/")
    if path.startswith(root + "/chalicelib/") or path == root + "/app.py":
        return COMPONENTS[0][0]
    for name, markers in COMPONENTS[1:]:
        if any(marker in path for marker in markers or ()):
            return name
    if "site-packages/" in path:
        return "other libraries"
    return None


def attribute_cpu(stats: dict, category: Callable[[tuple], str | None]) -> dict[str, float]:
    """Self time of every profiled function, filed under a component. A standard-library or
    built-in function (json, copy, a socket call, a C hash) has no component of its own: its
    time is split among its callers in proportion to the time it spent for each, recursively,
    so `copy.deepcopy` called by moto counts as moto and `json.dumps` called by our code as ours.

    `stats` is pstats' table: func -> (cc, nc, tottime, cumtime, {caller: (cc, nc, tt, ct)}).
    """
    memo: dict[tuple, dict[str, float]] = {}

    def shares(func: tuple, visiting: frozenset) -> dict[str, float]:
        if func in memo:
            return memo[func]
        own = category(func)
        if own is not None:
            return {own: 1.0}
        callers = stats.get(func, (0, 0, 0.0, 0.0, {}))[4]
        live = {c: v for c, v in callers.items() if c not in visiting}
        weights = {c: (v[2] if len(v) > 2 else 0.0) for c, v in live.items()}
        total = sum(weights.values())
        if not live:
            result = {"standard library (no caller seen)": 1.0}
        else:
            if total <= 0:             # no time recorded per caller: split by call count
                weights = {c: float(v[1] if len(v) > 1 else 1) for c, v in live.items()}
                total = sum(weights.values()) or 1.0
            result = defaultdict(float)
            for caller, weight in weights.items():
                for name, share in shares(caller, visiting | {func}).items():
                    result[name] += share * weight / total
            result = dict(result)
        if not visiting:
            memo[func] = result
        return result

    seconds: dict[str, float] = defaultdict(float)
    for func, entry in stats.items():
        tottime = entry[2]
        if tottime <= 0:
            continue
        for name, share in shares(func, frozenset()).items():
            seconds[name] += tottime * share
    return dict(sorted(seconds.items(), key=lambda kv: -kv[1]))


def own_functions(stats: dict, root: str, top: int) -> list[dict[str, Any]]:
    """Our hottest functions by CPU: self time, and cumulative (incl. what they call)."""
    ours = [(func, entry) for func, entry in stats.items()
            if category_of(func, root) == COMPONENTS[0][0]]

    def row(func: tuple, entry: tuple) -> dict[str, Any]:
        return {"function": f"{Path(func[0]).relative_to(root)}:{func[1]} {func[2]}",
                "calls": entry[1], "self_s": entry[2], "cumulative_s": entry[3]}
    by_self = sorted(ours, key=lambda fe: -fe[1][2])[:top]
    by_cum = sorted(ours, key=lambda fe: -fe[1][3])[:top]
    return [{"by": "self", **row(*fe)} for fe in by_self] + \
           [{"by": "cumulative", **row(*fe)} for fe in by_cum]


# --- the stack process -------------------------------------------------------------------------
class StackProcess:
    """bench.load_server in a child process, spoken to one JSON line at a time."""

    def __init__(self, switch_ms: float) -> None:
        import subprocess
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.load_server", "--switch-ms", str(switch_ms)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.hello = self._read()

    def _read(self) -> Any:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the stack process ended (exit {self.proc.wait()})")
        return json.loads(line)

    def ask(self, command: str) -> Any:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def stop(self) -> None:
        try:
            self.ask("stop")
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - a stack that will not stop is ended
            self.proc.kill()


# --- the virtual users' shared world -------------------------------------------------------------
@dataclass
class World:
    """What every virtual user shares: tokens, the dossiers each unit has, tasks seen open, and
    the samples of the current window. locust's users are greenlets of one thread, so plain
    lists and dicts are safe here."""

    api_url: str
    pki_dir: Path
    tokens: dict[str, str]
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    mix: Mix = field(default_factory=lambda: Mix(MIX))
    dossiers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    open_tasks: dict[str, str] = field(default_factory=dict)    # task id -> deciding role
    claimed: set[str] = field(default_factory=set)
    samples: list[Sample] = field(default_factory=list)
    recording: bool = False
    counters: Counter = field(default_factory=Counter)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6].upper())

    def record(self, kind: str, started: float, status: int) -> None:
        if self.recording:
            self.samples.append(Sample(kind, (time.perf_counter() - started) * 1000,
                                       classify(kind, status)))

    def signed_submission(self, unit: tuple[str, str, str, str]) -> dict:
        from devstack.demo import sample_content, signed
        _, code, chapter, account = unit
        self.counters["submissions"] += 1
        number = f"L{self.run_id}-{self.counters['submissions']:06d}"
        return signed(sample_content(number, AMOUNT, unit_code=code, chapter_code=chapter,
                                     account=account), self.pki_dir, code)

    def act(self, client: Any) -> None:
        """One request of the mix, by one virtual user."""
        kind = self.mix.pick(self.rng.random())
        if kind == "decide" and not self._unclaimed():
            self.counters["decide_without_open_task"] += 1
            kind = "inbox"                     # as an officer would: look at the inbox first
        getattr(self, f"_{kind}")(client)

    def _call(self, client: Any, kind: str, method: str, path: str, token: str,
              body: Any = None, headers: dict | None = None) -> tuple[int, Any]:
        started = time.perf_counter()
        response = client.request(method, path, name=kind, json=body,
                                  headers={"Authorization": f"Bearer {token}", **(headers or {})})
        status = response.status_code or 0
        self.record(kind, started, status)
        try:
            return status, response.json() if status else None
        except ValueError:
            return status, None

    def _status(self, client: Any) -> None:
        unit = self.rng.choice(UNITS)
        dossier_id = self.rng.choice(self.dossiers[unit[1]])
        self._call(client, "status", "GET", f"/v1/dossiers/{dossier_id}", self.tokens[unit[0]])

    def _list(self, client: Any) -> None:
        unit = self.rng.choice(UNITS)
        self._call(client, "list", "GET", "/v1/dossiers?limit=20", self.tokens[unit[0]])

    def _inbox(self, client: Any) -> None:
        role = self.rng.choice(tuple(OFFICE))
        status, body = self._call(client, "inbox", "GET", "/v1/tasks?state=open&limit=50",
                                  self.tokens[OFFICE[role][0]])
        if status == 200 and body:
            for task in body.get("items", []):
                if task.get("kind") == "decision" and task["task_id"] not in self.claimed:
                    self.open_tasks.setdefault(task["task_id"], role)

    def _submit(self, client: Any) -> None:
        unit = self.rng.choice(UNITS)
        body = self.signed_submission(unit)   # the client's work, before the clock starts
        status, answer = self._call(client, "submit", "POST", "/v1/dossiers", self.tokens[unit[0]],
                                    body, {"Idempotency-Key": f"load-{uuid.uuid4()}"})
        if status == 201 and answer:
            self.dossiers[unit[1]].append(answer["dossier_id"])

    def _unclaimed(self) -> bool:
        while self.open_tasks:
            task_id = next(iter(self.open_tasks))
            if task_id not in self.claimed:
                return True
            del self.open_tasks[task_id]
        return False

    def _decide(self, client: Any) -> None:
        task_id = next(iter(self.open_tasks))
        role = self.open_tasks.pop(task_id)
        self.claimed.add(task_id)
        username, decision = OFFICE[role]
        self._call(client, "decide", "POST", f"/v1/tasks/{task_id}/decision",
                   self.tokens[username], {"decision": decision})


def prepare(world: World, seed_dossiers: int) -> None:
    """Dossiers to read and tasks to decide before the first step, over the same API."""
    from devstack.demo import Api
    api = Api(world.api_url)
    for i in range(seed_dossiers):
        unit = UNITS[i % len(UNITS)]
        status, answer = api.call("POST", "/v1/dossiers", world.signed_submission(unit),
                                  token=world.tokens[unit[0]],
                                  headers={"Idempotency-Key": f"load-{uuid.uuid4()}"})
        if status != 201:
            raise RuntimeError(f"seeding a dossier answered {status}: {answer}")
        world.dossiers[unit[1]].append(answer["dossier_id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _, inbox = api.call("GET", "/v1/tasks?state=open&limit=50",
                            token=world.tokens[OFFICE["control_officer"][0]])
        if len(inbox.get("items", [])) >= seed_dossiers // 2:
            return
        time.sleep(0.5)
    raise TimeoutError("the seeded dossiers' tasks never reached the officer's inbox")


# --- the run -------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    import gevent
    from locust import FastHttpUser, constant, task
    from locust.env import Environment

    print(f"Starting the stack process (GIL switch interval {args.switch_ms} ms)…",
          file=sys.stderr)
    stack = StackProcess(args.switch_ms)
    try:
        from devstack.demo import Api
        api = Api(stack.hello["api_url"])
        usernames = [u[0] for u in UNITS] + [o[0] for o in OFFICE.values()]
        world = World(stack.hello["api_url"], Path(stack.hello["pki_dir"]),
                      {name: api.login(name) for name in usernames})
        prepare(world, args.seed_dossiers)

        class MorningPeak(FastHttpUser):
            host = world.api_url
            wait_time = constant(0)          # closed loop: the next request as soon as answered

            @task
            def act(self) -> None:
                world.act(self.client)

        env = Environment(user_classes=[MorningPeak], host=world.api_url)
        runner = env.create_local_runner()

        def window(users: int, seconds: float) -> dict[str, Any]:
            runner.start(users, spawn_rate=min(100, users * 20))
            gevent.sleep(args.ramp_seconds)
            before, cpu_before = stack.ask("snapshot"), time.process_time()
            world.samples, world.recording = [], True
            started = time.perf_counter()
            gevent.sleep(seconds)
            world.recording = False
            elapsed = time.perf_counter() - started
            after, cpu_after = stack.ask("snapshot"), time.process_time()
            diff = delta(after, before)
            step = {"users": users, **summarise(world.samples, elapsed),
                    "loadavg_1m": after["loadavg_1m"],
                    "generator_cpu_cores": (cpu_after - cpu_before) / elapsed,
                    "server": server_breakdown(diff, diff["wall_s"])}
            print(f"  {users:>3} users: {step['rps']:6.1f} req/s, p50 "
                  f"{step['overall'].get('p50_ms', 0):6.1f} ms, p99 "
                  f"{step['overall'].get('p99_ms', 0):7.1f} ms, errors "
                  f"{step['error_rate']:.2%}, stack CPU "
                  f"{step['server']['stack_cpu_cores']:.2f} cores", file=sys.stderr)
            return step

        before = stack.ask("snapshot")
        gevent.sleep(args.idle_seconds)
        idle = delta(stack.ask("snapshot"), before)
        idle_cores = idle["cpu_s"] / idle["wall_s"]
        idle_moto = {origin: {"calls_per_s": c.get("n", 0) / idle["wall_s"],
                              "server_ms_per_s": c.get("s", 0) / idle["wall_s"] * 1000}
                     for origin, c in idle["moto"].items()}
        print(f"  idle (no users): stack CPU {idle_cores:.2f} cores", file=sys.stderr)
        print("Warming up…", file=sys.stderr)
        window(1, args.warmup_seconds)
        steps = []
        for users in args.users:
            steps.append(window(users, args.step_seconds))
        profiled = None
        if args.profile_seconds > 0:
            at = args.profile_users or knee(steps)
            print(f"Profiling the stack's CPU at {at} users…", file=sys.stderr)
            stack.ask("profile_on api pump" + (" moto_api moto_background"
                                                if args.profile_moto else ""))
            profiled = window(at, args.profile_seconds)
            runner.stop()
            gevent.sleep(0.5)
            profiled["profile"] = stack.ask("profile_report")
        runner.stop()
        runner.quit()
        return {"mix": MIX, "idle_stack_cpu_cores": idle_cores, "idle_moto": idle_moto,
                "machine": {"cpus": os.cpu_count(), "loadavg_1m_at_end": os.getloadavg()[0]},
                "units": [u[1] for u in UNITS], "switch_interval_ms": args.switch_ms,
                "step_seconds": args.step_seconds, "ramp_seconds": args.ramp_seconds,
                "steps": steps, "knee_users": knee(steps), "profiled_step": profiled,
                "counters": dict(world.counters),
                "open_tasks_left_unseen": len(world.open_tasks)}
    finally:
        stack.stop()


# --- the report ------------------------------------------------------------------------------
def render(result: dict[str, Any]) -> str:
    steps = result["steps"]
    lines = ["KBNN DVC morning-peak load — locust (closed loop, no think time) → local stack "
             "(moto + Chalice local + event pump: threads of one Python process)",
             "  mix: " + ", ".join(f"{k} {v}%" for k, v in result["mix"].items())
             + f"; {result['step_seconds']:.0f} s per step after {result['ramp_seconds']:.0f} s "
             f"ramp; GIL switch interval {result['switch_interval_ms']} ms",
             f"  machine: {result['machine']['cpus']} CPUs; 'load' is its 1-minute load average "
             "(other work included); the stack idles at "
             f"{result['idle_stack_cpu_cores']:.2f} cores with no user (background: "
             f"{result['idle_moto'].get('background', {}).get('calls_per_s', 0):.0f} moto calls/s, "
             "the pump's polling)",
             "", f"  {'users':>5} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} "
             f"{'errors':>7} {'5xx':>5} {'409s':>5} {'stack CPU':>9} {'CPU ms/req':>10} {'gen CPU':>8} "
             f"{'load':>5}"]
    for s in steps:
        o = s["overall"]
        lines.append(f"  {s['users']:>5} {s['rps']:>7.1f} {o.get('p50_ms', 0):>7.1f} "
                     f"{o.get('p95_ms', 0):>7.1f} {o.get('p99_ms', 0):>7.1f} "
                     f"{s['error_rate']:>7.2%} {s['outcomes']['server_error']:>5} "
                     f"{s['outcomes']['expected_4xx']:>5} "
                     f"{s['server']['stack_cpu_cores']:>8.2f}c "
                     f"{s['server']['stack_cpu_ms_per_request']:>10.1f} "
                     f"{s['generator_cpu_cores']:>7.2f}c {s['loadavg_1m']:>5.1f}")
    lines += ["", "  p50 / p95 / p99 ms per kind"
              , f"  {'users':>5} " + " ".join(f"{k:>20}" for k in KINDS)]
    for s in steps:
        cells = []
        for kind in KINDS:
            k = s["by_kind"].get(kind, {})
            cells.append(f"{k.get('p50_ms', 0):.0f}/{k.get('p95_ms', 0):.0f}/"
                         f"{k.get('p99_ms', 0):.0f}" if k.get("n") else "-")
        lines.append(f"  {s['users']:>5} " + " ".join(f"{c:>20}" for c in cells))
    lines += ["", "Where an API request's time goes, server side (mean ms per request)",
              f"  {'users':>5} {'total':>7} {'chalice':>8} {'app':>7} {'botocore':>9} "
              f"{'wire':>7} {'(moto':>7} {'lock)':>6} {'AWS calls':>9} {'lock busy':>9} "
              f"{'moto calls api/bg':>17} {'app share':>9}"]
    for s in steps:
        m = s["server"]["mean_ms"]
        lines.append(f"  {s['users']:>5} {m['total']:>7.1f} {m['chalice_local']:>8.1f} "
                     f"{m['app_excluding_aws']:>7.1f} {m['botocore_excluding_wire']:>9.1f} "
                     f"{m['wire_to_moto']:>7.1f} {m['moto_server']:>7.1f} "
                     f"{m['dynamodb_lock_wait']:>6.1f} {s['server']['aws_calls_per_request']:>9.2f} "
                     f"{s['server']['dynamodb_lock_busy']:>9.0%} "
                     f"{s['server']['moto_busy']['api_calls']:>8}/"
                     f"{s['server']['moto_busy']['background_calls']:<8} "
                     f"{s['server']['share_of_request_time']['app_excluding_aws']:>9.1%}")
    lines += ["  chalice = the local server's parsing, event building and response writing; "
              "app = routing, middleware and our",
              "  handlers without their AWS calls; botocore = the SDK around the wire; wire = "
              "waiting for moto's answer, of which",
              "  moto = moto's own server-side time, lock = waiting for devstack's DynamoDB lock;",
              "  lock busy = the share of the step that lock was held (by anyone); moto calls = "
              "sent by API requests / by background work."]
    k = result["knee_users"]
    lines += ["", f"Knee: {k} users (the fewest reaching 90% of the best throughput)"]
    prof = result.get("profiled_step")
    if prof and prof.get("profile"):
        groups = prof["profile"]
        total_cpu = sum(g["cpu_s"] for g in groups.values())
        lines += ["", f"CPU profile at {prof['users']} users ({prof['rps']:.1f} req/s under the "
                  "profiler), by component — seconds of CPU and share"]
        for group, label in (("api", "API request threads"), ("pump", "pump handler invocations"),
                             ("moto_api", "moto threads serving the API"),
                             ("moto_background", "moto threads serving background work")):
            if group not in groups:
                continue
            g = groups[group]
            lines.append(f"  {label}: {g['cpu_s']:.1f} s CPU "
                         f"({g['cpu_s'] / total_cpu:.0%} of the profiled CPU)")
            for name, secs in g["by_component_s"].items():
                if secs / g["cpu_s"] >= 0.005:
                    lines.append(f"      {name:<54}{secs:7.2f} s {secs / g['cpu_s']:6.1%}")
        api = groups.get("api")
        if api:
            lines += ["", "  Our own code's hottest functions (API requests, CPU seconds over the "
                      "profiled step)"]
            for row in api["own_functions"]:
                if row["by"] == "self":
                    lines.append(f"    self {row['self_s']:6.2f}  cum {row['cumulative_s']:6.2f}"
                                 f"  ×{row['calls']:<6} {row['function']}")
            lines.append("  …by cumulative CPU (incl. what they call)")
            for row in api["own_functions"]:
                if row["by"] == "cumulative":
                    lines.append(f"    cum {row['cumulative_s']:6.2f}  ×{row['calls']:<6} "
                                 f"{row['function']}")
    lines += ["", f"(JSON: {RESULTS.relative_to(ROOT)})"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="1,2,4,8,16,32",
                        help="concurrent users per step, comma-separated (default 1,2,4,8,16,32)")
    parser.add_argument("--step-seconds", type=float, default=25.0)
    parser.add_argument("--ramp-seconds", type=float, default=3.0,
                        help="unrecorded seconds at the start of each step")
    parser.add_argument("--warmup-seconds", type=float, default=5.0)
    parser.add_argument("--profile-seconds", type=float, default=25.0,
                        help="a profiled step at the knee (0: none)")
    parser.add_argument("--profile-users", type=int, default=0,
                        help="users of the profiled step (default: the knee)")
    parser.add_argument("--idle-seconds", type=float, default=5.0,
                        help="a window with no users first: the stack's own background CPU")
    parser.add_argument("--profile-moto", action="store_true",
                        help="profile moto's request threads too (slows moto ~20×)")
    parser.add_argument("--seed-dossiers", type=int, default=12)
    parser.add_argument("--switch-ms", type=float, default=0.5,
                        help="the stack's GIL switch interval (default 0.5, as bench; Python's 5)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: users 1,4, 5 s steps, a 5 s profiled step")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.step_seconds, args.profile_seconds = "1,4", 5.0, 5.0
        args.warmup_seconds, args.ramp_seconds, args.idle_seconds = 2.0, 1.0, 2.0
    try:
        args.users = [int(u) for u in args.users.split(",")]
    except ValueError:
        parser.error("--users is a comma-separated list of numbers")
    if not args.users or min(args.users) < 1:
        parser.error("--users must be at least 1")
    result = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
