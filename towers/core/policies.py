"""Visibility of the core's own records."""

from towers.core import permissions
from towers.core.models import AuditEntry

# Outside the authority, people see the audit entries their own organisation made; an object's full
# history is shown through the object, which is checked on its own policy.
permissions.register(AuditEntry, parties=["organisation_id"], owner=lambda entry: {entry.organisation_id})
