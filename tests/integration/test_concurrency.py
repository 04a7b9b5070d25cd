"""Concurrent changes have exactly one winner, with real threads against the local stack's HTTP
server (a threaded server, as API Gateway runs Lambdas side by side). A barrier releases every
caller of a round at once; each race is run for several rounds. The assertions are about who won
and what was written (status, audit chain, tasks, balance, ledger), never about timing.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from chalicelib import clock
from devstack.demo import sample_content
from tests.conftest import eventually
from tests.integration.flow import Flow
from tests.integration.test_ledger import (
    CHAPTER,
    UNIT,
    account_item,
    fresh_account,
    posting_steps_run_together,
)
from tests.integration.test_portal import PORTAL, STREAM_LAG, pull

pytestmark = pytest.mark.integration
ROUNDS = 4
HOUSE_ERROR = {"code", "message", "field"}


def at_once(*calls: Callable[[], tuple[int, dict]]) -> list[tuple[int, dict]]:
    """Run the calls on their own threads, released together; their answers in call order."""
    barrier, answers = threading.Barrier(len(calls), timeout=60), [None] * len(calls)

    def run(i: int, call: Callable[[], tuple[int, dict]]) -> None:
        barrier.wait()
        answers[i] = call()
    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(a is not None for a in answers), answers
    return answers


def conflict(answer: tuple[int, dict], *codes: str) -> bool:
    status, body = answer
    return status == 409 and set(body) == {"error"} and set(body["error"]) == HOUSE_ERROR \
        and body["error"]["code"] in codes and bool(body["error"]["message"])


def trail(flow: Flow, dossier_id: str) -> list[str]:
    status, body = flow.api.call("GET", f"/v1/dossiers/{dossier_id}/audit", token=flow.unit)
    assert status == 200 and body["verification"]["intact"] is True, body
    assert [r["seq"] for r in body["records"]] == list(range(1, len(body["records"]) + 1))
    return [r["action"] for r in body["records"]]


def open_tasks(flow: Flow, token: str, dossier_id: str, state: str = "open") -> list[dict]:
    items, cursor = [], ""
    while True:
        _, inbox = flow.api.call("GET", f"/v1/tasks?state={state}&limit=200{cursor}", token=token)
        items += [t for t in inbox["items"] if t["dossier_id"] == dossier_id]
        if not inbox.get("next_cursor"):
            return items
        cursor = f"&cursor={inbox['next_cursor']}"


# --- (a) two officers, one task -----------------------------------------------------------------
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_officers_deciding_the_same_task_at_once_have_exactly_one_winner(
        api, tokens, pki_dir, unique, round_):
    flow = Flow(api, tokens, pki_dir)
    second = tokens["kiemsoat2.kv1"]
    d = flow.submit(unique("TWO-OFFICERS"))["dossier_id"]
    task = flow.task(flow.officer, d)
    assert flow.task(second, d)["task_id"] == task["task_id"]   # the same inbox
    path = f"/v1/tasks/{task['task_id']}/decision"
    # Even rounds: two different decisions; odd rounds: the same decision twice.
    bodies = [{"decision": "accept"},
              {"decision": "refuse", "reason": "Thiếu chứng từ"} if round_ % 2 == 0
              else {"decision": "accept"}]
    answers = at_once(lambda: api.call("POST", path, bodies[0], token=flow.officer),
                      lambda: api.call("POST", path, bodies[1], token=second))
    winners = [a for a in answers if a[0] == 200]
    assert len(winners) == 1, answers
    (loser,) = [a for a in answers if a[0] != 200]
    assert conflict(loser, "task_already_decided"), loser
    won = winners[0][1]
    dossier = flow.dossier(d)
    assert dossier["status"] == won["status"]
    assert trail(flow, d) == ["submitted", won["decision"]]   # one record for the decision
    # The workflow moved once: one leader task after an acceptance, nothing after a refusal.
    if won["decision"] == "accept":
        leader_task = flow.task(flow.leader, d)
        assert [t["task_id"] for t in open_tasks(flow, flow.leader, d)] == [leader_task["task_id"]]
    else:
        assert dossier["step"] is None and dossier["result"]["outcome"] == "refused"
    assert open_tasks(flow, flow.officer, d) == []
    decided = open_tasks(flow, flow.officer, d, state="decided")
    assert [(t["task_id"], t["decision"]) for t in decided] == [(task["task_id"], won["decision"])]


# --- (b) the unit resubmitting while the officer decides ------------------------------------------
@contextmanager
def waiting_steps_held(stack) -> Iterator[None]:
    """Hold the task queue's handler (the workflow's "a step is waiting" messages) until the block
    ends: whatever the race's timing, the unit's supplement task cannot open inside it."""
    source = next(s for s in stack.pump.sources if s.queue_name == "kbnn-tasks")
    inner, release = source.handler, threading.Event()

    def held(event, context):
        release.wait(timeout=60)
        return inner(event, context)
    source.handler = held
    try:
        yield
    finally:
        source.handler = inner
        release.set()


def resubmit(flow: Flow, token: str, d: dict, suffix: str) -> Callable[[], tuple[int, dict]]:
    body = flow.signed(sample_content(f"{d['number']}-{suffix}"))
    return lambda: flow.api.call("POST", f"/v1/dossiers/{d['dossier_id']}/supplement", body,
                                 token=token)


@pytest.mark.parametrize("round_", range(3))
def test_the_unit_resubmitting_while_the_officer_decides_has_exactly_one_winner_each_time(
        api, tokens, pki_dir, stack, unique, round_):
    flow = Flow(api, tokens, pki_dir)
    software = tokens["phanmem.cva"]
    number = unique("RESUBMIT")
    d = {"number": number, "dossier_id": flow.submit(number)["dossier_id"]}
    dossier_id = d["dossier_id"]
    review = flow.task(flow.officer, dossier_id)

    # 1. The officer asks for a supplement as the unit sends one: the unit cannot supplement
    #    before the request, nor before its task is open; the officer wins.
    ask = {"decision": "request_supplement", "reason": "Bổ sung hợp đồng"}
    with waiting_steps_held(stack):
        officer, unit = at_once(
            lambda: api.call("POST", f"/v1/tasks/{review['task_id']}/decision", ask,
                             token=flow.officer),
            resubmit(flow, flow.unit, d, "EARLY"))
    assert officer[0] == 200 and officer[1]["status"] == "awaiting_supplement", officer
    assert conflict(unit, "not_awaiting_supplement", "task_already_decided"), unit
    flow.task(flow.unit, dossier_id)          # the unit's supplement task is open

    # 2. Two of the unit's clients resubmit at once, and the officer retries the decided task
    #    from a stale page: one resubmission wins.
    first, other, stale = at_once(
        resubmit(flow, flow.unit, d, "A"), resubmit(flow, software, d, "B"),
        lambda: api.call("POST", f"/v1/tasks/{review['task_id']}/decision",
                         {"decision": "refuse", "reason": "Quá hạn"}, token=flow.officer))
    assert conflict(stale, "task_already_decided"), stale
    winners = [a for a in (first, other) if a[0] == 200]
    assert len(winners) == 1, (first, other)
    (loser,) = [a for a in (first, other) if a[0] != 200]
    assert conflict(loser, "not_awaiting_supplement", "task_already_decided"), loser
    won = winners[0][1]
    assert won["status"] == "under_review" and won["supplements_used"] == 1
    body = flow.dossier(dossier_id)
    assert body["voucher_number"] == won["voucher_number"]
    assert body["content"]["voucher"]["number"] == won["voucher_number"]   # the winner's content
    second_review = flow.task(flow.officer, dossier_id)
    assert second_review["task_id"] != review["task_id"]

    # 3. The officer decides the new review as the unit tries to supplement again: one winner.
    officer, unit = at_once(
        lambda: api.call("POST", f"/v1/tasks/{second_review['task_id']}/decision",
                         {"decision": "accept"}, token=flow.officer),
        resubmit(flow, software, d, "C"))
    assert officer[0] == 200 and officer[1]["status"] == "awaiting_approval", officer
    assert conflict(unit, "not_awaiting_supplement", "task_already_decided"), unit

    assert trail(flow, dossier_id) == ["submitted", "request_supplement", "resubmitted", "accept"]
    assert flow.dossier(dossier_id)["content"]["voucher"]["number"] == won["voucher_number"]
    assert [t["task_id"] for t in open_tasks(flow, flow.officer, dossier_id)] == []
    assert len(open_tasks(flow, flow.leader, dossier_id)) <= 1
    flow.task(flow.leader, dossier_id)


# --- (c) two payments, the last of a balance ------------------------------------------------------
@pytest.mark.parametrize("round_", range(3))
def test_two_payments_approved_at_once_for_the_last_of_a_balance_have_exactly_one_winner(
        api, tokens, pki_dir, stack, unique, round_):
    flow = Flow(api, tokens, pki_dir)
    opening, amount = 5_000_000 + round_ * 1_000_000, 3_000_000 + round_ * 500_000
    account = fresh_account(stack, unique, opening)
    dossiers = [flow.submit(unique("LAST"), amount, unit_code=UNIT, chapter_code=CHAPTER,
                            account=account)["dossier_id"] for _ in range(2)]
    tasks = []
    for dossier_id in dossiers:
        assert flow.decide(flow.officer, dossier_id, "accept")[0] == 200
        tasks.append(flow.task(flow.leader, dossier_id)["task_id"])
    # Both approvals at once over HTTP; both posting steps held, then run at the same moment
    # (concurrent Lambda invocations of the worker).
    with posting_steps_run_together(stack, 2) as threads:
        approvals = at_once(*(lambda t=t: api.call("POST", f"/v1/tasks/{t}/decision",
                                                   {"decision": "approve"}, token=flow.leader)
                              for t in tasks))
        assert [a[0] for a in approvals] == [200, 200], approvals
        eventually(lambda: len(threads) == 2)
    ends = [eventually(lambda d=d: (x := flow.dossier(d))["status"] in ("paid", "refused") and x,
                       timeout=60) for d in dossiers]
    assert sorted(e["status"] for e in ends) == ["paid", "refused"], ends
    (paid,) = [e for e in ends if e["status"] == "paid"]
    (refused,) = [e for e in ends if e["status"] == "refused"]
    assert refused["result"]["code"] == "insufficient_balance"
    assert account_item(stack, account) == {"balance": opening - amount, "reserved": 0}
    assert flow.balance(account) == opening - amount
    booked = [e for d in dossiers for e in stack.ledger.entries(d)]
    assert len(booked) == 1 and booked[0]["posting_id"] == paid["dossier_id"], booked
    assert int(booked[0]["amount"]) == amount
    assert stack.ledger.posting(refused["dossier_id"]) is None   # never asked of the ledger
    assert trail(flow, paid["dossier_id"])[-1] == "posted"
    assert trail(flow, refused["dossier_id"])[-1] == "insufficient_balance"


# --- (d) one Idempotency-Key, several threads -----------------------------------------------------
def since_now() -> str:
    return (clock.now() - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def only_real_dossiers_reached_the_portal(api, tokens, flow: Flow, unique, since: str) -> None:
    """The losers' cancelled transactions streamed nothing: every dossier the national portal was
    told about since `since` exists (a marker submitted after the race comes last)."""
    marker = flow.submit(unique("MARKER"))["dossier_id"]

    def feed():
        items, _ = pull(api, tokens[PORTAL], since, limit=200)
        return any(i["dossier_code"] == marker for i in items) and items
    readers = {"KV1": tokens["lanhdao.kv1"], "KV1-CG": tokens["lanhdao.kv1"],
               "KV2": tokens["lanhdao.kv2"]}
    for entry in eventually(feed, timeout=STREAM_LAG, interval=1):
        reader = readers.get(entry["office_id"])
        if reader is not None:
            status, body = api.call("GET", f"/v1/dossiers/{entry['dossier_code']}", token=reader)
            assert status == 200, (entry, body)


@pytest.mark.parametrize("round_", range(3))
def test_the_same_idempotency_key_from_four_threads_at_once_creates_one_dossier(
        api, tokens, pki_dir, unique, round_):
    flow = Flow(api, tokens, pki_dir)
    number, key = unique("IDEM-RACE"), f"race-{secrets.token_hex(8)}"
    body = flow.signed(sample_content(number))
    since = since_now()
    answers = at_once(*(lambda: api.call("POST", "/v1/dossiers", body, token=flow.unit,
                                         headers={"Idempotency-Key": key}) for _ in range(4)))
    assert [a[0] for a in answers] == [201] * 4, answers
    assert len({a[1]["dossier_id"] for a in answers}) == 1
    assert all(a[1] == answers[0][1] for a in answers)   # the first answer, replayed
    dossier_id = answers[0][1]["dossier_id"]
    _, mine = api.call("GET", "/v1/dossiers?limit=200", token=flow.unit)
    assert [x["dossier_id"] for x in mine["items"] if x["voucher_number"] == number] == [dossier_id]
    flow.task(flow.officer, dossier_id)
    assert len(open_tasks(flow, flow.officer, dossier_id)) == 1   # one workflow
    assert trail(flow, dossier_id) == ["submitted"]
    only_real_dossiers_reached_the_portal(api, tokens, flow, unique, since)


def test_one_idempotency_key_with_two_bodies_at_once_keeps_the_first_and_refuses_the_other(
        api, tokens, pki_dir, unique):
    flow = Flow(api, tokens, pki_dir)
    key, since = f"race-{secrets.token_hex(8)}", since_now()
    bodies = [flow.signed(sample_content(unique("IDEM-A"))), flow.signed(sample_content(unique("IDEM-B")))]
    answers = at_once(*(lambda b=b: api.call("POST", "/v1/dossiers", b, token=flow.unit,
                                             headers={"Idempotency-Key": key})
                        for b in (*bodies, *bodies)))
    created = [a for a in answers if a[0] == 201]
    refused = [a for a in answers if a[0] != 201]
    assert len(created) == 2 and len({a[1]["dossier_id"] for a in created}) == 1, answers
    assert [(s, b["error"]["code"]) for s, b in refused] == [(422, "idempotency_key_reused")] * 2
    winner = created[0][1]
    numbers = {sample["content"]["voucher"]["number"] for sample in bodies}
    _, mine = api.call("GET", "/v1/dossiers?limit=200", token=flow.unit)
    assert [x["dossier_id"] for x in mine["items"] if x["voucher_number"] in numbers] == \
        [winner["dossier_id"]]
    only_real_dossiers_reached_the_portal(api, tokens, flow, unique, since)
