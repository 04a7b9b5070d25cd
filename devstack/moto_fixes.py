"""Every way the local stack bends moto, in one registry, each checked when the stack starts.

moto is a faithful stand-in for AWS except where it is not; where the product would notice, the
local stack corrects it (or reads moto's memory, for the outbox). Each correction reaches into a
part of moto that moto does not promise to keep, so each one here names what it reaches for
(`requires`) and `check_all()` verifies all of it before anything is patched: an upgrade of moto
that moves or renames one of them stops the stack at start-up with `MotoChanged` naming the fix
and the version, instead of a fix that silently stops working (a leak that only shows at 24 GB).
The fixes were measured on the moto that requirements-dev.txt pins; another minor version of moto
is refused outright until someone re-measures each fix below and moves `MOTO_FAMILY`.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import inspect
import io
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MEASURED_ON = "5.2.5"        # requirements-dev.txt: moto[server]==5.2.5 (a unit test keeps them equal)
MOTO_FAMILY = "5.2"          # the versions the checks accept: same major.minor as MEASURED_ON


class MotoChanged(RuntimeError):
    """moto is not the moto a fix was written for: the stack would run with the fix silently off."""


def moto_version() -> str:
    import moto
    return str(moto.__version__)


def check_version(version: str | None = None) -> None:
    """Refuse a moto outside the family every fix was measured on."""
    version = version or moto_version()
    if version.split(".")[:2] != MOTO_FAMILY.split("."):
        raise MotoChanged(
            f"moto {version} is not the {MOTO_FAMILY}.x family the local stack's moto fixes were "
            f"measured on ({MEASURED_ON}): re-measure each fix in devstack/moto_fixes.py "
            f"({', '.join(f.name for f in FIXES)}), then move MOTO_FAMILY and the pin together.")


# --- what a fix reaches for ---------------------------------------------------------------------
@dataclass(frozen=True)
class Requires:
    """One part of moto a fix relies on: `target` ("module:qualname") must have `name`, as
    `kind` says: "attr" (any attribute), "instance" (an attribute its instances set in
    `__init__`), "params" (a callable taking exactly `params` first), "key" (a mapping key path
    "a.b")."""
    target: str
    name: str
    kind: str = "attr"
    params: tuple[str, ...] = ()

    def load(self) -> Any:
        module, _, qualname = self.target.partition(":")
        obj: Any = importlib.import_module(module)
        for part in filter(None, qualname.split(".")):
            obj = getattr(obj, part)
        return obj

    def problem(self, target: Any) -> str | None:
        """What is wrong with `target` for this requirement (None: nothing)."""
        where = f"{self.target}.{self.name}"
        if self.kind == "key":
            value: Any = target
            for part in self.name.split("."):
                if not isinstance(value, Mapping) or part not in value:
                    return f"{self.target} has no key {self.name!r}"
                value = value[part]
            return None
        if self.kind == "instance":
            return None if _sets_on_instances(target, self.name) else \
                f"instances of {self.target} no longer set .{self.name}"
        if not hasattr(target, self.name):
            return f"{where} is gone"
        if self.kind == "params":
            try:
                found = tuple(inspect.signature(getattr(target, self.name)).parameters)
            except (TypeError, ValueError):
                return f"{where} is no longer a function"
            if found[:len(self.params)] != self.params:
                return f"{where} now takes {found}, not {self.params}"
        return None


def _sets_on_instances(cls: Any, name: str) -> bool:
    """Whether `cls` (or a base) declares `name` or assigns it in `__init__` (reading a function's
    source is cheap; a class's makes inspect parse its whole module)."""
    if not isinstance(cls, type):
        return False
    assigned = re.compile(rf"\bself\.{re.escape(name)}\s*(:[^=]+)?=[^=]")
    for klass in cls.__mro__:
        if name in getattr(klass, "__annotations__", {}) or name in vars(klass):
            return True
        init = vars(klass).get("__init__")
        try:
            if init is not None and assigned.search(inspect.getsource(init)):
                return True
        except (OSError, TypeError):
            continue
    return False


class Fix:
    """A correction of moto (or a read of its memory). Subclasses say, in their docstring, what moto
    does wrong and the version it was measured on; `requires` lists the parts of moto they touch."""

    name = ""
    measured_on = MEASURED_ON
    requires: tuple[Requires, ...] = ()

    def check(self, targets: Mapping[str, Any] | None = None) -> None:
        """Raise MotoChanged, listing every part that is not there (targets: stand-ins by name)."""
        problems = []
        for need in self.requires:
            target = targets[need.target] if targets and need.target in targets else _load(need)
            problem = need.problem(target) if target is not _MISSING else f"{need.target} is gone"
            if problem:
                problems.append(problem)
        if problems:
            raise MotoChanged(f"moto fix {self.name!r} cannot hold on moto {moto_version()}: "
                              f"{'; '.join(problems)} (measured on moto {self.measured_on}; see "
                              f"devstack/moto_fixes.py, {type(self).__name__})")

    def install(self) -> None:
        """Patch moto's classes (idempotent); most fixes need not."""

    def wrap(self, app: WSGIApp) -> WSGIApp:
        """Wrap moto's WSGI app; most fixes need not."""
        return app


_MISSING = object()


def _load(need: Requires) -> Any:
    try:
        return need.load()
    except (ImportError, AttributeError):
        return _MISSING


def _targets(environ: dict[str, Any], *prefixes: str) -> bool:
    return environ.get("HTTP_X_AMZ_TARGET", "").startswith(prefixes)


# --- the fixes ----------------------------------------------------------------------------------
class InProcessServer(Fix):
    """moto's ThreadedMotoServer runs in a thread of its own making with its own request handler;
    the local stack serves moto's WSGI app itself (to wrap it) with moto's request handler, and
    resets it through /moto-api/reset because moto's state is process-wide (moto 5.2.5)."""

    name = "in_process_server"
    requires = (Requires("moto.moto_server.werkzeug_app", "DomainDispatcherApplication"),
                Requires("moto.moto_server.werkzeug_app", "MotoRequestHandler"),
                Requires("moto.moto_server.werkzeug_app", "create_backend_app"))


class ExecuteStateMachines(Fix):
    """moto only records Step Functions executions unless its config says to execute them, and the
    switch must come before create_state_machine (machines created earlier live in another backend
    and never run). /moto-api/config answers without echoing the flag, so after posting it the
    stack reads moto's in-process config back (moto 5.2.5)."""

    name = "execute_state_machines"
    requires = (Requires("moto.core.config:default_user_config", "stepfunctions.execute_state_machine",
                         "key"),)

    @staticmethod
    def confirm() -> None:
        from moto.core.config import default_user_config
        if default_user_config.get("stepfunctions", {}).get("execute_state_machine") is not True:
            raise MotoChanged(f"moto {moto_version()} did not switch Step Functions execution on "
                              "after POST /moto-api/config (execute_state_machines)")


class SerialiseDynamoDB(Fix):
    """moto's transact_write_items deep-copies each table it touches and, when the transaction is
    cancelled, puts that copy back: a write another thread made in between is silently lost, and
    a deep copy taken while another thread mutates the table can fail outright (moto 5.2.5). Real
    DynamoDB never loses an acknowledged write, so every DynamoDB and DynamoDB Streams request runs
    under one process-wide lock (moto keeps its backends in process-wide globals); a stream read
    then never falls inside a transaction. Observers (bench.load_server) learn each request's wait
    for and hold of the lock, on the request's thread."""

    name = "serialise_dynamodb"
    requires = (Requires("moto.dynamodb.models:DynamoDBBackend", "transact_write_items", "params",
                         ("self", "transact_items")),)
    lock = threading.Lock()
    observers: list[Callable[[float, float], None]] = []

    def wrap(self, app: WSGIApp) -> WSGIApp:
        def serialised(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            # "DynamoDB_20120810.X" and "DynamoDBStreams_20120810.X".
            if not _targets(environ, "DynamoDB_", "DynamoDBStreams_"):
                return app(environ, start_response)
            asked = time.perf_counter()
            with self.lock:
                held = time.perf_counter()
                # Materialise the body inside the lock so that the lock covers the whole
                # response, whatever the app defers to iteration.
                body = list(app(environ, start_response))
            for observe in list(self.observers):
                observe(held - asked, time.perf_counter() - held)
            return body
        return serialised


class KeepStreamShards(Fix):
    """A cancelled transaction takes back its stream records in place.

    moto (5.2.5) applies a transaction's items one by one, each appending its stream record, and
    when one fails its condition puts back its deep copy of the table — with a copy of the stream
    shard. A shard iterator taken before then still reads the old shard, which keeps the records
    of writes that never happened (the local event pump published `dossier.submitted` for a
    dossier that does not exist: an Idempotency-Key's losing submission), and the next real write
    reuses the sequence number of the phantom, so a reader resuming after it skipped that write.
    Real DynamoDB streams only committed writes: here the shard the iterators hold stays the
    table's shard, cut back to its length before the transaction.
    """

    name = "keep_stream_shards"
    requires = (Requires("moto.dynamodb.models:DynamoDBBackend", "transact_write_items", "params",
                         ("self", "transact_items")),
                Requires("moto.dynamodb.models:DynamoDBBackend", "tables", "instance"),
                Requires("moto.dynamodb.models.table:Table", "stream_shard", "instance"),
                Requires("moto.dynamodb.models.table:StreamShard", "items", "instance"),
                Requires("moto.dynamodb.models.table:StreamShard", "table", "instance"))

    def install(self) -> None:
        from moto.dynamodb.models import DynamoDBBackend

        original = DynamoDBBackend.transact_write_items
        if getattr(original, "_keeps_stream_shards", False):
            return

        @functools.wraps(original)   # so that check() still sees moto's signature once installed
        def transact_write_items(backend: Any, *args: Any, **kwargs: Any) -> Any:
            shards = {name: (table.stream_shard, len(table.stream_shard.items))
                      for name, table in backend.tables.items() if table.stream_shard is not None}
            try:
                return original(backend, *args, **kwargs)
            except Exception:
                for name, (shard, length) in shards.items():
                    table = backend.tables.get(name)
                    if table is not None and table.stream_shard is not shard:
                        del shard.items[length:]
                        shard.table, table.stream_shard = table, shard
                raise

        transact_write_items._keeps_stream_shards = True  # type: ignore[attr-defined]
        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign,assignment]


class ForgetTrackedInstances(Fix):
    """moto (5.2.5) appends every model object it ever creates to its class's `instances_tracked`
    (moto.core.base_backend.InstanceTrackerMeta gives each BaseModel subclass the list, registered
    in moto.core.model_instances.model_data, for its server's dashboard), deep copies included. A
    transaction deep-copies each table it touches, so every item, stream record and table copy
    stayed alive for ever: memory grew with transactions × table size (a chaos run of 500 dossiers
    was killed at 24 GB; 150 dossiers peak at 0.9 GB with the fix, 5.5 GB without). DynamoDB's
    models are not needed on the dashboard: their lists are emptied after each DynamoDB request,
    under SerialiseDynamoDB's lock (this wraps inside it)."""

    name = "forget_tracked_instances"
    services = ("dynamodb", "dynamodbstreams")
    requires = (Requires("moto.core.model_instances", "model_data"),
                Requires("moto.dynamodb.models.table:Table", "instances_tracked"),
                Requires("moto.dynamodb.models.table:StreamRecord", "instances_tracked"))

    def wrap(self, app: WSGIApp) -> WSGIApp:
        def forgetting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if not _targets(environ, "DynamoDB_", "DynamoDBStreams_"):
                return app(environ, start_response)
            body = list(app(environ, start_response))
            self.forget()
            return body
        return forgetting

    def forget(self) -> None:
        for model in self.tracked_models():
            model.instances_tracked.clear()

    def tracked_models(self) -> list[Any]:
        from moto.core.model_instances import model_data
        return [model for service in self.services
                for model in list(model_data.get(service, {}).values())]


class ForgetShardIterators(Fix):
    """moto (5.2.5) keeps every DynamoDB Streams shard iterator it ever handed out (each
    GetShardIterator and GetRecords adds one), and each holds its shard and table: after a
    cancelled transaction has put back a deep copy of the table, the iterators taken before pin
    the orphaned copy, records and all. AWS expires an iterator after 15 minutes; the event pump
    uses each one at once, so only the newest few hundred are kept."""

    name = "forget_shard_iterators"
    KEEP = 512
    requires = (Requires("moto.dynamodbstreams.models", "dynamodbstreams_backends"),
                Requires("moto.dynamodbstreams.models:DynamoDBStreamsBackend", "shard_iterators",
                         "instance"))

    def wrap(self, app: WSGIApp) -> WSGIApp:
        def forgetting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if not _targets(environ, "DynamoDBStreams_"):
                return app(environ, start_response)
            body = list(app(environ, start_response))
            from moto.dynamodbstreams.models import dynamodbstreams_backends
            for regions in list(dynamodbstreams_backends.values()):
                for backend in list(regions.values()):
                    iterators = backend.shard_iterators
                    # Under SerialiseDynamoDB's lock already (it wraps this).
                    for arn in list(iterators)[:max(0, len(iterators) - self.KEEP)]:
                        iterators.pop(arn, None)
            return body
        return forgetting


class EnforceS3Checksum(Fix):
    """Real S3 answers 400 BadDigest when an upload's bytes differ from `x-amz-checksum-sha256`;
    moto (5.2.5) stores them anyway, and keeps no checksum. The product's presigned uploads rely on
    S3 for this, so the local stack does what S3 does (the product still re-checks each file's
    hash at submission). On the wire only: the version check is its guard."""

    name = "enforce_s3_checksum"
    _BAD_DIGEST = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadDigest</Code>'
                   b"<Message>The SHA256 you specified did not match the calculated checksum."
                   b"</Message></Error>")

    def wrap(self, app: WSGIApp) -> WSGIApp:
        def enforcing(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            expected = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
            if environ.get("REQUEST_METHOD") != "PUT" or not expected:
                return app(environ, start_response)
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            if base64.b64encode(hashlib.sha256(body).digest()).decode() != expected:
                start_response("400 Bad Request", [("Content-Type", "application/xml"),
                                                   ("Content-Length", str(len(self._BAD_DIGEST)))])
                return [self._BAD_DIGEST]
            environ["wsgi.input"] = io.BytesIO(body)
            return app(environ, start_response)
        return enforcing


class AnswerOnlyStartedExecutions(Fix):
    """moto (5.2.5) sometimes answers SendTaskSuccess/Failure/Heartbeat with a 500 while executions
    start concurrently: start_execution appends the new execution to its machine before starting
    it, and the callback looks at every execution's `status`, which is `exec_status.value` —
    an AttributeError on the one whose exec_status is still None. (botocore retried the 500, as it
    would a 5xx from AWS.) An execution that has not started holds no task token, so the callback
    now skips it."""

    name = "answer_only_started_executions"
    requires = (Requires("moto.stepfunctions.parser.models:StepFunctionsParserBackend",
                         "_get_executions", "params", ("self", "execution_status")),
                Requires("moto.stepfunctions.parser.backend.execution:Execution", "exec_status",
                         "instance"))

    def install(self) -> None:
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend

        original = StepFunctionsParserBackend._get_executions
        if getattr(original, "_only_started", False):
            return

        @functools.wraps(original)
        def _get_executions(backend: Any, execution_status: Any = None) -> list[Any]:
            started = [execution for sm in backend.state_machines for execution in list(sm.executions)
                       if getattr(execution, "exec_status", None) is not None]
            return [e for e in started if execution_status is None or e.status == execution_status]

        _get_executions._only_started = True  # type: ignore[attr-defined]
        StepFunctionsParserBackend._get_executions = _get_executions  # type: ignore[method-assign,assignment]


class OutboxReadsMotoStores(Fix):
    """Not a correction: the local outbox (devstack/moto_server.py) reads what moto's SES and SNS
    kept (moto 5.2.5 serves no endpoint for it), so it relies on these stores' shape."""

    name = "outbox_reads_moto_stores"
    requires = (Requires("moto.ses.models", "ses_backends"),
                Requires("moto.ses.models:SESBackend", "sent_messages", "instance"),
                Requires("moto.sns.models", "sns_backends"),
                Requires("moto.sns.models:SNSBackend", "topics", "instance"),
                Requires("moto.sns.models:SNSBackend", "subscriptions", "instance"),
                Requires("moto.sns.models:Topic", "sent_notifications", "instance"),
                Requires("moto.sns.models:Subscription", "protocol", "instance"),
                Requires("moto.sns.models:Subscription", "endpoint", "instance"))


SERIALISE_DYNAMODB = SerialiseDynamoDB()
FORGET_TRACKED_INSTANCES = ForgetTrackedInstances()
EXECUTE_STATE_MACHINES = ExecuteStateMachines()
# Outermost first, as wrap_app applies them.
FIXES: tuple[Fix, ...] = (
    InProcessServer(), EXECUTE_STATE_MACHINES, SERIALISE_DYNAMODB, FORGET_TRACKED_INSTANCES,
    ForgetShardIterators(), EnforceS3Checksum(), KeepStreamShards(), AnswerOnlyStartedExecutions(),
    OutboxReadsMotoStores(),
)


def check_all() -> None:
    """Fail loudly (MotoChanged) unless this moto is the one every fix was measured on."""
    check_version()
    for fix in FIXES:
        fix.check()


def install_all() -> None:
    check_all()
    for fix in FIXES:
        fix.install()


def wrap_app(app: WSGIApp) -> WSGIApp:
    """moto's WSGI app with every fix's middleware around it (the first fix outermost)."""
    for fix in reversed(FIXES):
        app = fix.wrap(app)
    return app
