"""Table change streams -> domain events on the bus (services/events.py)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.queues import stream

from .request import services

bp = Blueprint(__name__)


def _publish(table: str, event: Any) -> None:
    from chalicelib.services import events
    events.publish(table, event, services().events)


@bp.on_dynamodb_record(stream_arn=stream("dossiers"), batch_size=25,
                       starting_position="TRIM_HORIZON")
def handle_dossier_changes(event: Any) -> None:
    """Every status change of a dossier becomes a domain event."""
    _publish("dossiers", event)


@bp.on_dynamodb_record(stream_arn=stream("directory"), batch_size=25,
                       starting_position="TRIM_HORIZON")
def handle_directory_changes(event: Any) -> None:
    """Every balance change of an account becomes `balance.changed`."""
    _publish("directory", event)


@bp.on_dynamodb_record(stream_arn=stream("certificates"), batch_size=25,
                       starting_position="TRIM_HORIZON")
def handle_certificate_changes(event: Any) -> None:
    """Certificates registered, activated and revoked."""
    _publish("certificates", event)


@bp.on_dynamodb_record(stream_arn=stream("statements"), batch_size=25,
                       starting_position="TRIM_HORIZON")
def handle_statement_changes(event: Any) -> None:
    """Statements issued, confirmed, disputed and resolved become domain events."""
    _publish("statements", event)
