"""Deadline extensions (gia hạn) through the public API and the real workflow: a leader of the
dossier's office extends the time limit of the treasury step it waits at for an IT failure, with a
reason; the due time moves by the office calendar, the extension is audited, the step waits again
in a fresh task, and the dossier carries on."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, time

import pytest

from chalicelib import clock
from chalicelib.domain.calendar import DEFAULT_CALENDAR, VN_TZ
from tests.conftest import eventually
from tests.integration.flow import Flow
from tests.integration.test_overdue import make_late, report

pytestmark = pytest.mark.integration

IT_FAILURE = {"cause": "it_failure", "working_days": 2,
              "reason": "Hệ thống TABMIS gián đoạn từ 14:00 ngày làm việc cuối, có thông báo."}


def extend(flow: Flow, dossier_id: str, body: object, token: str | None = None):
    return flow.api.call("POST", f"/v1/dossiers/{dossier_id}/extension", body,
                         token=token or flow.leader)


def local(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(VN_TZ)


def inbox(flow: Flow, token: str, state: str = "open") -> list[dict]:
    items, cursor = [], ""
    while True:
        status, page = flow.api.call("GET", f"/v1/tasks?state={state}&limit=200{cursor}",
                                     token=token)
        assert status == 200, page
        items += page["items"]
        if not page.get("next_cursor"):
            return items
        cursor = f"&cursor={page['next_cursor']}"


def tasks_of(flow: Flow, token: str, dossier_id: str, state: str = "open") -> list[dict]:
    return [t for t in inbox(flow, token, state) if t["dossier_id"] == dossier_id]


def fresh_task(flow: Flow, token: str, dossier_id: str, replaced: str) -> dict:
    """The decision task the step opens again after an extension (the replaced one is decided)."""
    return eventually(lambda: next((t for t in tasks_of(flow, token, dossier_id)
                                    if t["kind"] == "decision" and t["task_id"] != replaced), None))


def audit_actions(flow: Flow, dossier_id: str) -> list[dict]:
    status, trail = flow.api.call("GET", f"/v1/dossiers/{dossier_id}/audit", token=flow.leader)
    assert status == 200 and trail["verification"]["intact"], trail
    return trail["records"]


def test_a_leader_extends_an_officers_review_for_an_it_failure_and_the_dossier_carries_on(flow,
                                                                                        unique):
    d = flow.submit(unique("EXT"))
    first = flow.task(flow.officer, d["dossier_id"])

    status, body = extend(flow, d["dossier_id"], IT_FAILURE)
    assert status == 200, body
    # two working days of KV1's calendar (KV1 declares no day off in these tests), at the close
    before, after = local(d["due_at"]), local(body["due_at"])
    cal = DEFAULT_CALENDAR
    assert after.date() == cal.next_working_day(cal.next_working_day(before.date()))
    assert after.time() == time(17, 0)
    assert (body["status"], body["step"]) == ("under_review", "review")

    (granted,) = flow.dossier(d["dossier_id"], token=flow.leader)["extensions"]
    assert {k: v for k, v in granted.items() if k != "at"} == {
        "step": "review", "cause": "it_failure", "reason": IT_FAILURE["reason"],
        "working_days": 2, "from_due_at": d["due_at"], "to_due_at": body["due_at"],
        "by": "lanhdao.kv1"}
    assert flow.dossier(d["dossier_id"])["extensions"] == [granted]   # the unit sees it too
    record = next(r for r in audit_actions(flow, d["dossier_id"])
                  if r["action"] == "deadline_extended")
    assert (record["reason"], record["step"], record["actor"]["username"]) == (
        IT_FAILURE["reason"], "review", "lanhdao.kv1")
    assert record["extension"] == {"cause": "it_failure", "working_days": 2,
                                   "from_due_at": d["due_at"], "to_due_at": body["due_at"]}

    # the workflow waits at the same step again: a fresh task, due on the new day
    fresh = fresh_task(flow, flow.officer, d["dossier_id"], replaced=first["task_id"])
    assert (fresh["step"], fresh["overdue"]) == ("review", False)
    assert fresh["due_at"] >= body["due_at"] and local(fresh["due_at"]).date() == after.date()
    (replaced,) = [t for t in tasks_of(flow, flow.officer, d["dossier_id"], "decided")
                   if t["task_id"] == first["task_id"]]
    assert (replaced["decision"], replaced["reason"]) == ("extend", IT_FAILURE["reason"])

    assert flow.decide(flow.officer, d["dossier_id"], "accept")[0] == 200
    assert flow.decide(flow.leader, d["dossier_id"], "approve")[0] == 200
    assert flow.reaches(d["dossier_id"], "paid")["due_at"] == body["due_at"]
    status, err = extend(flow, d["dossier_id"], IT_FAILURE)
    assert (status, err["error"]["code"]) == (409, "not_extendable")


@pytest.fixture(scope="module")
def waiting(api, tokens, pki_dir) -> dict:
    """A dossier waiting at the officer's review, which the refused requests below leave alone."""
    flow = Flow(api, tokens, pki_dir)
    d = flow.submit(f"EXT-REFUSED-{uuid.uuid4().hex[:8]}")
    flow.task(flow.officer, d["dossier_id"])
    return d


