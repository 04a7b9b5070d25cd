"""The one place that builds services from adapters, on first use and once per process."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from . import config as config_module
from .adapters import aws, models
from .adapters.identity import TokenVerifier
from .adapters.repository import Repository
from .adapters.workflow import Workflows
from .config import Config

if TYPE_CHECKING:   # the other adapters are imported when first built: a cold start pays for
    # what a request uses (an API call needs the repository, not the ledger or the mailer)
    from .adapters.aggregates import AggregateStore
    from .adapters.alerts import AlertStore
    from .adapters.digests import DigestStore
    from .adapters.documents import DocumentStore
    from .adapters.eventbus import EventBus
    from .adapters.ledger import LedgerAdapter
    from .adapters.notify import Mailer, Topics
    from .adapters.statements import StatementStore


@dataclass(frozen=True)
class Services:
    config: Config
    repo: Repository
    workflows: Workflows
    verifier: TokenVerifier
    documents: DocumentStore
    events: EventBus
    aggregates: AggregateStore
    statements: StatementStore
    mailer: Mailer
    topics: Topics
    alerts: AlertStore
    ledger: LedgerAdapter
    digests: DigestStore


@lru_cache(maxsize=1)
def services() -> Services:
    from .adapters.aggregates import AggregateStore
    from .adapters.alerts import AlertStore
    from .adapters.digests import DigestStore
    from .adapters.documents import DocumentStore
    from .adapters.eventbus import EventBus
    from .adapters.ledger import LedgerAdapter
    from .adapters.notify import Mailer, Topics
    from .adapters.statements import StatementStore
    cfg = config_module.current()
    connection = models.bind(cfg)
    return Services(
        config=cfg,
        repo=Repository(connection),
        workflows=Workflows(cfg.region),
        verifier=TokenVerifier(cfg.jwt_issuer, cfg.user_pool_client_id, cfg.jwks_url),
        documents=DocumentStore(cfg.documents_bucket, cfg.region),
        events=EventBus(cfg.event_bus_name, cfg.region),
        aggregates=AggregateStore(cfg.aggregates_table, cfg.region),
        statements=StatementStore(connection, cfg.directory_table, cfg.region,
                                  cfg.statement_job_queue_url),
        mailer=Mailer(cfg.notification_sender, cfg.region),
        topics=Topics(cfg.region),
        alerts=AlertStore(),
        ledger=LedgerAdapter(connection, cfg.ledger_request_queue_url, cfg.ledger_outbox_dlq_url,
                             cfg.region),
        digests=DigestStore(cfg.documents_bucket, cfg.region),
    )


def reset() -> None:
    """Forget everything built (tests and the local stack re-point the app at a new endpoint)."""
    services.cache_clear()
    config_module.current.cache_clear()
    aws.reset()
