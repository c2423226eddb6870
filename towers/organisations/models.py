"""Who is who: the authority, suppliers in towers, third parties, their teams and people."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from towers.core.models import TowersModel
from towers.core.roles import Role


class OrganisationKind(models.TextChoices):
    AUTHORITY = "authority", "Authority"
    SUPPLIER = "supplier", "Tower supplier"
    THIRD_PARTY = "third_party", "Third party"


class Tower(TowersModel):
    """A bundle of services under one contract (infrastructure, applications), run by one integrator."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    integrator = models.ForeignKey(
        "Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="integrated_towers"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(TowersModel):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    tower = models.ForeignKey(
        Tower,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
        help_text="The tower a supplier delivers, or that a third party supports.",
    )
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="authority"), name="one_authority"),
        ]

    def __str__(self) -> str:
        return self.name


class Team(TowersModel):
    """A resolver group: a team of one organisation that work is assigned to."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teams")
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="team_name_per_organisation")]

    def __str__(self) -> str:
        return self.name


class Person(AbstractUser):
    """Anyone who uses Towers or on whose behalf work is done; may belong to several organisations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job_title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = "person"
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class Membership(TowersModel):
    """One role that a person holds in one organisation."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["person", "organisation", "role"], name="one_role_once_per_organisation")
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()} at {self.organisation}"


class TeamMembership(TowersModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="team_memberships")

    class Meta:
        ordering = ["team__name"]
        constraints = [models.UniqueConstraint(fields=["team", "person"], name="one_team_membership")]

    def __str__(self) -> str:
        return f"{self.person} in {self.team}"


class CommercialGrant(TowersModel):
    """The authority lets one organisation (usually the integrator) see a supplier's commercial records."""

    grantee = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="grants_received")
    supplier = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="grants_about")
    reason = models.CharField(max_length=300)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grantee", "supplier"], name="one_grant_per_pair")]

    def __str__(self) -> str:
        return f"{self.grantee} may see {self.supplier}'s commercials"


class ApiToken(TowersModel):
    """A person's credential for the API, acting for one organisation; only a hash is stored."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
