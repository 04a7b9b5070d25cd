"""The repository contract (tests/contract/repository.py) on the in-memory fake the service tests
use (tests/fakes.py); the same tests run on the real repository under moto in
tests/integration/test_repository_contract_on_moto.py."""
from __future__ import annotations

import pytest

from tests.contract.repository import RepositoryContract
from tests.fakes import MemoryRepository

pytestmark = pytest.mark.unit


class TestMemoryRepository(RepositoryContract):
    @pytest.fixture
    def repo(self) -> MemoryRepository:
        return MemoryRepository()
