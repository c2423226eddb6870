import pytest

from towers.servicedesk.tests.factories import Desk, build_desk


@pytest.fixture
def desk(estate) -> Desk:
    return build_desk(estate)
