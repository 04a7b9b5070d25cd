"""The repository contract (tests/contract/repository.py) on the real DynamoDB repository, against
the session's in-process moto; the same tests run on the in-memory fake in
tests/unit/test_repository_contract_in_memory.py."""
from __future__ import annotations

from typing import Any

import pytest

from tests.contract.repository import RepositoryContract

pytestmark = pytest.mark.integration


class TestDynamoDBRepository(RepositoryContract):
    @pytest.fixture
    def repo(self, stack: Any) -> Any:
        from chalicelib import composition
        return composition.services().repo
