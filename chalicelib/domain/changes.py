"""What a service wants changed on a stored item, as plain data the DynamoDB edge translates.

Services say `{"status": "approved", "step": REMOVE, "supplements_used": Add(1)}`; only the
adapter (adapters/dynamo.py) turns that into update expressions. A name maps to its new value,
to REMOVE (the attribute goes), or to Add (a number incremented, or members added to a set).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


REMOVE: Final = _Remove()


@dataclass(frozen=True)
class Add:
    """An atomic ADD: a number incremented (negative: decremented), or members added to a set."""
    amount: Any


Changes = Mapping[str, Any]


def set_or_remove(name: str, value: Any) -> dict[str, Any]:
    """A change that sets `name`, or removes it when there is no value."""
    return {name: REMOVE if value is None else value}
