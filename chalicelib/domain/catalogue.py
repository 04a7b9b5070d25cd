"""The procedure catalogue as data.

Each procedure version says who acts at each step, which decisions exist there and where each
leads. The service reads this table through `transition()`; the Step Functions definitions in
workflows/ are generated from it, and a test fails if the two drift. Adding a procedure or a new
legal version means adding data here, not code in handlers.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from . import calendar
from .errors import Conflict, InvalidField, NotFound

# Dossier statuses. A waiting status names where the dossier waits; the end statuses are final.
UNDER_REVIEW = "under_review"
AWAITING_SUPPLEMENT = "awaiting_supplement"
AWAITING_APPROVAL = "awaiting_approval"
POSTING = "posting"
ACTIVATING = "activating"
PAID = "paid"
REFUSED = "refused"
RECORDED = "recorded"            # posted without money leaving the account (settlement, refund...)
REGISTERED = "registered"
CLOSED = "closed"
RECONCILED = "reconciled"        # the office confirms the unit's balance matches the ledger
NOT_RECONCILED = "not_reconciled"
END_STATUSES = frozenset({PAID, REFUSED, RECORDED, REGISTERED, CLOSED, RECONCILED, NOT_RECONCILED})

# Roles are Cognito groups.
UNIT_ROLES = ("unit_accountant", "chief_accountant", "account_holder")
CONTROL_OFFICER = "control_officer"
LEADER = "leader"
SYSTEM = "system"


@dataclass(frozen=True)
class Decision:
    name: str
    label_vi: str
    next_step: str | None = None      # None: the dossier ends with `end_status`
    end_status: str | None = None
    needs_reason: bool = False
    counts_as_supplement: bool = False


@dataclass(frozen=True)
class PaymentKind:
    """What a voucher does to its account when posted, and which earlier dossier it must name
    (`voucher.related_dossier`): an advance settlement names the advance it settles, a data
    adjustment names the payment whose codes it corrects."""
    code: str
    name_vi: str
    name_en: str
    balance_effect: int                  # -1 debit, +1 credit, 0 the balance does not move
    relates_to: tuple[str, ...] = ()     # payment kinds the related dossier may have
    needs_contract: bool = False

    def public(self) -> dict:
        return {"code": self.code, "name_vi": self.name_vi, "name_en": self.name_en,
                "balance_effect": self.balance_effect, "relates_to": list(self.relates_to),
                "needs_contract": self.needs_contract}


PAYMENT_KINDS = {k.code: k for k in (
    PaymentKind("payment", "Thực chi", "Payment", -1),
    PaymentKind("advance", "Tạm ứng", "Advance", -1, needs_contract=True),
    PaymentKind("advance_settlement", "Thanh toán tạm ứng", "Advance settlement", 0,
                relates_to=("advance",)),
    # 347/2025 Art.6 cl.2 pt.g: returned funds go back to the account (thu hồi giảm chi).
    PaymentKind("refund", "Nộp trả kinh phí", "Refund of funds", +1),
    PaymentKind("adjustment", "Điều chỉnh số liệu", "Data adjustment", 0,
                relates_to=("payment", "advance", "advance_settlement")),
    PaymentKind("oda_recording", "Ghi thu, ghi chi", "Recording revenue and spending", 0),
)}

# When a dossier component is required.
ALWAYS = "always"
OPTIONAL = "optional"
CONTRACT_OVER_THRESHOLD = "contract_over_threshold"   # a contract above 50 million đồng
CONTRACT_THRESHOLD = 50_000_000
INVESTMENT_RULE = "investment_rule"    # Decree 254/2025's own conditions (domain/investment_dossier.py)


@dataclass(frozen=True)
class Component:
    """A document a dossier carries in its manifest (`content.documents[].kind`). A one-time
    legal document is stored once per unit under its reference (the contract number, the budget
    year) and not asked for again: later dossiers are complete without it."""
    kind: str
    name_vi: str
    name_en: str
    required: str = OPTIONAL
    one_time: bool = False                # 347/2025 Art.3 cl.8: not asked for again
    payment_kinds: tuple[str, ...] = ()   # () : every kind of the procedure
    # A one-time document's identity within the unit: the voucher fields naming it.
    reference: tuple[str, ...] = ()

    def public(self) -> dict:
        return {"kind": self.kind, "name_vi": self.name_vi, "name_en": self.name_en,
                "required": self.required, "one_time": self.one_time,
                "reference": list(self.reference),
                "payment_kinds": list(self.payment_kinds)}


@dataclass(frozen=True)
class Step:
    name: str
    label_vi: str
    roles: tuple[str, ...]
    scope: str                        # "office" or "unit": whose inbox holds the task
    waiting_status: str
    decisions: tuple[Decision, ...]
    # Deadline: the dossier's legal due time, or a fixed number of working days for the step.
    working_days: int | None = None
    system_timeout_seconds: int | None = None

    @property
    def is_system(self) -> bool:
        return self.roles == (SYSTEM,)

    @property
    def extendable(self) -> bool:
        """The treasury's own time limits may be extended (for an IT failure, with a reason);
        a unit's time to supplement and the system's steps may not."""
        return self.scope == "office" and not self.is_system

    def decision(self, name: str) -> Decision | None:
        return next((d for d in self.decisions if d.name == name), None)


@dataclass(frozen=True)
class ProcedureVersion:
    code: str
    version: str
    name_vi: str
    name_en: str
    legal_basis: str
    effective_from: date
    effective_to: date | None
    sla_working_days: int
    peak_sla_working_days: int       # dossiers received 25-31 Jan and 25-31 Dec
    supplement_limit: int
    first_step: str
    steps: tuple[Step, ...]
    payment_kinds: tuple[str, ...] = ("payment", "advance")
    components: tuple[Component, ...] = ()
    # The officer's checklist for this procedure (GET /v1/dossiers/{id}/checks): the codes of the
    # checks run automatically and shown pass/fail; which apply to one dossier depends on its kind.
    checks: tuple[str, ...] = ()
    # Blocks a voucher of this procedure must carry besides the common ones: "project" (the
    # public investment project), "funding" (the foreign loan or grant agreement).
    voucher_blocks: tuple[str, ...] = ()
    # Who must sign the content, each with a certificate registered to the unit for that title.
    required_signers: tuple[str, ...] = ("chief_accountant", "account_holder")
    # What the content is ("payment": a voucher; "service_registration": form TK01). A procedure
    # `without_login` is submitted before the unit has logins; its signer's certificate need only
    # chain to a trusted CA, and is registered when the office accepts.
    content_kind: str = "payment"
    without_login: bool = False
    peak_windows: tuple[tuple[int, int, int], ...] = field(default=((1, 25, 31), (12, 25, 31)))
    # The budget years whose spending this version governs (None: unbounded), and the day until
    # which it still serves them after `effective_to` (347/2025 Art. 15 cl. 1 pt. a, Art. 16 cl. 1).
    budget_years: tuple[int | None, int | None] = (None, None)
    serves_its_budget_years_until: date | None = None
    # A voucher's budget year must be open at receipt (domain/budget_year.py).
    budget_year_window: bool = False
    # A time limit of its own per payment kind, outside the peak windows: (kind, working days)
    # (254/2025 Art.12 cl.4: an advance in one working day, a payment in two).
    sla_by_kind: tuple[tuple[str, int], ...] = ()
    # Programmes under treaties signed before this day keep this version after `effective_to`
    # until they are completed (347/2025 Art.15 cl.1 pt.c).
    serves_treaties_signed_before: date | None = None

    @property
    def workflow_name(self) -> str:
        return f"{self.code}-{self.version}".replace("_", "-")

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def sla_days(self, received_at: datetime, payment_kind: str | None = None) -> int:
        """The time limit of a dossier of `payment_kind` received at `received_at`, judged by its
        Vietnam-local date (347/2025 Art.6 cl.5: two working days for dossiers received 25-31 Jan
        and Dec, where the version has those `peak_windows`; 254/2025 Art.12 cl.4: a limit per
        kind, `sla_by_kind`)."""
        local = calendar.local_date(received_at)
        in_peak = any(local.month == m and lo <= local.day <= hi for m, lo, hi in self.peak_windows)
        if in_peak:
            return self.peak_sla_working_days
        return dict(self.sla_by_kind).get(payment_kind or "", self.sla_working_days)

    def due_at(self, received_at: datetime,
               office_calendar: calendar.WorkingCalendar = calendar.DEFAULT_CALENDAR, *,
               payment_kind: str | None = None) -> datetime:
        """The promised result date of the receipt notice (347/2025 Art.3 cl.4 pt.a)."""
        return office_calendar.due_at(received_at, self.sla_days(received_at, payment_kind))

    def is_in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def governs(self, budget_year: int) -> bool:
        lo, hi = self.budget_years
        return (lo is None or lo <= budget_year) and (hi is None or budget_year <= hi)

    def serves(self, on: date, budget_year: int) -> bool:
        """In force on `on` for spending of `budget_year`: this version governs that year and is
        in force, or still serves it after being replaced (347/2025 Art. 15 cl. 1 pt. a)."""
        until = self.serves_its_budget_years_until
        return self.governs(budget_year) and (
            self.is_in_force(on) or (until is not None and self.effective_from <= on < until))

    def public(self) -> dict:
        return {
            "code": self.code, "version": self.version, "name_vi": self.name_vi,
            "name_en": self.name_en, "legal_basis": self.legal_basis,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "sla_working_days": self.sla_working_days,
            "peak_sla_working_days": self.peak_sla_working_days,
            "sla_by_kind": dict(self.sla_by_kind),
            "supplement_limit": self.supplement_limit,
            "payment_kinds": [PAYMENT_KINDS[k].public() for k in self.payment_kinds],
            "voucher_blocks": list(self.voucher_blocks),
            "components": [c.public() for c in self.components],
            "checks": list(self.checks),
            "required_signers": list(self.required_signers), "content_kind": self.content_kind,
            "without_login": self.without_login,
            "steps": [{
                "name": s.name, "label_vi": s.label_vi, "roles": list(s.roles),
                "working_days": s.working_days,
                "decisions": [{"name": d.name, "label_vi": d.label_vi,
                               "needs_reason": d.needs_reason} for d in s.decisions],
            } for s in self.steps],
        }


def _office_review(label_vi: str, *, then: str, supplement: bool = True) -> Step:
    """The control officer's review: accept (to `then`), ask for a supplement once (where the
    unit can answer, i.e. it has logins), or refuse with a reason. The supplement request says
    what to add (347/2025 Art.3 cl.4 pt.a); a refusal is the result notice with its reasons
    (347/2025 Art.6 cl.2 pt.k; for ODA 347/2025 Art.7 cl.2 pt.d; Mẫu 33)."""
    decisions = [Decision("accept", "Chấp nhận", next_step=then)]
    if supplement:
        decisions.append(Decision("request_supplement", "Yêu cầu bổ sung", next_step="supplement",
                                  needs_reason=True, counts_as_supplement=True))
    decisions.append(Decision("refuse", "Từ chối", end_status=REFUSED, needs_reason=True))
    return Step("review", label_vi, (CONTROL_OFFICER,), "office", UNDER_REVIEW, tuple(decisions))


def _unit_supplement() -> Step:
    return Step("supplement", "Đơn vị bổ sung hồ sơ", UNIT_ROLES, "unit", AWAITING_SUPPLEMENT, (
        Decision("resubmit", "Gửi lại hồ sơ đã bổ sung", next_step="review"),
    ), working_days=5)


def _approval(then: str) -> Step:
    return Step("approval", "Lãnh đạo phê duyệt", (LEADER,), "office", AWAITING_APPROVAL, (
        Decision("approve", "Phê duyệt", next_step=then),
        Decision("send_back", "Trả lại cán bộ kiểm soát", next_step="review", needs_reason=True),
    ))


# How long the posting step waits for the core ledger (TABMIS) before the workflow re-runs it
# (which asks the ledger again): longer than the adapter's whole retry budget (domain/ledger.py,
# about 8.5 minutes of backoff) plus the ledger's own queue latency, so a timeout means "no
# answer at all", not "still retrying". Re-runs repeat every 30 minutes until the ledger answers.
POSTING_TIMEOUT_SECONDS = 1800


def _posting() -> Step:
    """Debit (or credit, or only record) the account as the voucher's kind says, booked in the
    core ledger (TABMIS); refuse when the money or the account is no longer there, an advance
    settlement outgrew its advance, or the ledger refuses the posting."""
    return Step("posting", "Hạch toán, thanh toán", (SYSTEM,), "office", POSTING, (
        Decision("posted", "Đã thanh toán", end_status=PAID),
        Decision("recorded", "Đã hạch toán", end_status=RECORDED),
        Decision("insufficient_balance", "Số dư không đủ", end_status=REFUSED),
        Decision("account_closed", "Tài khoản đã tất toán", end_status=REFUSED),
        Decision("over_advance", "Vượt số tạm ứng còn lại", end_status=REFUSED),
        # 254/2025 Art.6 cl.4-5, Art.9 cl.4: the plan (or total investment) used up meanwhile.
        Decision("over_year_plan", "Vượt kế hoạch vốn năm / tổng mức đầu tư", end_status=REFUSED),
        Decision("ledger_rejected", "TABMIS từ chối hạch toán", end_status=REFUSED),
    ), system_timeout_seconds=POSTING_TIMEOUT_SECONDS)


PAYMENT_CHECKS: tuple[str, ...] = (
    "lines_sum_to_total", "economic_codes_known", "within_balance", "within_contract",
    "advance_within_contract_rate", "related_dossier",
    "parts_sum_to_total")   # a split voucher (Mẫu 14 / 18) only


# The checks of public-investment payments (254/2025 Art.6 cl.4-6, Art.9 cl.4-5;
# domain/investment.py), shown on the investment procedures' checklists.
INVESTMENT_CHECKS_254: tuple[str, ...] = (
    "within_total_investment", "within_year_plan", "advance_within_year_plan",
    "within_contract_items", "advance_recovered_by_80_percent")


def _payment_steps() -> tuple[Step, ...]:
    return (_office_review("Kiểm soát hồ sơ", then="approval"), _unit_supplement(),
            _approval(then="posting"), _posting())


# Dossier components. One-time legal documents are identified by a voucher field (`reference`).
# 347/2025 Art.6 cl.3 pt.a: the estimate approval is sent once a year (and at each change).
ESTIMATE_APPROVAL = Component(
    "estimate_approval", "Quyết định giao dự toán ngân sách năm", "Budget-estimate approval for the year",
    ALWAYS, one_time=True, reference=("budget_year",), payment_kinds=("payment", "advance"))
CONTRACT = Component(
    "contract", "Hợp đồng kinh tế (giá trị trên 50 triệu đồng)", "Contract (above 50 million đồng)",
    CONTRACT_OVER_THRESHOLD, one_time=True, reference=("contract_number",))
PAYEE_LIST = Component(
    "payee_list", "Bảng kê chứng từ thanh toán / danh sách người nhận",
    "Payee list / list of payment documents")
ACCEPTANCE = Component(
    "acceptance_record", "Biên bản nghiệm thu", "Acceptance record",
    payment_kinds=("payment", "advance_settlement"))
SETTLEMENT_STATEMENT = Component(
    "settlement_statement", "Bảng kê thanh toán tạm ứng", "Advance settlement statement",
    payment_kinds=("advance_settlement",))
INVESTMENT_DECISION = Component(
    "investment_decision", "Quyết định phê duyệt dự án đầu tư", "Investment decision approving the project",
    ALWAYS, one_time=True, reference=("project_code",))
CAPITAL_PLAN = Component(
    "capital_plan", "Kế hoạch vốn đầu tư công năm", "Public investment capital plan for the year",
    ALWAYS, one_time=True, reference=("project_code", "budget_year"), payment_kinds=("payment", "advance"))
VOLUME_STATEMENT = Component(
    "volume_statement", "Bảng xác định giá trị khối lượng hoàn thành", "Statement of completed work",
    payment_kinds=("payment",))
FUNDING_AGREEMENT = Component(
    "funding_agreement", "Hiệp định vay, viện trợ", "Loan or grant agreement",
    ALWAYS, one_time=True, reference=("agreement_number",))
DONOR_NOTICE = Component(
    "donor_notice", "Thông báo giải ngân / rút vốn của nhà tài trợ", "Donor's disbursement notice", ALWAYS)

# 347/2025 Art.6 cl.5: one working day, two for dossiers received 25-31 Jan and 25-31 Dec
# (`peak_windows`); 347/2025 Art.3 cl.5: one supplement at most.
REGULAR_SPENDING_PAYMENT_347 = ProcedureVersion(
    code="regular_spending_payment",
    version="347-2025",
    name_vi="Kiểm soát, thanh toán các khoản chi thường xuyên",
    name_en="Regular spending: payment, advance, settlement, refund, adjustment",
    legal_basis="Nghị định 347/2025/NĐ-CP, Điều 6",
    effective_from=date(2026, 1, 1),
    effective_to=None,
    sla_working_days=1,
    peak_sla_working_days=2,
    supplement_limit=1,
    first_step="review",
    steps=_payment_steps(),
    payment_kinds=("payment", "advance", "advance_settlement", "refund", "adjustment"),
    components=(ESTIMATE_APPROVAL, CONTRACT, PAYEE_LIST, ACCEPTANCE, SETTLEMENT_STATEMENT),
    checks=PAYMENT_CHECKS,
    budget_years=(2026, None),          # 347/2025 Art. 16 cl. 1: applied from budget year 2026
    budget_year_window=True,
)

# Decree 11/2020 governed the same procedure (11/2020 Art.7) until 347/2025 took over on
# 1 Jan 2026. A dossier received under it finishes under it (347/2025 Art.15 cl.1 pt.b): same
# steps, its own legal basis and state machine. It also still serves the spending of budget
# year 2025 until the end of 31 January 2026 (347/2025 Art.15 cl.1 pt.a).
REGULAR_SPENDING_PAYMENT_11_2020 = replace(
    REGULAR_SPENDING_PAYMENT_347, version="11-2020", legal_basis="Nghị định 11/2020/NĐ-CP, Điều 7",
    effective_from=date(2020, 3, 10), effective_to=date(2026, 1, 1),
    budget_years=(None, 2025), serves_its_budget_years_until=date(2026, 2, 1))

# ODA and concessional loans: the treasury records revenue and spending of funds the donor paid
# out directly (ghi thu, ghi chi); the unit's balance does not move (347/2025 Art.7 cl.2 pt.c:
# booked, not paid). Two working days all year (347/2025 Art.7 cl.5).
ODA_RECORDING_347 = ProcedureVersion(
    code="oda_recording",
    version="347-2025",
    name_vi="Ghi thu, ghi chi vốn vay ODA, vay ưu đãi nước ngoài",
    name_en="Recording ODA and concessional-loan funds",
    legal_basis="Nghị định 347/2025/NĐ-CP, Điều 7",
    effective_from=date(2026, 1, 1),
    effective_to=None,
    sla_working_days=2,
    peak_sla_working_days=2,
    supplement_limit=1,
    first_step="review",
    steps=(_office_review("Kiểm soát hồ sơ ghi thu, ghi chi", then="approval"), _unit_supplement(),
           _approval(then="posting"), _posting()),
    payment_kinds=("oda_recording",),
    components=(FUNDING_AGREEMENT, DONOR_NOTICE),
    voucher_blocks=("project", "funding"),
    checks=("lines_sum_to_total", "economic_codes_known", "within_contract"),
    budget_year_window=True,
)
# 347/2025 Art.15 cl.1 pt.c names the 11/2020 article on ODA and concessional loans from
# recurrent estimates: Điều 10. Programmes under treaties signed before Decree 56/2020 took
# effect (25 May 2020) keep it until they are completed (`serves_treaties_signed_before`).
ODA_RECORDING_11_2020 = replace(
    ODA_RECORDING_347, version="11-2020", legal_basis="Nghị định 11/2020/NĐ-CP, Điều 10",
    effective_from=date(2020, 3, 10), effective_to=date(2026, 1, 1),
    serves_treaties_signed_before=date(2020, 5, 25))

# Decree 11/2020 Art. 8-10 procedures, replaced by Decree 254/2025 (347/2025 Art.1 sends
# investment capital to the law on public investment). 254/2025 Art.56 cl.1: in force from its
# signing, 26 Sep 2025; 254/2025 Art.54 cl.1: every advance, advance recovery and payment of
# completed volume after that day follows 254/2025, and the legal dossiers already sent stay
# valid (the one-time components below keep their kinds and references, so what is on file is
# not asked for again). So these versions end on 26 Sep 2025: no dossier received since is bound
# to them; one received before finishes under them (bound at receipt). The article numbers of
# 11/2020 for these three are unverified (no text of 11/2020 at hand).
INVESTMENT_CAPITAL_PAYMENT = ProcedureVersion(
    code="investment_capital_payment",
    version="11-2020",
    name_vi="Kiểm soát, thanh toán vốn đầu tư công",
    name_en="Investment capital payment",
    legal_basis="Nghị định 11/2020/NĐ-CP, Điều 8",
    effective_from=date(2020, 3, 10),
    effective_to=date(2025, 9, 26),
    sla_working_days=4,
    peak_sla_working_days=4,
    supplement_limit=1,
    first_step="review",
    steps=_payment_steps(),
    payment_kinds=("payment", "advance", "advance_settlement"),
    components=(INVESTMENT_DECISION, CAPITAL_PLAN, CONTRACT, VOLUME_STATEMENT, SETTLEMENT_STATEMENT),
    voucher_blocks=("project",),
    checks=PAYMENT_CHECKS + INVESTMENT_CHECKS_254,
)
PROJECT_MANAGEMENT_COSTS = replace(
    INVESTMENT_CAPITAL_PAYMENT, code="project_management_costs",
    name_vi="Kiểm soát, thanh toán chi phí quản lý dự án",
    name_en="Project management costs", legal_basis="Nghị định 11/2020/NĐ-CP, Điều 9",
    sla_working_days=2, peak_sla_working_days=2, payment_kinds=("payment", "advance"),
    checks=tuple(c for c in PAYMENT_CHECKS if c != "related_dossier") + INVESTMENT_CHECKS_254,
    components=(INVESTMENT_DECISION, ESTIMATE_APPROVAL, CONTRACT, PAYEE_LIST))
FOREIGN_CAPITAL_SPENDING = replace(
    INVESTMENT_CAPITAL_PAYMENT, code="foreign_capital_spending",
    name_vi="Kiểm soát chi vốn nước ngoài", name_en="Foreign capital spending",
    legal_basis="Nghị định 11/2020/NĐ-CP, Điều 10",
    components=(FUNDING_AGREEMENT, INVESTMENT_DECISION, CONTRACT, VOLUME_STATEMENT),
    voucher_blocks=("project", "funding"))

# Decree 254/2025's dossier components (Art.8). The signed voucher is the investor's Giấy đề
# nghị thanh toán vốn (Mẫu 04.a/TT) and Giấy rút vốn (Mẫu 05.a/TT) in one: their fields are its
# fields, signed by the chief accountant and the account holder. 254/2025 Art.8 cl.1: the legal
# dossier is sent the first time and again on any change, so each part is one-time, keyed by
# the project (and the plan year, the contract).
CONTRACT_SUMMARY = Component(
    "contract_summary", "Bảng tổng hợp thông tin hợp đồng (Mẫu 02.a/TT)",
    "Contract summary table (form 02.a/TT)", ALWAYS, one_time=True,
    reference=("project_code", "contract_number"))                      # 254/2025 Art.8 cl.1 pt.d
ESTIMATE_SUMMARY = Component(
    "estimate_summary", "Bảng tổng hợp thông tin dự toán (Mẫu 02.b/TT)",
    "Cost-estimate summary table (form 02.b/TT)", INVESTMENT_RULE, one_time=True,
    reference=("project_code",))                                        # 254/2025 Art.8 cl.1 pt.đ
ADVANCE_GUARANTEE = Component(
    "advance_guarantee", "Văn bản bảo lãnh tạm ứng hợp đồng", "Contract advance guarantee",
    INVESTMENT_RULE, payment_kinds=("advance",))            # 254/2025 Art.8 cl.2 pt.c, Art.9 cl.2
ADVANCE_RECOVERY_REQUEST = Component(
    "advance_recovery_request", "Giấy đề nghị thu hồi vốn tạm ứng (Mẫu 04.b/TT)",
    "Advance recovery request (form 04.b/TT)", INVESTMENT_RULE,
    payment_kinds=("payment", "advance_settlement"))         # 254/2025 Art.8 cl.3 pt.a (iii)
COMPLETED_VOLUME = Component(
    "completed_volume", "Bảng xác định giá trị khối lượng công việc hoàn thành (Mẫu 03.a/TT) "
    "hoặc bảng kê giá trị khối lượng bồi thường, hỗ trợ, tái định cư (Mẫu 03.b/TT)",
    "Statement of completed volume (form 03.a/TT or 03.b/TT)", ALWAYS,
    payment_kinds=("payment", "advance_settlement"))         # 254/2025 Art.8 cl.3 pt.a (iv), pt.b
PM_COST_ALLOCATION = Component(
    "pm_cost_allocation", "Bảng phân bổ chi phí quản lý dự án (Mẫu 09/QLDA) hoặc quyết định "
    "phê duyệt quyết toán", "Project-management cost allocation (form 09/QLDA) or settlement approval",
    payment_kinds=("payment", "advance_settlement"))         # 254/2025 Art.8 cl.6
NO_OBJECTION = Component(
    "donor_no_objection", "Văn bản không phản đối của nhà tài trợ", "Donor's no-objection letter")

# 254/2025 Art.8 cl.9: an incomplete dossier is refused, with a written notice of the specific
# reasons sent once, within 2 working days of receipt, for the investor to complete and send
# again. There is no request to supplement the same dossier (`supplement_limit` 0, the review
# offers accept or refuse, and a refusal needs its reason); the investor files a new one. Both
# limits below (1 and 2 working days) fall within those 2 days, so the refusal is in time
# whenever the review is. 254/2025 Art.12 cl.4, 254/2025 Art.23 cl.4, 254/2025 Art.24 cl.4: an
# advance is paid within 1 working day, a payment within 2; 347/2025 Art.6's year-end windows are not theirs.
def _under_254(proc: ProcedureVersion, **changes: object) -> ProcedureVersion:
    """The Decree 254/2025 version of an investment procedure."""
    return replace(
        proc, version="254-2025", effective_from=date(2025, 9, 26), effective_to=None,
        sla_working_days=2, peak_sla_working_days=2, sla_by_kind=(("advance", 1),),
        peak_windows=(), supplement_limit=0,
        steps=(_office_review("Kiểm soát hồ sơ thanh toán vốn", then="approval", supplement=False),
               _approval(then="posting"), _posting()),
        payment_kinds=("payment", "advance", "advance_settlement"),
        checks=PAYMENT_CHECKS + INVESTMENT_CHECKS_254, **changes)  # type: ignore[arg-type]


# Domestic capital: 254/2025 Art.23 (the procedure at the treasury), Art.8 cl.1-3 (dossier).
INVESTMENT_CAPITAL_PAYMENT_254 = _under_254(
    INVESTMENT_CAPITAL_PAYMENT,
    name_vi="Thanh toán vốn đầu tư công nguồn vốn trong nước (tạm ứng, thanh toán khối lượng "
    "hoàn thành, thu hồi tạm ứng)",
    legal_basis="Nghị định 254/2025/NĐ-CP, Điều 23",
    components=(CAPITAL_PLAN, INVESTMENT_DECISION, CONTRACT_SUMMARY, ESTIMATE_SUMMARY,
                ADVANCE_GUARANTEE, ADVANCE_RECOVERY_REQUEST, COMPLETED_VOLUME),
    voucher_blocks=("project", "investment"))
# Project-management costs: 254/2025 Art.23 with the dossier of Art.8 cl.6; an advance of
# project-management costs needs no guarantee (254/2025 Art.9 cl.2 pt.b (v)).
PROJECT_MANAGEMENT_COSTS_254 = _under_254(
    PROJECT_MANAGEMENT_COSTS,
    legal_basis="Nghị định 254/2025/NĐ-CP, Điều 23; Điều 8 khoản 6",
    components=(CAPITAL_PLAN, INVESTMENT_DECISION, ESTIMATE_SUMMARY, ADVANCE_RECOVERY_REQUEST,
                COMPLETED_VOLUME, PM_COST_ALLOCATION),
    voucher_blocks=("project", "investment"))
# Foreign capital: 254/2025 Art.24 (the procedure), Art.13 cl.1 (the legal dossier of Art.8
# cl.1 plus the agreement with the donor and its no-objection letters, if any).
FOREIGN_CAPITAL_SPENDING_254 = _under_254(
    FOREIGN_CAPITAL_SPENDING,
    name_vi="Thanh toán vốn nước ngoài (tạm ứng, thanh toán, thu hồi tạm ứng)",
    legal_basis="Nghị định 254/2025/NĐ-CP, Điều 24; Điều 13",
    components=(CAPITAL_PLAN, INVESTMENT_DECISION, FUNDING_AGREEMENT, NO_OBJECTION,
                CONTRACT_SUMMARY, ESTIMATE_SUMMARY, ADVANCE_GUARANTEE, ADVANCE_RECOVERY_REQUEST,
                COMPLETED_VOLUME),
    voucher_blocks=("project", "funding", "investment"))

SERVICE_REGISTRATION_TK01 = ProcedureVersion(
    code="service_registration",
    version="tk01",
    name_vi="Đăng ký sử dụng dịch vụ công trực tuyến (mẫu TK01)",
    name_en="Registration to use the online public service (form TK01)",
    legal_basis="Hướng dẫn của KBNN về dịch vụ công trực tuyến, mẫu TK01",
    effective_from=date(2020, 1, 1),
    effective_to=None,
    sla_working_days=1,
    peak_sla_working_days=1,
    supplement_limit=0,
    first_step="review",
    steps=(
        _office_review("Kiểm tra đăng ký", then="activation", supplement=False),
        Step("activation", "Kích hoạt đơn vị và người dùng", (SYSTEM,), "office", ACTIVATING, (
            Decision("activated", "Đã kích hoạt", end_status=REGISTERED),
            Decision("unit_registered_meanwhile", "Đơn vị đã được đăng ký bởi hồ sơ khác",
                     end_status=REFUSED),
        ), system_timeout_seconds=900),
    ),
    payment_kinds=(),
    required_signers=("account_holder",),
    content_kind="service_registration",
    without_login=True,
)

def _account_procedure_347(code: str, article: int, name_vi: str, name_en: str, review_vi: str,
                           system_step: Step, content_kind: str,
                           required_signers: tuple[str, ...]) -> ProcedureVersion:
    """Decree 347/2025's account procedures share their legal frame: in force from 1 Jan 2026,
    one working day (347/2025 Art.8 cl.5, 347/2025 Art.9 cl.5), one supplement, office review ->
    unit supplement -> one system step."""
    return ProcedureVersion(
        code=code, version="347-2025", name_vi=name_vi, name_en=name_en,
        legal_basis=f"Nghị định 347/2025/NĐ-CP, Điều {article}",
        effective_from=date(2026, 1, 1), effective_to=None,
        sla_working_days=1, peak_sla_working_days=1, supplement_limit=1, first_step="review",
        steps=(_office_review(review_vi, then=system_step.name), _unit_supplement(), system_step),
        payment_kinds=(), required_signers=required_signers, content_kind=content_kind,
    )


SIGNATURE_SPECIMENS_347 = _account_procedure_347(
    "signature_specimens", 8, "Đăng ký, thay đổi mẫu dấu, mẫu chữ ký; đăng ký mở tài khoản",
    "Account registration and change of signature specimens", "Kiểm tra hồ sơ mẫu chữ ký",
    Step("apply_changes", "Áp dụng thay đổi", (SYSTEM,), "office", ACTIVATING, (
        Decision("applied", "Đã áp dụng", end_status=REGISTERED),
    ), system_timeout_seconds=900),
    content_kind="signature_specimens", required_signers=("account_holder",))

# 347/2025 Art.9 cl.3: Mẫu 25 with the reconciliation forms, which the checklist compares with
# the ledger before the office confirms the balance and closes (Art.9 cl.2 pt.c).
ACCOUNT_CLOSING_347 = replace(_account_procedure_347(
    "account_closing", 9, "Tất toán tài khoản", "Account closing", "Kiểm tra hồ sơ tất toán",
    Step("close_account", "Tất toán tài khoản", (SYSTEM,), "office", ACTIVATING, (
        Decision("closed", "Đã tất toán", end_status=CLOSED),   # 347/2025 Art.9 cl.2 pt.c
    ), system_timeout_seconds=900),
    content_kind="account_closing", required_signers=("chief_accountant", "account_holder")),
    checks=("form_matches_ledger",))


# 347/2025 Art.6 cl.3 pt.a (2nd paragraph): the unit's standing authorisation for the treasury
# to debit its account per utility bill (electricity, water, telecom); once the office accepts,
# the system puts it in force (services/autopay.py) and bills are paid as they arrive.
UTILITY_AUTOPAY_347 = _account_procedure_347(
    "utility_autopay_authorisation", 6, "Ủy quyền trích tài khoản thanh toán tự động định kỳ "
    "(điện, nước, viễn thông)", "Utility auto-pay authorisation",
    "Kiểm tra văn bản ủy quyền trích tài khoản",
    Step("put_in_force", "Đưa ủy quyền vào hiệu lực", (SYSTEM,), "office", ACTIVATING, (
        Decision("in_force", "Ủy quyền có hiệu lực", end_status=REGISTERED),
        Decision("account_closed", "Tài khoản đã tất toán", end_status=REFUSED),
    ), system_timeout_seconds=900),
    content_kind="utility_autopay", required_signers=("chief_accountant", "account_holder"))


def _under_11_2020(proc: ProcedureVersion, article: int) -> ProcedureVersion:
    """The Decree 11/2020 version of a Decree 347/2025 procedure: same steps, its own article,
    in force until 347/2025 took over."""
    return replace(proc, version="11-2020", legal_basis=f"Nghị định 11/2020/NĐ-CP, Điều {article}",
                   effective_from=date(2020, 3, 10), effective_to=date(2026, 1, 1))


# Balance reconciliation: the unit sends the form of its account (Mẫu 26-32, 347/2025 Art.10
# cl.3) for a period, the product compares it with the ledger's, the office answers within one
# working day (347/2025 Art.10 cl.5): "matches" confirms the form; "does not match" returns it
# with the differences and the unit reconciles again within 1 working day of that confirmation
# (347/2025 Art.10 cl.2 pt.c): the `re_reconcile` step, overdue (and escalated) when late.
BALANCE_RECONCILIATION_347 = ProcedureVersion(
    code="balance_reconciliation", version="347-2025",
    name_vi="Đối chiếu, xác nhận số dư tài khoản",
    name_en="Balance reconciliation", legal_basis="Nghị định 347/2025/NĐ-CP, Điều 10",
    effective_from=date(2026, 1, 1), effective_to=None,
    sla_working_days=1, peak_sla_working_days=1, supplement_limit=1, first_step="review",
    steps=(
        Step("review", "Đối chiếu số dư", (CONTROL_OFFICER,), "office", UNDER_REVIEW, (
            Decision("matches", "Xác nhận khớp đúng", end_status=RECONCILED),
            Decision("does_not_match", "Không khớp đúng (ghi rõ chênh lệch)",
                     next_step="re_reconcile", needs_reason=True),
            Decision("request_supplement", "Yêu cầu bổ sung", next_step="supplement",
                     needs_reason=True, counts_as_supplement=True),
            Decision("refuse", "Từ chối", end_status=REFUSED, needs_reason=True),
        )),
        _unit_supplement(),
        Step("re_reconcile", "Đơn vị đối chiếu lại", UNIT_ROLES, "unit", AWAITING_SUPPLEMENT, (
            Decision("resubmit", "Gửi lại bảng đối chiếu", next_step="review"),
        ), working_days=1),
    ),
    payment_kinds=(), required_signers=("chief_accountant", "account_holder"),
    content_kind="balance_reconciliation",
    checks=("book_balance_matches_ledger", "form_matches_ledger"),
    budget_years=(2026, None),   # 347/2025 Art.15 cl.1 pt.d: 2025's figures keep 11/2020's forms
)

# 347/2025 Art.15 cl.1 pt.d: reconciling 2025's estimate and usage, and what 2025 carries over
# into 2026, keeps Decree 11/2020's forms (11/2020 Art.13 cl.9 pt.a) until that reconciliation's
# deadline. The decree leaves the deadline to other law; assumed: the end of February 2026 (the
# carry-over is fixed at 31 January, Mẫu 31 col. 12; the annual statements are answered by
# 10 February, domain/statements.py), so 1 March 2026 is the first day 347's forms take over.
RECONCILIATION_2025_FORMS_UNTIL = date(2026, 3, 1)

# Temporary allocation of the estimate (tạm cấp dự toán, Mẫu 22): its own procedure, not a kind
# of voucher, because its result is an allocation, not a payment — accepted, it raises what the
# unit's estimate account may spend until the year's estimate is approved (services/allocation.py)
# and the unit receives the confirmed Mẫu 22. 347/2025 Art.6 cl.3 pt.d, cl.4, cl.5, cl.8 pt.a.
TEMPORARY_ALLOCATION_347 = ProcedureVersion(
    code="temporary_allocation", version="347-2025",
    name_vi="Tạm cấp dự toán ngân sách", name_en="Temporary allocation of the budget estimate",
    legal_basis="Nghị định 347/2025/NĐ-CP, Điều 6 khoản 3 điểm d",
    effective_from=date(2026, 1, 1), effective_to=None,
    sla_working_days=1, peak_sla_working_days=2, supplement_limit=1, first_step="review",
    steps=(_office_review("Kiểm soát giấy đề nghị tạm cấp", then="approval"), _unit_supplement(),
           _approval(then="allocate"),
           Step("allocate", "Tạm cấp dự toán", (SYSTEM,), "office", ACTIVATING, (
               Decision("allocated", "Đã tạm cấp", end_status=RECORDED),
               Decision("estimate_approved", "Dự toán năm đã được phê duyệt", end_status=REFUSED),
               Decision("account_closed", "Tài khoản đã tất toán", end_status=REFUSED),
           ), system_timeout_seconds=900)),
    payment_kinds=(), content_kind="temporary_allocation",
    checks=("lines_sum_to_total", "within_monthly_average", "estimate_not_approved"),
)

CATALOGUE: tuple[ProcedureVersion, ...] = (
    REGULAR_SPENDING_PAYMENT_347, REGULAR_SPENDING_PAYMENT_11_2020,
    ODA_RECORDING_347, ODA_RECORDING_11_2020,
    SIGNATURE_SPECIMENS_347, _under_11_2020(SIGNATURE_SPECIMENS_347, 12),
    # 11/2020's articles: reconciliation is Art.13 (cited by 347/2025 Art.15 cl.1 pt.d); closing
    # is taken to be Art.14 (the two were swapped here before); specimens Art.12 is not verified.
    ACCOUNT_CLOSING_347, _under_11_2020(ACCOUNT_CLOSING_347, 14),
    BALANCE_RECONCILIATION_347,
    replace(_under_11_2020(BALANCE_RECONCILIATION_347, 13), budget_years=(None, 2025),
            serves_its_budget_years_until=RECONCILIATION_2025_FORMS_UNTIL),
    UTILITY_AUTOPAY_347,
    INVESTMENT_CAPITAL_PAYMENT, PROJECT_MANAGEMENT_COSTS, FOREIGN_CAPITAL_SPENDING,
    INVESTMENT_CAPITAL_PAYMENT_254, PROJECT_MANAGEMENT_COSTS_254, FOREIGN_CAPITAL_SPENDING_254,
    SERVICE_REGISTRATION_TK01, TEMPORARY_ALLOCATION_347,
)


def version_in_force(code: str, on: date, budget_year: int | None = None, *,
                     treaty_signed_on: date | None = None) -> ProcedureVersion:
    """The version a dossier received on `on` is bound to for its whole life (347/2025 Art.15
    cl.1), from what the dossier declares:

    - pt.c: ODA and concessional loans from recurrent estimates under a treaty signed on
      `treaty_signed_on`, before 25 May 2020, keep Decree 11/2020 Art.10 until the programme is
      completed (the caller passes the date only for such funding);
    - pt.a: for spending of `budget_year`, the version that governs that year and serves it on
      `on` (budget-2025 spending stays under 11/2020 Art.7 until 31 Jan 2026);
    - pt.b: otherwise the version in force on `on`, so a dossier received before 1 Jan 2026
      finishes under 11/2020 (when none serves the budget year, the year's own check then
      refuses the voucher).

    pt.d (the 2025 reconciliation forms) binds by the period reconciled, not by a version: it
    would come in as one more keyword here, from the reconciliation's content."""
    if treaty_signed_on is not None:
        for proc in CATALOGUE:
            cutoff = proc.serves_treaties_signed_before
            if proc.code == code and cutoff is not None and treaty_signed_on < cutoff \
                    and proc.effective_from <= on:
                return proc
    if budget_year is not None:
        for proc in CATALOGUE:
            if proc.code == code and proc.serves(on, budget_year):
                return proc
    for proc in CATALOGUE:
        if proc.code == code and proc.is_in_force(on):
            return proc
    raise InvalidField("Thủ tục không tồn tại hoặc chưa/không còn hiệu lực.",
                       code="unknown_procedure", field="content.procedure")


