"""Who is acting, through which channel, and what they may see: passed explicitly to every service."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from towers.core.roles import Role


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    JOB = "job"
    IMPORT = "import"
    EMAIL = "email"


class Sensitivity(StrEnum):
    """Operational records (tickets, teams) versus commercial ones (contracts, credits)."""

    OPERATIONAL = "operational"
    COMMERCIAL = "commercial"


@dataclass(frozen=True)
class Scope:
    """The organisations whose involvement in a record makes it visible to the actor.

    `everything` is the authority's view. `operational` holds the actor's own organisation plus, for an
    integrator, every organisation in the towers it integrates; `commercial` holds the actor's own
    organisation plus suppliers whose commercials the authority granted. `counterparties` (the
    authority and the integrator of the actor's tower) are visible in the directory only, so a
    supplier can hand work back without seeing other suppliers' records.
    """

    everything: bool = False
    operational: frozenset[UUID] = frozenset()
    commercial: frozenset[UUID] = frozenset()
    counterparties: frozenset[UUID] = frozenset()

    def organisations(self, sensitivity: Sensitivity, *, directory: bool = False) -> frozenset[UUID] | None:
        """Organisation ids that grant visibility, or None when everything is visible."""
        if self.everything:
            return None
        ids = self.commercial if sensitivity is Sensitivity.COMMERCIAL else self.operational
        return ids | self.counterparties if directory else ids


@dataclass(frozen=True)
class Actor:
    """A person (through the UI or a token) or a system job, acting for one organisation."""

    label: str
    channel: Channel
    scope: Scope
    organisation_id: UUID | None = None
    organisation_name: str = ""
    person_id: UUID | None = None
    token_id: UUID | None = None
    job: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def read_only(self) -> bool:
        return Role.AUDITOR in self.roles and not self.is_system

    @property
    def is_system(self) -> bool:
        return self.job is not None

    def has_role(self, *roles: str) -> bool:
        return self.is_system or any(role in self.roles for role in roles)

    @classmethod
    def system(cls, job: str, *, channel: Channel = Channel.JOB) -> Actor:
        """A background job or command: sees and may change everything, and is audited as itself."""
        return cls(label=f"system:{job}", channel=channel, scope=Scope(everything=True), job=job)
