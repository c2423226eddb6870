"""The REST API at /api/v1: each app's router, one auth, one error envelope."""

from ninja import NinjaAPI

from towers.cmdb.api import router as cmdb_router
from towers.cmdb.api_impact import impact_router as cmdb_impact_router
from towers.cmdb.api_import import router as cmdb_import_router
from towers.contracts.api import router as contracts_router
from towers.core.api import install_error_handlers
from towers.integration.api import router as integration_router
from towers.integration.api_monitoring import router as monitoring_router
from towers.integration.api_partners import router as partners_router
from towers.mobile.api_fleet import router as mobile_fleet_router
from towers.mobile.api_import import router as mobile_import_router
from towers.mobile.api_inventory import router as mobile_inventory_router
from towers.mobile.api_lifecycle import router as mobile_lifecycle_router
from towers.mobile.api_loss import router as mobile_loss_router
from towers.organisations.api import router as organisations_router
from towers.organisations.auth import SessionActorAuth, TokenAuth
from towers.reporting.api import router as reporting_router
from towers.servicedesk.api import router as servicedesk_router
from towers.servicedesk.api_changes import router as changes_router
from towers.servicedesk.api_knowledge import router as knowledge_router
from towers.servicedesk.api_major import router as major_router
from towers.servicedesk.api_requests import router as requests_router
from towers.sla.api import router as sla_router
from towers.soc.api import router as soc_router
from towers.soc.api_intake import router as soc_intake_router
from towers.soc.api_intel import router as soc_intel_router
from towers.soc.api_rules import router as soc_rules_router
from towers.transition.api import router as transition_router

api = NinjaAPI(
    title="Towers API",
    version="1",
    description=(
        "Service integration and management across suppliers. Authenticate with a bearer token "
        "(`Authorization: Bearer twr_…`, created under API tokens) or a browser session. Every list is "
        "paginated with `limit` and `offset`; reads return an `ETag`, and updates sent with `If-Match` "
        "fail with 412 if the object changed since it was read. Errors share one shape: "
        '`{"error": {"status", "code", "message", "fields": {field: [problems]}}}`.'
    ),
    auth=[TokenAuth(), SessionActorAuth()],
    urls_namespace="api-v1",
    docs_url="/docs",
)
install_error_handlers(api)
api.add_router("", organisations_router)
api.add_router("", contracts_router)
api.add_router("", sla_router)
api.add_router("", cmdb_router)
api.add_router("", cmdb_import_router)
api.add_router("", cmdb_impact_router)
api.add_router("", servicedesk_router)
api.add_router("", requests_router)
api.add_router("", major_router)
api.add_router("", changes_router)
api.add_router("", knowledge_router)
api.add_router("", monitoring_router)
api.add_router("", mobile_fleet_router)
api.add_router("", mobile_import_router)
api.add_router("", mobile_inventory_router)
api.add_router("", mobile_lifecycle_router)
api.add_router("", mobile_loss_router)
api.add_router("", soc_router)
api.add_router("", soc_intake_router)
api.add_router("", soc_rules_router)
api.add_router("", soc_intel_router)
api.add_router("", integration_router)
api.add_router("", partners_router)
api.add_router("", reporting_router)
api.add_router("", transition_router)
