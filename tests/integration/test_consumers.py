"""Consumers of domain events do their work once per event, and retry it after a failure."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib import composition
from chalicelib.services.consumers import once

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_copy_of_an_event_is_skipped_and_a_failed_attempt_is_retried(stack, unique):
    composition.services()   # binds the models to the stack's tables
    event = {"event": "payment.posted", "event_id": f"{unique('D')}#5"}
    done: list[str] = []

    def fail():
        raise RuntimeError("SES throttled")
    with pytest.raises(RuntimeError):
        once("mail", event, fail, now=NOW)
    assert once("mail", event, lambda: done.append("sent"), now=NOW) is True    # the retry runs
    assert once("mail", event, lambda: done.append("again"), now=NOW) is False  # a copy does not
    assert once("sms", event, lambda: done.append("sms"), now=NOW) is True      # another consumer does
    assert done == ["sent", "sms"]
