import pytest

from towers.mobile.tests.factories import Fleet, build_fleet


@pytest.fixture
def fleet(estate) -> Fleet:
    """The authority's fleet, run by the integrator's mobile team."""
    return build_fleet(estate)
