"""Segregation of the CMDB: a supplier sees the CIs it owns or supports, and what those depend on directly.

"Depends on" is taken one hop: the CIs a visible CI points at (runs on, depends on, hosted in…), so a
supplier sees the server its application runs on but not the whole data centre. The integrator sees
every CI of the towers it integrates; the authority everything. Commercial attributes (costs) are
masked by the selectors unless the actor may see the owner's commercial records.
"""

from towers.cmdb.models import AttributeRule, ConfigurationItem, DataSource, Relationship
from towers.core import permissions
from towers.core.roles import Role

permissions.register(
    ConfigurationItem,
    parties=[
        "owner",
        "support_team__organisation",
        "incoming__source__owner",
        "incoming__source__support_team__organisation",
    ],
    owner=lambda ci: {ci.owner_id} | ({ci.support_team.organisation_id} if ci.support_team_id else set()),
    spans_many=True,
)
permissions.register(
    Relationship,
    parties=["source__owner", "source__support_team__organisation"],
    owner=lambda rel: {rel.source.owner_id},
)
permissions.register(DataSource, parties=["organisation"], owner="organisation", directory=True)
permissions.register(AttributeRule, parties=["source__organisation"], owner=lambda _rule: ())

permissions.define_action("ci.manage", roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER, Role.RESOLVER, Role.AGENT])
permissions.define_action("cmdb.import", roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER])
permissions.define_action("cmdb.configure", roles=[Role.ADMINISTRATOR])
