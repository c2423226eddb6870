import pytest

from towers.servicedesk.tests.factories import build_desk
from towers.soc.tests.factories import Soc, build_soc


@pytest.fixture
def soc(estate) -> Soc:
    return build_soc(build_desk(estate))
