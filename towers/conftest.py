"""Fixtures shared by every app's tests."""

import pytest

from towers.organisations.tests.factories import Estate, build_estate


@pytest.fixture
def estate(db) -> Estate:
    return build_estate()
