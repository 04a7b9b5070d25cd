"""Identifiers are opaque: knowing one dossier id says nothing about any other."""
from __future__ import annotations

from itertools import pairwise

import pytest
from ulid import ULID

from chalicelib.services.dossiers import new_dossier_id

pytestmark = pytest.mark.unit


def test_dossier_ids_made_in_the_same_millisecond_are_not_neighbours():
    ids = [ULID.from_str(new_dossier_id()) for _ in range(1000)]
    assert len({i.bytes for i in ids}) == len(ids)
    same_ms = [(a, b) for a, b in pairwise(ids) if a.milliseconds == b.milliseconds]
    assert same_ms, "no two ids fell in one millisecond: nothing was checked"
    # python-ulid's default (monotonic) generator gives the next id in a millisecond the random
    # part + 1: a unit could name the dossier submitted right after its own.
    randomness = [(int.from_bytes(a.bytes[6:], "big"), int.from_bytes(b.bytes[6:], "big"))
                  for a, b in same_ms]
    assert all(abs(x - y) > 2 ** 40 for x, y in randomness), "sequential random parts"
