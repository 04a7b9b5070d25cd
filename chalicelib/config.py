"""Configuration, read in one place from environment variables.

In AWS the values come from the infra template's Outputs (set as the Lambda environment); the
local stack sets the same names after provisioning moto. A missing value fails fast and says
which, instead of silently pointing at the wrong table.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class ConfigError(RuntimeError):
    pass


@dataclass(frozen=True)
class Config:
    region: str
    directory_table: str
    dossiers_table: str
    dossier_bodies_table: str
    tasks_table: str
    audit_table: str
    idempotency_table: str
    certificates_table: str
    aggregates_table: str
    alerts_table: str
    documents_bucket: str
    event_bus_name: str
    task_queue_url: str
    worker_queue_url: str
    user_pool_id: str
    user_pool_client_id: str
    jwt_issuer: str
    jwks_url: str
    state_machine_arn_prefix: str
    statements_table: str
    statement_job_queue_url: str
    notification_sender: str           # the SES identity results are e-mailed from
    # The core ledger (TABMIS): the outbox of postings, the ledger's request queue, and the
    # adapter's dead-letter queue of postings parked after repeated failures.
    ledger_outbox_table: str
    ledger_request_queue_url: str
    ledger_outbox_dlq_url: str
    # The daily audit digests (docs/audit-digests.md): the Object Lock mode of each digest
    # (GOVERNANCE in dev, COMPLIANCE in prod) and for how many years it is locked.
    audit_digest_lock_mode: str
    audit_digest_retention_years: int

    def state_machine_arn(self, workflow_name: str) -> str:
        return self.state_machine_arn_prefix + workflow_name


_NAMES = {
    "directory_table": "TABLE_DIRECTORY",
    "dossiers_table": "TABLE_DOSSIERS",
    "dossier_bodies_table": "TABLE_DOSSIER_BODIES",
    "tasks_table": "TABLE_TASKS",
    "audit_table": "TABLE_AUDIT",
    "idempotency_table": "TABLE_IDEMPOTENCY",
    "certificates_table": "TABLE_CERTIFICATES",
    "aggregates_table": "TABLE_AGGREGATES",
    "alerts_table": "TABLE_ALERTS",
    "documents_bucket": "DOCUMENTS_BUCKET",
    "event_bus_name": "EVENT_BUS_NAME",
    "task_queue_url": "TASK_QUEUE_URL",
    "worker_queue_url": "WORKER_QUEUE_URL",
    "user_pool_id": "USER_POOL_ID",
    "user_pool_client_id": "USER_POOL_CLIENT_ID",
    "jwt_issuer": "JWT_ISSUER",
    "jwks_url": "JWKS_URL",
    "state_machine_arn_prefix": "STATE_MACHINE_ARN_PREFIX",
    "statements_table": "TABLE_STATEMENTS",
    "statement_job_queue_url": "STATEMENT_JOB_QUEUE_URL",
    "notification_sender": "NOTIFICATION_SENDER",
    "ledger_outbox_table": "TABLE_LEDGER_OUTBOX",
    "ledger_request_queue_url": "LEDGER_REQUEST_QUEUE_URL",
    "ledger_outbox_dlq_url": "LEDGER_OUTBOX_DLQ_URL",
    "audit_digest_lock_mode": "AUDIT_DIGEST_LOCK_MODE",
    "audit_digest_retention_years": "AUDIT_DIGEST_RETENTION_YEARS",
}


def from_environ(environ: dict | None = None) -> Config:
    env = os.environ if environ is None else environ
    missing = [name for name in _NAMES.values() if not env.get(name)]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
    if not region:
        missing.append("AWS_REGION")
    if missing:
        raise ConfigError("missing environment variables: " + ", ".join(sorted(missing)))
    values: dict = {field: env[name] for field, name in _NAMES.items()}
    values["audit_digest_lock_mode"], values["audit_digest_retention_years"] = digest_lock(
        env["AUDIT_DIGEST_LOCK_MODE"], env["AUDIT_DIGEST_RETENTION_YEARS"])
    return Config(region=region, **values)


def digest_lock(mode: str, years: str) -> tuple[str, int]:
    """The digests' lock settings, checked: a typo must not leave them unlocked or locked for ever."""
    from .domain.digests import LOCK_MODES
    if mode not in LOCK_MODES:
        raise ConfigError(f"AUDIT_DIGEST_LOCK_MODE must be one of {', '.join(LOCK_MODES)}: {mode!r}")
    if not years.isdigit() or not 1 <= int(years) <= 100:
        raise ConfigError(f"AUDIT_DIGEST_RETENTION_YEARS must be a whole number of years: {years!r}")
    return mode, int(years)


@lru_cache(maxsize=1)
def current() -> Config:
    return from_environ()
