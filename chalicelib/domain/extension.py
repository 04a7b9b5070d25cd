"""Deadline extensions (gia hạn): the treasury may extend its own time limit at a step only for a
cause the law recognises, by a few working days, with a stated reason that goes into the audit
trail, and must tell the unit the final deadline (347/2025 Art.3 cl.6).

347/2025 Art.3 cl.6 allows two causes "theo quy định của pháp luật dân sự": force majeure and an
objective obstacle, as Civil Code 2015 Art.156 cl.1 defines them (an event that happens
objectively, cannot be foreseen and cannot be overcome despite every necessary measure; an
obstacle arising from objective circumstances that stops the party from knowing or exercising
its right or duty). The Civil Code is not in /work/shared/law; the definitions are cited from its
published text. `it_failure` (sự cố công nghệ thông tin), the product's first cause, is kept as a
named kind of objective obstacle: an outage of the treasury's own systems that it did not cause
and could not overcome in time; requests that send it keep working. This module is the rule
for what a request may ask; which steps may be extended is the catalogue's (`Step.extendable`),
and the new due time is the calendar's."""
from __future__ import annotations

from dataclasses import dataclass

from .commands import Extend
from .errors import InvalidField

DECISION = "extend"            # the task output the workflow routes back to the same step
# 347/2025 Art.3 cl.6: the causes, and how the unit is told each one.
CAUSE_VI = {
    "force_majeure": "Sự kiện bất khả kháng",
    "objective_obstacle": "Trở ngại khách quan",
    "it_failure": "Trở ngại khách quan: sự cố công nghệ thông tin",
}
CAUSES = tuple(CAUSE_VI)
MAX_WORKING_DAYS = 3
MAX_REASON = 500


@dataclass(frozen=True)
class ExtensionRequest:
    cause: str
    reason: str
    working_days: int


def parse_extension(cmd: Extend) -> ExtensionRequest:
    cause, reason, days = cmd.cause, cmd.reason, cmd.working_days
    if not isinstance(cause, str) or cause not in CAUSES:   # 347/2025 Art.3 cl.6: only these
        raise InvalidField("Căn cứ gia hạn không hợp lệ: chỉ gia hạn khi có sự kiện bất khả kháng "
                           "hoặc trở ngại khách quan (khoản 6 Điều 3 Nghị định 347/2025/NĐ-CP; cho "
                           f"phép: {', '.join(CAUSES)}).", code="invalid_cause", field="cause")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidField("Cần lý do gia hạn (tối đa 500 ký tự).", code="reason_required",
                           field="reason")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_WORKING_DAYS:
        raise InvalidField("Số ngày gia hạn phải là số nguyên từ 1 đến 3 ngày làm việc.",
                           code="invalid_working_days", field="working_days")
    return ExtensionRequest(cause, reason.strip(), days)


def cause_text(cause: str) -> str:
    """The cause as the unit reads it; an unknown one (a record of an older version) as given."""
    return CAUSE_VI.get(cause, cause)
