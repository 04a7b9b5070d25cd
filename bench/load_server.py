"""The local stack for the load run (bench.load), in its own process, with its time accounted.

Why a process of its own: the load generator (locust, on gevent) would otherwise share the
stack's interpreter and GIL, and every request it sends would be charged to the stack. Here the
stack runs as `make run` runs it (moto, the Chalice local HTTP server and the event pump, all
threads of one interpreter) and the generator drives it over HTTP from outside.

What is measured, all cumulative, read by the generator at the edges of each step:
  * per API request (a Chalice request thread, from the parsed request to the written
    response): its wall time, the part inside the Chalice app (routing, middleware, our
    handler), the part inside botocore (`BaseClient._make_api_call`, which PynamoDB also
    calls) and, inside that, the part on the wire to moto (`URLLib3Session.send`);
  * per moto request (moto's werkzeug threads): its server-side time, split by whether an API
    request or background work (the pump's handlers and polling, moto's Step Functions
    interpreter) sent it (a header the send hook adds; moto ignores it), and the wait for and
    hold of devstack's DynamoDB lock;
  * the process's CPU time, so a step can be judged against the one core a GIL allows.
On request, a CPU-time profile (cProfile with a per-thread CPU clock) of the API request
threads and the pump's handler invocations (and, if asked, moto's request threads), reduced to a CPU share per
component (bench.load.attribute_cpu) and the top functions of our own code.

The API and moto are observed through devstack's public hooks (devstack.stack.ApiHooks,
LocalMoto.wrap and LocalMoto.observe_dynamodb_lock); botocore's calls through wrappers on its
classes, installed here, in this process only. No product code changes for the measurement.

Protocol: one JSON line on stdout when ready ({"api_url", "pki_dir"}), then one JSON command
per line on stdin (snapshot | profile_on [groups] | profile_report | stop), each answered
with one JSON line. Everything else the stack prints goes to stderr.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import threading
import time
from collections import defaultdict
from typing import Any

_ID_SEGMENT = re.compile(r"^/v1/(dossiers|tasks|statements|certificates|accounts|offices)/[^/]+")


def route_of(method: str, path: str) -> str:
    """"GET /v1/dossiers/01J…?x=1" -> "GET /v1/dossiers/{id}": a route, not one URL per id."""
    path = path.split("?", 1)[0]
    return f"{method} " + _ID_SEGMENT.sub(lambda m: f"/v1/{m.group(1)}/{{id}}", path)


class Meter:
    """Cumulative counters, shared by every thread of the stack, read with snapshot()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.local = threading.local()       # .request: the API request this thread serves
        self.requests = defaultdict(lambda: defaultdict(float))     # route -> counters
        self.background_sdk = defaultdict(float)
        self.moto = defaultdict(lambda: defaultdict(float))         # origin -> counters
        self.moto_ops = defaultdict(lambda: defaultdict(float))     # "api|op" -> n, s
        self.profiling = False
        self.generation = 0
        self.profiled_groups: set[str] = set()
        self._profiles: list[tuple[str, cProfile.Profile]] = []

    # -- accumulation --------------------------------------------------------------------------
    def add_request(self, route: str, acc: dict[str, float]) -> None:
        with self._lock:
            counters = self.requests[route]
            counters["n"] += 1
            for key, value in acc.items():
                counters[key] += value

    def add_moto(self, origin: str, op: str, seconds: float, lock: dict[str, float]) -> None:
        with self._lock:
            counters = self.moto[origin]
            counters["n"] += 1
            counters["s"] += seconds
            for key, value in lock.items():
                counters[key] += value
            op_counters = self.moto_ops[f"{origin}|{op}"]
            op_counters["n"] += 1
            op_counters["s"] += seconds

    def add_background_sdk(self, key: str, seconds: float) -> None:
        with self._lock:
            self.background_sdk[key] += seconds

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"wall_s": time.monotonic(), "cpu_s": time.process_time(),
                    "loadavg_1m": os.getloadavg()[0],
                    "threads": threading.active_count(),
                    "requests": {r: dict(c) for r, c in self.requests.items()},
                    "background_sdk": dict(self.background_sdk),
                    "moto": {o: dict(c) for o, c in self.moto.items()},
                    "moto_ops": {k: dict(c) for k, c in self.moto_ops.items()}}

    # -- profiling -----------------------------------------------------------------------------
    def profiler(self, group: str) -> cProfile.Profile | None:
        """This thread's profiler for `group` in the current profiling phase, made on first use
        (None: not profiling)."""
        if not self.profiling or group not in self.profiled_groups:
            return None
        key = f"profile_{group}"
        held = getattr(self.local, key, None)
        if held is None or held[0] != self.generation:
            # A per-thread CPU clock: time a thread spends waiting (for the GIL, for moto, for
            # the next request) is not charged to the function it waits in.
            held = (self.generation, cProfile.Profile(time.thread_time))
            setattr(self.local, key, held)
            with self._lock:
                self._profiles.append((group, held[1]))
        return held[1]

    def start_profiling(self, groups: set[str]) -> None:
        with self._lock:
            self.profiled_groups = groups
            self._profiles.clear()
            self.generation += 1
        self.profiling = True

    def profile_report(self, root: str, top: int = 15) -> dict[str, Any]:
        from bench.load import attribute_cpu, category_of, own_functions
        self.profiling = False
        # The generator has stopped its users; let the requests still in flight (and moto's 1 s
        # long polls) end. A call still open when the stats are read would be closed with the
        # reading thread's CPU clock, a meaningless number.
        time.sleep(3)
        with self._lock:
            profiles = list(self._profiles)
        groups: dict[str, pstats.Stats] = {}
        for group, profile in profiles:
            try:
                profile.create_stats()
                if group in groups:
                    groups[group].add(profile)
                else:
                    groups[group] = pstats.Stats(profile)
            except (TypeError, ValueError):    # a profiler that recorded nothing
                continue
        report: dict[str, Any] = {}
        for group, stats in groups.items():
            raw = stats.stats                  # type: ignore[attr-defined]
            report[group] = {
                "cpu_s": sum(entry[2] for entry in raw.values()),
                "by_component_s": attribute_cpu(raw, lambda f: category_of(f, root)),
                "own_functions": own_functions(raw, root, top),
                "top_functions": [
                    {"function": f"{f[0]}:{f[1]} {f[2]}", "calls": e[1], "self_s": e[2],
                     "cumulative_s": e[3]}
                    for f, e in sorted(raw.items(), key=lambda fe: -fe[1][2])[:top]]}
        return report