@pytest.mark.parametrize("change, field, code", [
    ({"reason": ...}, "reason", "reason_required"),
    ({"reason": "  "}, "reason", "reason_required"),
    ({"reason": "x" * 501}, "reason", "reason_required"),
    ({"cause": ...}, "cause", "invalid_cause"),
    ({"cause": "public_holiday"}, "cause", "invalid_cause"),
    ({"cause": "workload"}, "cause", "invalid_cause"),
    ({"working_days": ...}, "working_days", "invalid_working_days"),
    ({"working_days": 0}, "working_days", "invalid_working_days"),
    ({"working_days": 4}, "working_days", "invalid_working_days"),
    ({"working_days": "2"}, "working_days", "invalid_working_days"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_an_extension_needs_a_known_cause_a_reason_and_one_to_three_working_days(
        flow, waiting, change, field, code):
    body = {k: v for k, v in {**IT_FAILURE, **change}.items() if v is not ...}
    status, err = extend(flow, waiting["dossier_id"], body)
    assert (status, err["error"]["code"], err["error"]["field"]) == (422, code, field)
    after = flow.dossier(waiting["dossier_id"])
    assert (after["due_at"], after["extensions"]) == (waiting["due_at"], [])


def test_only_a_leader_of_the_dossiers_own_office_may_extend(api, tokens, pki_dir, flow, waiting):
    for username, expected in (("kiemsoat.kv1", (403, "role_not_allowed")),
                               ("ketoan.cva", (403, "role_not_allowed")),
                               ("lanhdao.kv2", (404, "dossier_not_found")),
                               ("lanhdao.cg", (404, "dossier_not_found"))):
        status, err = extend(flow, waiting["dossier_id"], IT_FAILURE, token=tokens[username])
        assert (status, err["error"]["code"]) == expected, username
    # a regional leader reads a district office's dossiers but extends only its own office's
    dv = Flow(api, tokens, pki_dir, unit="ketoan.dv", officer="kiemsoat.cg", leader="lanhdao.cg")
    district = dv.submit(f"EXT-DV-{uuid.uuid4().hex[:8]}", unit_code="1045678",
                         chapter_code="622", account="9523.1.1045678")
    dv.task(dv.officer, district["dossier_id"])
    status, err = extend(flow, district["dossier_id"], IT_FAILURE, token=tokens["lanhdao.kv1"])
    assert (status, err["error"]["code"]) == (404, "dossier_not_found")
    assert flow.dossier(waiting["dossier_id"])["extensions"] == []


def test_the_units_time_to_supplement_is_not_extendable(flow, unique):
    d = flow.submit(unique("EXT-SUP"))
    status, body = flow.decide(flow.officer, d["dossier_id"], "request_supplement",
                               "Thiếu bảng kê chứng từ.")
    assert status == 200, body
    flow.task(flow.unit, d["dossier_id"])   # the unit's supplement step is open
    status, err = extend(flow, d["dossier_id"], IT_FAILURE)
    assert (status, err["error"]["code"]) == (409, "not_extendable")
    assert flow.dossier(d["dossier_id"])["extensions"] == []


def test_an_overdue_dossier_extended_into_the_future_is_no_longer_late(api, stack, flow, unique):
    d = flow.submit(unique("EXT-LATE"))
    make_late(stack, d["dossier_id"])
    flow.decide(flow.officer, d["dossier_id"], "accept")        # approval gets no time left
    flow.task(flow.leader, d["dossier_id"], kind="escalation")
    overdue = flow.task(flow.leader, d["dossier_id"])
    assert (overdue["step"], overdue["overdue"]) == ("approval", True)
    eventually(lambda: d["dossier_id"] in [i["dossier_id"] for i in report(api, flow.leader)["items"]])

    status, body = extend(flow, d["dossier_id"], {**IT_FAILURE, "working_days": 3})
    assert status == 200, body
    assert local(body["due_at"]) > clock.now()
    for query in ("", "?without_reason=false"):
        assert d["dossier_id"] not in [i["dossier_id"] for i in report(api, flow.leader, query)["items"]]
    # the leader's escalation is resolved, and the step waits again, on time
    assert [t["kind"] for t in tasks_of(flow, flow.leader, d["dossier_id"])
            if t["kind"] == "escalation"] == []
    fresh = fresh_task(flow, flow.leader, d["dossier_id"], replaced=overdue["task_id"])
    assert (fresh["step"], fresh["overdue"]) == ("approval", False)
    assert fresh["due_at"] >= body["due_at"]
    assert d["dossier_id"] not in [i["dossier_id"] for i in report(api, flow.leader)["items"]]
    assert "deadline_extended" in [r["action"] for r in audit_actions(flow, d["dossier_id"])]

    assert flow.decide(flow.leader, d["dossier_id"], "approve")[0] == 200
    flow.reaches(d["dossier_id"], "paid")


@pytest.mark.parametrize("attempt", range(3))
def test_an_extension_racing_the_officers_decision_on_the_same_task_has_one_winner(flow, unique,
                                                                                  attempt):
    d = flow.submit(unique("EXT-RACE"))
    task = flow.task(flow.officer, d["dossier_id"])
    start, results = threading.Barrier(2), {}

    def accept():
        start.wait()
        results["accept"] = flow.api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
                                          {"decision": "accept"}, token=flow.officer)

    def extension():
        start.wait()
        results["extend"] = extend(flow, d["dossier_id"], IT_FAILURE)

    threads = [threading.Thread(target=accept), threading.Thread(target=extension)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    (winner,) = [name for name, (status, _) in results.items() if status == 200]
    (loser,) = set(results) - {winner}
    status, err = results[loser]
    lost = {"accept": {"task_already_decided"},
            "extend": {"task_already_decided", "not_extendable"}}[loser]
    assert status == 409 and err["error"]["code"] in lost, results
    actions = [r["action"] for r in audit_actions(flow, d["dossier_id"])]
    assert (actions.count("accept"), actions.count("deadline_extended")) == (
        (1, 0) if winner == "accept" else (0, 1))
    dossier = flow.dossier(d["dossier_id"])
    if winner == "extend":
        assert (dossier["status"], len(dossier["extensions"])) == ("under_review", 1)
        assert fresh_task(flow, flow.officer, d["dossier_id"], replaced=task["task_id"])
    else:
        assert (dossier["status"], dossier["extensions"]) == ("awaiting_approval", [])
        assert dossier["due_at"] == d["due_at"]


def test_art3_cl6_the_unit_is_emailed_the_final_deadline_of_a_force_majeure_extension(
        stack, flow, unique):
    """347/2025 Art.3 cl.6: an extension for force majeure, with its reason; the unit's registered
    address is told the final deadline, the cause and the reason; the audit record names them."""
    from devstack.outbox import fetch
    from tests.integration.test_notifications import STREAM_LAG, UNIT_EMAIL
    d = flow.submit(unique("EXT-MAIL"))
    flow.task(flow.officer, d["dossier_id"])
    flood = {"cause": "force_majeure", "working_days": 1,
             "reason": "Lũ lớn gây ngập trụ sở Kho bạc, phải tạm dừng giao dịch."}
    status, body = extend(flow, d["dossier_id"], flood)
    assert status == 200, body
    after = local(body["due_at"])
    assert after.date() == DEFAULT_CALENDAR.next_working_day(local(d["due_at"]).date())

    mail = eventually(lambda: next((m for m in fetch("emails", stack.endpoint_url,
                                                     contains=d["dossier_id"])
                                    if m["subject"].startswith("[KBNN] Gia hạn")), None),
                      timeout=STREAM_LAG)
    assert mail["to"] == [UNIT_EMAIL]
    final = f"{after:%H:%M} ngày {after:%d/%m/%Y}"
    assert final in mail["subject"]
    assert f"Thời hạn giải quyết cuối cùng: {final}" in mail["body"]
    assert "Sự kiện bất khả kháng" in mail["body"] and flood["reason"] in mail["body"]
    before = local(d["due_at"])
    assert f"Thời hạn trước khi gia hạn:  {before:%H:%M} ngày {before:%d/%m/%Y}" in mail["body"]
    assert "khoản 6 Điều 3 Nghị định 347/2025/NĐ-CP" in mail["body"]

    record = next(r for r in audit_actions(flow, d["dossier_id"])
                  if r["action"] == "deadline_extended")
    assert record["reason"] == flood["reason"]
    assert record["extension"] == {"cause": "force_majeure", "working_days": 1,
                                   "from_due_at": d["due_at"], "to_due_at": body["due_at"]}