def get_version(code: str, version: str) -> ProcedureVersion:
    for proc in CATALOGUE:
        if proc.code == code and proc.version == version:
            return proc
    raise NotFound("Không tìm thấy phiên bản thủ tục.", code="unknown_procedure_version")


@dataclass(frozen=True)
class Transition:
    decision: Decision
    to_status: str
    next_step: str | None


def _refusal(proc: ProcedureVersion, decision: Decision, *, supplements_used: int
             ) -> Conflict | None:
    """Why a decision that exists at its step cannot be taken on this dossier now, whatever the
    reason given; None if it can. The one rule both `transition()` and `available_decisions()`
    read, so a task never offers a decision that would be refused."""
    # 347/2025 Art.3 cl.5: a supplement is asked for at most once per dossier.
    if decision.counts_as_supplement and supplements_used >= proc.supplement_limit:
        return Conflict("Hồ sơ đã được yêu cầu bổ sung một lần; chỉ được chấp nhận hoặc từ chối.",
                        code="supplement_limit_reached", field="decision")
    return None


def available_decisions(proc: ProcedureVersion, step_name: str, *,
                        supplements_used: int) -> tuple[Decision, ...]:
    """The decisions `transition()` accepts at `step_name` now (with a reason where one is
    needed): what a task offers its officer."""
    return tuple(d for d in proc.step(step_name).decisions
                 if _refusal(proc, d, supplements_used=supplements_used) is None)


def transition(proc: ProcedureVersion, step_name: str, decision_name: str, *,
               supplements_used: int, reason: str | None) -> Transition:
    """Where `decision_name` at `step_name` leads, or the rule it breaks."""
    step = proc.step(step_name)
    decision = step.decision(decision_name)
    if decision is None:
        allowed = ", ".join(d.name for d in step.decisions)
        raise InvalidField(f"Quyết định không hợp lệ ở bước này (cho phép: {allowed}).",
                           code="decision_not_allowed", field="decision")
    if decision.needs_reason and not (reason and reason.strip()):
        raise InvalidField("Quyết định này phải ghi rõ lý do.", code="reason_required",
                           field="reason")
    refused = _refusal(proc, decision, supplements_used=supplements_used)
    if refused is not None:
        raise refused
    if decision.next_step is None:
        return Transition(decision, decision.end_status or REFUSED, None)
    return Transition(decision, proc.step(decision.next_step).waiting_status, decision.next_step)