METER = Meter()


def _profiled(group: str, fn, *args, **kwargs):
    profile = METER.profiler(group)
    if profile is None:
        return fn(*args, **kwargs)
    profile.enable()
    try:
        return fn(*args, **kwargs)
    finally:
        profile.disable()


def api_hooks():
    """Time each API request and the Chalice app's part of it, through devstack's public hooks."""
    from devstack.stack import ApiHooks

    def around_request(method: str, path: str, handle) -> None:
        acc = {"total_s": 0.0, "app_s": 0.0, "sdk_s": 0.0, "wire_s": 0.0, "aws_calls": 0.0}
        METER.local.request = acc
        started = time.perf_counter()
        try:
            _profiled("api", handle)
        finally:
            acc["total_s"] = time.perf_counter() - started
            METER.local.request = None
            METER.add_request(route_of(method, path), acc)

    def around_app(call):
        acc = getattr(METER.local, "request", None)
        started = time.perf_counter()
        try:
            return call()
        finally:
            if acc is not None:
                acc["app_s"] += time.perf_counter() - started

    return ApiHooks(around_request=around_request, around_app=around_app)


def install_sdk_hooks() -> None:
    """Time each botocore call and its wire part (class-level wrappers, this process)."""
    from botocore.client import BaseClient
    from botocore.httpsession import URLLib3Session

    make_api_call = BaseClient._make_api_call
    send = URLLib3Session.send

    def timed_make_api_call(self, operation_name, api_params):
        acc = getattr(METER.local, "request", None)
        started = time.perf_counter()
        try:
            return make_api_call(self, operation_name, api_params)
        finally:
            elapsed = time.perf_counter() - started
            if acc is not None:
                acc["sdk_s"] += elapsed
                acc["aws_calls"] += 1
            else:
                METER.add_background_sdk("sdk_s", elapsed)

    def timed_send(self, request):
        acc = getattr(METER.local, "request", None)
        request.headers["x-load-origin"] = "api" if acc is not None else "background"
        started = time.perf_counter()
        try:
            return send(self, request)
        finally:
            elapsed = time.perf_counter() - started
            if acc is not None:
                acc["wire_s"] += elapsed
            else:
                METER.add_background_sdk("wire_s", elapsed)

    BaseClient._make_api_call = timed_make_api_call
    URLLib3Session.send = timed_send


