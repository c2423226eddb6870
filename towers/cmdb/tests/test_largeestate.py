import pytest

from towers.cmdb import largeestate
from towers.cmdb.impact import impact_of
from towers.cmdb.models import ConfigurationItem, Relationship
from towers.core.actor import Actor

pytestmark = pytest.mark.django_db


def test_the_large_estate_loader_writes_a_connected_estate_once_at_any_size():
    written = largeestate.generate(cis=3000, relationships_per_ci=3.0, seed=7)
    assert ConfigurationItem.objects.count() == written["cis"] == 3000
    assert Relationship.objects.count() == written["relationships"]
    assert written["relationships"] >= 2.9 * 3000
    classes = set(ConfigurationItem.objects.values_list("ci_class", flat=True))
    assert {"data_centre", "rack", "virtual_machine", "database", "application", "business_service"} <= classes
    centre = ConfigurationItem.objects.filter(ci_class="data_centre").first()
    report = impact_of(actor=Actor.system("tests"), cis=[centre])
    assert report.business_services and report.total > 100
    with pytest.raises(largeestate.EstateExists):
        largeestate.generate(cis=10)
