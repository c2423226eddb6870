from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from towers.core import schedule
from towers.servicedesk.models import State, Ticket
from towers.servicedesk.services.tickets import ticket_transition
from towers.servicedesk.tasks import close_resolved_tickets, sweep_clocks

pytestmark = pytest.mark.django_db


def test_the_worker_starts_periodic_jobs_once_and_each_run_books_the_next(desk):
    assert schedule.start_periodic() >= 2
    assert schedule.start_periodic() == 0  # already waiting: a second worker start adds none
    waiting = DBTaskResult.objects.filter(task_path=sweep_clocks.module_path, status="READY")
    assert waiting.count() == 1
    sweep_clocks.call()
    later = DBTaskResult.objects.filter(task_path=sweep_clocks.module_path, run_after__gt=timezone.now())
    assert later.exists()


def test_resolved_tickets_close_after_the_desk_period(desk):
    ticket = desk.raise_incident()
    ticket_transition(actor=desk.actor(desk.agent), ticket=ticket, state="resolved", resolution_code="fixed")
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=6))
    assert close_resolved_tickets.call() == 1
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED and ticket.closed_at is not None


def test_mail_that_failed_to_go_is_sent_again_later(desk):
    from django.core import mail

    from towers.servicedesk.models import Notification
    from towers.servicedesk.tasks import resend_unsent_mail

    ticket = desk.raise_incident()
    stuck = Notification.objects.create(
        email="officer@force.test", ticket=ticket, template="ticket_created", subject="[X] s", body="b"
    )
    assert resend_unsent_mail.call() == 0  # too fresh: its own send may still be under way
    Notification.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert resend_unsent_mail.call() == 1
    stuck.refresh_from_db()
    assert stuck.sent_at is not None and mail.outbox[-1].to == ["officer@force.test"]