def observe_lock(wait_s: float, hold_s: float) -> None:
    """devstack's DynamoDB lock, its wait and hold filed under the moto request on this thread."""
    lock = getattr(METER.local, "moto_lock", None)
    if lock is not None:
        lock["lock_wait_s"] += wait_s
        lock["lock_n"] += 1
        lock["lock_hold_s"] += hold_s


class MotoTimer:
    """Outermost WSGI middleware on the local moto server: server-side time per request."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        origin = environ.get("HTTP_X_LOAD_ORIGIN", "background")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        op = target.rsplit(".", 1)[-1] if target else _query_action(environ)
        METER.local.moto_lock = lock = defaultdict(float)
        started = time.perf_counter()
        try:
            # Materialised here, so the time covers producing the whole body.
            return _profiled(f"moto_{origin}",
                             lambda: list(self._app(environ, start_response)))
        finally:
            METER.local.moto_lock = None
            METER.add_moto(origin, op, time.perf_counter() - started, lock)


def _query_action(environ: dict[str, Any]) -> str:
    """SQS/SNS/SES query-protocol calls name their action in the body or the query string."""
    query = environ.get("QUERY_STRING", "")
    match = re.search(r"Action=([A-Za-z]+)", query)
    if match:
        return match.group(1)
    host = environ.get("HTTP_HOST", "")
    return f"{environ.get('REQUEST_METHOD', '?')} {host.split('.')[0] if '.' in host else 'moto'}"


def quiet_disconnects() -> None:
    """A user the generator stops mid-request leaves a closed socket: not worth a traceback."""
    from chalice.local import ThreadedHTTPServer
    original = ThreadedHTTPServer.handle_error

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        original(self, request, client_address)
    ThreadedHTTPServer.handle_error = handle_error


def profile_pump(pump: Any) -> None:
    for source in pump.sources:
        def handler(event, context, _inner=source.handler):
            return _profiled("pump", _inner, event, context)
        source.handler = handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--switch-ms", type=float, default=0.5)
    args = parser.parse_args(argv)
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)                              # the stack's own prints go to stderr
    sys.stdout = sys.stderr
    sys.setswitchinterval(args.switch_ms / 1000)

    from bench.__main__ import ROOT, start_stack
    quiet_disconnects()
    install_sdk_hooks()
    stack = start_stack(api_hooks=api_hooks())
    stack.moto.observe_dynamodb_lock(observe_lock)
    stack.moto.wrap(MotoTimer)
    profile_pump(stack.pump)
    protocol.write(json.dumps({"api_url": stack.api_url, "pki_dir": str(stack.pki_dir),
                               "pid": os.getpid()}) + "\n")
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "snapshot":
                answer: Any = METER.snapshot()
            elif command.startswith("profile_on"):
                # "profile_on api pump": the groups to profile (moto's threads cost the most
                # to profile: a deterministic profiler slows its many small calls ~20×).
                METER.start_profiling(set(command.split()[1:]) or {"api", "pump"})
                answer = {"ok": True}
            elif command == "profile_report":
                answer = METER.profile_report(str(ROOT))
            elif command == "stop":
                protocol.write(json.dumps({"ok": True}) + "\n")
                break
            else:
                answer = {"error": f"unknown command {command!r}"}
            protocol.write(json.dumps(answer) + "\n")
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
