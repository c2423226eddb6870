"""Reactions to organisations events, run by the worker from the outbox."""

from django.core.mail import send_mail

from towers.core import events
from towers.core.models import OutboxEvent
from towers.core.roles import Role
from towers.organisations.models import Organisation, Person


@events.on("organisations.membership.granted")
def tell_person_about_new_role(event: OutboxEvent) -> None:
    person = Person.objects.filter(pk=event.payload["person_id"]).first()
    organisation = Organisation.objects.filter(pk=event.payload["organisation_id"]).first()
    if person is None or organisation is None or not person.email or not person.is_active:
        return
    role = Role(event.payload["role"]).label
    send_mail(
        subject=f"Towers: you are now {role} at {organisation.name}",
        message=(
            f"Hello {person.first_name or person.username},\n\n"
            f"You have been given the role {role} at {organisation.name} in Towers.\n"
        ),
        from_email=None,
        recipient_list=[person.email],
    )
