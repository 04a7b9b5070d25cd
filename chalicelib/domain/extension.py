"""Deadline extensions (gia hạn): the treasury may extend its own time limit at a step only for a
cause the law recognises (an IT failure, an objective obstacle under 347/2025 Art.3 cl.6), by a
few working days, with a stated reason that goes into the audit trail. This module is the rule
for what a request may ask; which steps may be extended is the catalogue's (`Step.extendable`),
and the new due time is the calendar's."""
from __future__ import annotations

from dataclasses import dataclass

from .commands import Extend
from .errors import InvalidField

DECISION = "extend"            # the task output the workflow routes back to the same step
CAUSES = ("it_failure",)       # sự cố công nghệ thông tin
MAX_WORKING_DAYS = 3
MAX_REASON = 500


@dataclass(frozen=True)
class ExtensionRequest:
    cause: str
    reason: str
    working_days: int


def parse_extension(cmd: Extend) -> ExtensionRequest:
    cause, reason, days = cmd.cause, cmd.reason, cmd.working_days
    if cause not in CAUSES:
        raise InvalidField("Căn cứ gia hạn không hợp lệ (cho phép: it_failure).",
                           code="invalid_cause", field="cause")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidField("Cần lý do gia hạn (tối đa 500 ký tự).", code="reason_required",
                           field="reason")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_WORKING_DAYS:
        raise InvalidField("Số ngày gia hạn phải là số nguyên từ 1 đến 3 ngày làm việc.",
                           code="invalid_working_days", field="working_days")
    return ExtensionRequest(cause, reason.strip(), days)
