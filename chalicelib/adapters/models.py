"""PynamoDB models of the tables defined in infra/template.json.

Table names and region are bound at first use by `bind()` (from config), never at import, so tests
and the local stack can point the models at moto. All models share one PynamoDB connection whose
botocore client is instrumented like every other AWS client.
"""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    NumberSetAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from ..config import Config
from . import aws


class _Unbound(Model):
    class Meta:
        table_name = "unbound"
        max_retry_attempts = 3


# --- directory: offices, units, accounts share one table keyed by "KIND#id" -----------------
class Office(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    office_id = UnicodeAttribute()
    name = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    # Compensatory days off (and make-up working days) the office declares: [{date, reason, by}]
    days_off = JSONAttribute(null=True)
    extra_working_days = JSONAttribute(null=True)
    # Its working hours, {"start": "07:00", "end": "18:00"} local time; none: the default
    # (domain/calendar.py DEFAULT_WORKING_HOURS). The risk warnings' "outside working hours".
    working_hours = JSONAttribute(null=True)


class Unit(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    unit_id = UnicodeAttribute()            # the 7-digit budget-unit code (mã ĐVQHNS)
    name = UnicodeAttribute()
    office_id = UnicodeAttribute()
    chapter_code = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    mandatory = BooleanAttribute(default=True)
    registered_by = UnicodeAttribute(null=True)   # the TK01 dossier that created it
    registered_at = UnicodeAttribute(null=True)   # when it joined the service (unit.registered)
    # Who holds each signing title (Cognito subs), kept on the unit so the per-title limits
    # (3 chief accountants, 4 account holders) are enforced by one conditional write.
    chief_accountant_signers = UnicodeSetAttribute(null=True)
    account_holder_signers = UnicodeSetAttribute(null=True)


class TrustBundle(_Unbound):
    """The CAs whose certificates the treasury accepts: operator configuration kept as one item
    (pk "TRUST#bundle") so the app reads it with one GetItem and never needs to list."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    pems = JSONAttribute()                  # list of PEM strings
    updated_at = UnicodeAttribute()


class Account(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    unit_id = UnicodeAttribute()
    kind = UnicodeAttribute()               # "estimate" (dự toán) or "deposit" (tiền gửi)
    balance = NumberAttribute()             # whole đồng
    status = UnicodeAttribute(null=True)    # None: open; "closed" after an accepted closing
    # The last change: when, and which dossier moved it (carried by `balance.changed` events).
    updated_at = UnicodeAttribute(null=True)
    last_dossier_id = UnicodeAttribute(null=True)
    # What payments sent to the ledger (TABMIS) and not yet confirmed hold on the balance: the
    # available balance is balance - reserved (services/posting.py).
    reserved = NumberAttribute(null=True)
    # What the treasury allocated temporarily before the year's estimate was approved (Decree
    # 347/2025 Art. 6 cl. 3 pt. d, Mẫu 22; services/allocation.py): spendable on top of the balance.
    temporary_allocation = NumberAttribute(null=True)
    temporary_allocation_year = NumberAttribute(null=True)
    version = VersionAttribute()


class LegalDocument(_Unbound):
    """A one-time legal document on file for a unit (pk "LEGALDOC#<unit>#<kind>#<reference>"):
    the file itself is in the documents bucket under its SHA-256."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    unit_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    reference = UnicodeAttribute()
    sha256 = UnicodeAttribute()
    name = UnicodeAttribute()
    dossier_id = UnicodeAttribute(null=True)   # the dossier that brought it (None: seeded)
    registered_at = UnicodeAttribute()

    @staticmethod
    def key(unit_id: str, kind: str, reference: str) -> str:
        return f"LEGALDOC#{unit_id}#{kind}#{reference}"


# --- public-investment projects (254/2025 Art.6 cl.4-5, Art.7), in the directory table ----------
class Project(_Unbound):
    """A project the office pays investment capital to (pk "PROJECT#<7-digit code>"): the total
    investment its decision approved and, per year, the capital plan the office recorded
    (`plans`: {"2026": {allocated, extended_from_previous, advanced_from_next_year}}).
    What was disbursed is read from the owner unit's dossiers, never kept twice."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    project_code = UnicodeAttribute()
    name = UnicodeAttribute()
    owner_unit = UnicodeAttribute()
    office_id = UnicodeAttribute()
    total_investment = NumberAttribute()
    plans = JSONAttribute(default=dict)
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()

    @staticmethod
    def key(project_code: str) -> str:
        return f"PROJECT#{project_code}"


# --- utility auto-pay (347/2025 Art.6 cl.3 pt.a), in the directory table -----------------------
class AutopayAuthorisation(_Unbound):
    """An authorisation in force or revoked (pk "AUTOPAY#<dossier id>"): the accepted dossier's
    letter, and the bills decided under it (a set: adding the same bill twice adds nothing)."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    authorisation_id = UnicodeAttribute()          # the dossier that carried the letter
    unit_id = UnicodeAttribute()
    status = UnicodeAttribute()                    # in_force, revoked
    letter = JSONAttribute()                       # domain/autopay.py to_record
    in_force_at = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)
    revocation_reason = UnicodeAttribute(null=True)
    bill_keys = UnicodeSetAttribute(null=True)

    @staticmethod
    def key(authorisation_id: str) -> str:
        return f"AUTOPAY#{authorisation_id}"


class AutopayIndex(_Unbound):
    """A unit's authorisations (pk "AUTOPAYS#<unit>"): listed without a scan."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    authorisation_ids = UnicodeSetAttribute(null=True)


class AutopayBill(_Unbound):
    """One provider bill, decided once (pk "AUTOPAYBILL#<provider tax code>#<bill id>", written
    with attribute_not_exists: the same bill twice debits once)."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    bill_id = UnicodeAttribute()
    authorisation_id = UnicodeAttribute()
    unit_id = UnicodeAttribute()
    account_id = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()                   # paid, refused
    code = UnicodeAttribute(null=True)             # why refused
    reason = UnicodeAttribute(null=True)
    amount = NumberAttribute()
    bill = JSONAttribute()                         # the message as received
    decided_at = UnicodeAttribute()
    notified_at = UnicodeAttribute(null=True)      # debit advice / refusal notice sent

    @staticmethod
    def key(bill_key: str) -> str:
        return f"AUTOPAYBILL#{bill_key}"


# --- certificates ----------------------------------------------------------------------------
class ByHolder(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_holder"
        projection = AllProjection()
    holder = UnicodeAttribute(hash_key=True)
    registered_at = UnicodeAttribute(range_key=True)


class BySerial(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_serial"
        projection = KeysOnlyProjection()
    serial_key = UnicodeAttribute(hash_key=True)


class RegisteredCertificate(_Unbound):
    """An X.509 certificate bound to one person and one title; revocation is a status change."""
    class Meta(_Unbound.Meta):
        pass
    fingerprint = UnicodeAttribute(hash_key=True)  # SHA-256 of the DER
    holder = UnicodeAttribute()                    # "unit#<id>" or "office#<id>"
    serial_key = UnicodeAttribute()                # "<issuer>#<serial hex>", for CRLs
    pem = UnicodeAttribute()
    subject = UnicodeAttribute()
    not_before = UnicodeAttribute()
    not_after = UnicodeAttribute()
    title = UnicodeAttribute()
    owner_sub = UnicodeAttribute()
    owner_username = UnicodeAttribute()
    status = UnicodeAttribute()                    # active, revoked
    registered_at = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)
    revocation_reason = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_holder = ByHolder()
    by_serial = BySerial()


# --- dossiers ------------------------------------------------------------------------------
class ByUnit(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_unit"
        projection = AllProjection()
    unit_id = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


class ByOffice(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_office"
        projection = AllProjection()
    office_id = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


class Undelivered(GlobalSecondaryIndex):
    """Sparse: only dossiers with something Step Functions has not acknowledged (a start, a
    decision), oldest first; read by the sweeper (services/sweeper.py), never scanned."""
    class Meta:
        index_name = "undelivered"
        projection = KeysOnlyProjection()
    sweep = UnicodeAttribute(hash_key=True)
    sweep_since = UnicodeAttribute(range_key=True)


class Dossier(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    dossier_id = UnicodeAttribute(hash_key=True)
    procedure = UnicodeAttribute()
    procedure_version = UnicodeAttribute()
    unit_id = UnicodeAttribute()
    office_id = UnicodeAttribute()
    # Payment facts, for payment procedures only (a registration has none).
    account_id = UnicodeAttribute(null=True)
    amount = NumberAttribute(null=True)
    payment_kind = UnicodeAttribute(null=True)
    voucher_number = UnicodeAttribute(null=True)
    contract_number = UnicodeAttribute(null=True)
    related_dossier = UnicodeAttribute(null=True)   # the advance settled, the payment adjusted
    advance_converted = NumberAttribute(null=True)  # a settlement: the part of its advance converted
    project_code = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    step = UnicodeAttribute(null=True)
    # Ties the dossier's events to the request that created it (X-Correlation-Id, else its id).
    correlation_id = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()
    due_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    supplements_used = NumberAttribute(default=0)
    open_task_id = UnicodeAttribute(null=True)
    alert_task_id = UnicodeAttribute(null=True)
    result = JSONAttribute(null=True)
    delay_reason = JSONAttribute(null=True)       # {reason, by, at}: why a late dossier is late
    # The reason given with the last decision (what a supplement request asks for, why the
    # leader sent it back), carried by the event of that change.
    last_reason = UnicodeAttribute(null=True)
    # One-time legal documents the dossier relies on without carrying them: [{kind, reference,
    # sha256, name, dossier_id}] as on file at receipt.
    on_file = JSONAttribute(null=True)
    # Deadline extensions granted, oldest first:
    # [{step, cause, reason, working_days, from_due_at, to_due_at, by, at}]
    extensions = JSONAttribute(null=True)
    # When the posting step sent the dossier to the ledger (TABMIS); it waits at `posting` for
    # the ledger's confirmation (the request itself is the LedgerPosting item).
    ledger_requested_at = UnicodeAttribute(null=True)
    audit_seq = NumberAttribute(default=0)
    audit_head = UnicodeAttribute()
    # What was committed but not yet seen taken by Step Functions: {"kind": "start"} or
    # {"kind": "decision", "task_id", "next_due"}. `sweep`/`sweep_since` put the dossier in the
    # sparse `undelivered` index; the next task opening (or the sweeper) removes all three.
    undelivered = JSONAttribute(null=True)
    sweep = UnicodeAttribute(null=True)
    sweep_since = UnicodeAttribute(null=True)
    # A payroll's lines the payees' banks returned, credited back to the unit: {"41": {...}}.
    returned_lines = JSONAttribute(null=True)
    version = VersionAttribute()
    by_unit = ByUnit()
    by_office = ByOffice()
    undelivered_index = Undelivered()


class DossierBody(_Unbound):
    """What the unit signed: the content and its signatures, kept apart from the dossier's
    state. The state item changes at every step and streams every change; the body changes only
    on a supplement. Keeping the (large) body out of it makes each status change a small write
    (DynamoDB bills writes per KB) and each stream record small."""
    class Meta(_Unbound.Meta):
        pass
    dossier_id = UnicodeAttribute(hash_key=True)
    content = JSONAttribute()
    signatures = JSONAttribute(default=list)


# --- tasks: the inbox ----------------------------------------------------------------------
class Inbox(GlobalSecondaryIndex):
    class Meta:
        index_name = "inbox"
        projection = AllProjection()
    inbox = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class Task(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    task_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(default="decision")   # "decision" or "escalation" (a notice)
    dossier_id = UnicodeAttribute()
    procedure = UnicodeAttribute()
    procedure_version = UnicodeAttribute()
    step = UnicodeAttribute()
    scope = UnicodeAttribute()                     # "office" or "unit"
    scope_id = UnicodeAttribute()
    role = UnicodeAttribute()
    state = UnicodeAttribute()                     # open, decided, expired, resolved
    inbox = UnicodeAttribute()
    token = UnicodeAttribute(null=True)            # the Step Functions task token; never served
    overdue = BooleanAttribute(default=False)
    # The dossier's supplements used when the task opened: only this task's own decision can
    # change it while the task is open, so the inbox shows the decisions still available without
    # reading every dossier. Tasks opened before it was kept have none (read as 0).
    supplements_used = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    due_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    decision = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    decided_by_request = UnicodeAttribute(null=True)  # tells our own retried write from a rival's
    version = VersionAttribute()
    by_inbox = Inbox()


# --- audit: append-only, one hash chain per dossier --------------------------------------
class ByDigestDay(GlobalSecondaryIndex):
    """A local day's records, spread over 16 partitions: what the daily digest job reads. Only the
    hash is projected besides the keys (seq, the table's sort key, always is)."""
    class Meta:
        index_name = "by_digest_day"
        projection = IncludeProjection(["hash"])
    digest_partition = UnicodeAttribute(hash_key=True)
    dossier_id = UnicodeAttribute(range_key=True)


class AuditRecord(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    dossier_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    hash = UnicodeAttribute()
    prev_hash = UnicodeAttribute()
    body = JSONAttribute()                         # at, actor, action, statuses, step, reason
    # "<local day>#<shard>" (domain/audit.digest_partition), derived from the hashed fields, so
    # not hashed itself. Records written before the digests existed have none.
    digest_partition = UnicodeAttribute(null=True)
    by_digest_day = ByDigestDay()


# --- idempotency keys ------------------------------------------------------------------------
class IdempotencyRecord(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    key = UnicodeAttribute(hash_key=True)
    request_hash = UnicodeAttribute()
    status_code = NumberAttribute()
    response = JSONAttribute()
    expires_at = TTLAttribute()


# --- alerts: risk flags, the per-unit statistics the rules read, alert subscriptions ----------
class FlagsByUnit(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_unit"
        projection = AllProjection()
    unit_id = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


class FlagsByOffice(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_office"
        projection = AllProjection()
    office_id = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


class RiskFlag(_Unbound):
    """One anomaly rule that fired on one submission (pk "FLAG#<dossier>", sk "<seq>#<rule>")."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    alert_id = UnicodeAttribute()                 # "<dossier>#<seq>#<rule>": the event and rule
    dossier_id = UnicodeAttribute()
    unit_id = UnicodeAttribute()
    office_id = UnicodeAttribute()
    procedure = UnicodeAttribute()
    event = UnicodeAttribute()                    # dossier.submitted or dossier.resubmitted
    rule = UnicodeAttribute()
    message = UnicodeAttribute()
    facts = JSONAttribute()
    occurred_at = UnicodeAttribute()              # the submission
    flagged_at = UnicodeAttribute()
    listed_at = UnicodeAttribute()                # "<occurred_at>#<alert_id>": newest first
    by_unit = FlagsByUnit()
    by_office = FlagsByOffice()


class AdvanceDue(_Unbound):
    """A paid advance waiting for the end of its budget year's adjustment period (pk
    "ADVDUE#<last day of the period>", sk the advance's dossier id): the yearly sweep reads one
    partition per period instead of scanning (services/advances.py)."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    unit_id = UnicodeAttribute()
    office_id = UnicodeAttribute()


class PaidAmounts(_Unbound):
    """A unit's last paid amounts (pk "STATS#<unit>", sk "paid_amounts"): [[dossier, amount]]."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    recent = JSONAttribute(default=list)
    version = VersionAttribute()


class KnownPayee(_Unbound):
    """A payee the unit has been paid to (pk "PAYEES#<unit>", sk the payee key)."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    first_dossier_id = UnicodeAttribute()
    first_paid_at = UnicodeAttribute()


class BurstWindow(_Unbound):
    """The dossiers a unit submitted in one fixed window (pk "BURST#<unit>", sk its start). A set,
    so counting the same submission twice (a redelivered event) adds nothing."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    dossiers = UnicodeSetAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class AlertSubscription(_Unbound):
    """A person's endpoint subscribed to a risk-warning topic (pk "SUBSCRIBER#<sub>", sk its id)."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    subscription_arn = UnicodeAttribute()
    topic = UnicodeAttribute()
    protocol = UnicodeAttribute()
    endpoint = UnicodeAttribute()
    created_at = UnicodeAttribute()


class SubscriptionOwner(_Unbound):
    """Who subscribed an SNS subscription (pk "SUBSCRIPTION#<id>", sk "owner"). SNS answers the
    same subscription for the same endpoint, so one person must not be able to remove another's."""
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    owner_sub = UnicodeAttribute()


# --- ledger outbox: the postings sent to the core ledger (TABMIS) ----------------------------
class LedgerPosting(_Unbound):
    """One posting of a dossier, written with the posting step's checks (the outbox item) and
    concluded with the ledger's confirmation. Keyed by the idempotency key: the dossier id."""
    class Meta(_Unbound.Meta):
        pass
    posting_id = UnicodeAttribute(hash_key=True)
    state = UnicodeAttribute()                     # requested, parked, posted, rejected
    entry = UnicodeAttribute()                     # debit, credit, record
    amount = NumberAttribute()
    account_id = UnicodeAttribute()
    reserved = NumberAttribute(default=0)          # what it holds on the account until concluded
    request = JSONAttribute()                      # the request message (domain/ledger.py)
    token = UnicodeAttribute()                     # the posting step's task token; never served
    attempts = NumberAttribute(default=1)          # requests sent (the attempt number)
    failures = NumberAttribute(default=0)          # failed answers in a row
    last_error = JSONAttribute(null=True)          # {code, reason, attempt, at}
    requested_at = UnicodeAttribute()
    decision = UnicodeAttribute(null=True)         # the step's outcome once concluded
    ledger_reference = UnicodeAttribute(null=True)
    concluded_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


# --- statements table (kbnn-statements): ledger entries, statements, counters, job runs ------
# One table keyed `pk` + `sk` (adapters/statements.py tells which item is which).
class LedgerEntry(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute()
    at = UnicodeAttribute()
    version = NumberAttribute()
    delta = NumberAttribute()
    balance = NumberAttribute()
    previous_balance = NumberAttribute()
    dossier_id = UnicodeAttribute(null=True)
    event_id = UnicodeAttribute()

    @staticmethod
    def key(account_id: str) -> str:
        return f"LEDGER#{account_id}"


class StatementsByUnit(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_unit"
        projection = AllProjection()
    unit_id = UnicodeAttribute(hash_key=True)
    listing = UnicodeAttribute(range_key=True)


class StatementsByOffice(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_office"
        projection = AllProjection()
    office_id = UnicodeAttribute(hash_key=True)
    listing = UnicodeAttribute(range_key=True)


class Statement(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="STATEMENT")
    statement_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    account_kind = UnicodeAttribute()
    unit_id = UnicodeAttribute()
    office_id = UnicodeAttribute()
    cadence = UnicodeAttribute()
    period = UnicodeAttribute()
    period_from = UnicodeAttribute()
    period_to = UnicodeAttribute()
    reply_by = UnicodeAttribute()
    legal_basis = UnicodeAttribute()
    listing = UnicodeAttribute()
    opening_balance = NumberAttribute()
    debits = NumberAttribute()
    credits = NumberAttribute()
    closing_balance = NumberAttribute()
    lines = JSONAttribute(default=list)
    line_count = NumberAttribute(default=0)
    status = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    reply = JSONAttribute(null=True)
    resolution = JSONAttribute(null=True)
    # Append-only, hash-chained like a dossier's audit trail: [{seq, prev_hash, ..., hash}]
    history = JSONAttribute(default=list)
    history_head = UnicodeAttribute()
    version = VersionAttribute()
    by_unit = StatementsByUnit()
    by_office = StatementsByOffice()

    @staticmethod
    def key(statement_id: str) -> str:
        return f"STATEMENT#{statement_id}"


class Counter(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    issued = NumberAttribute(default=0)
    confirmed = NumberAttribute(default=0)
    disputed = NumberAttribute(default=0)
    resolved = NumberAttribute(default=0)

    @staticmethod
    def key(office_id: str, period: str) -> str:
        return f"COUNT#{office_id}#{period}"


class Run(_Unbound):
    class Meta(_Unbound.Meta):
        pass
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="RUN")
    segments = NumberAttribute()
    done = NumberSetAttribute(null=True)
    started_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(cadence: str, period: str) -> str:
        return f"RUN#{cadence}#{period}"


_TABLES = {
    Office: "directory_table", Unit: "directory_table", Account: "directory_table",
    TrustBundle: "directory_table", LegalDocument: "directory_table",
    AutopayAuthorisation: "directory_table", AutopayIndex: "directory_table",
    AutopayBill: "directory_table", Project: "directory_table",
    RegisteredCertificate: "certificates_table",
    Dossier: "dossiers_table", DossierBody: "dossier_bodies_table", Task: "tasks_table",
    AuditRecord: "audit_table",
    IdempotencyRecord: "idempotency_table",
    RiskFlag: "alerts_table", PaidAmounts: "alerts_table", KnownPayee: "alerts_table",
    AdvanceDue: "alerts_table", BurstWindow: "alerts_table", AlertSubscription: "alerts_table",
    SubscriptionOwner: "alerts_table",
    LedgerPosting: "ledger_outbox_table",
    LedgerEntry: "statements_table", Statement: "statements_table", Counter: "statements_table",
    Run: "statements_table",
}
_connection: Connection | None = None


def bind_model(model: type[Model], table_name: str, region: str) -> None:
    """Point one model at its table (an operator command needs one table, not the whole config)."""
    model.Meta.table_name = table_name
    model.Meta.region = region
    model._connection = None


def bind(config: Config) -> Connection:
    """Point every model at its table and return the shared connection for transactions."""
    global _connection
    for model, attr in _TABLES.items():
        bind_model(model, getattr(config, attr), config.region)
    _connection = Connection(region=config.region, max_retry_attempts=3)
    aws.instrument(_connection.client)
    for model in _TABLES:
        aws.instrument(model._get_connection().connection.client)
    return _connection
