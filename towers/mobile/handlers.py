"""A device's step follows its ticket: a wipe, bar, courier or repair task resolved or cancelled anywhere (the
queue, the API, a supplier's own tool through e-bonding) moves the device on. Registered by the app on ready.
"""

from towers.core import events
from towers.core.models import OutboxEvent
from towers.mobile.models import DeviceTask
from towers.mobile.services import lifecycle, loss  # noqa: F401  (register their steps' effects)
from towers.mobile.services.tasks import device_task_finished


@events.on("servicedesk.ticket.resolved")
@events.on("servicedesk.ticket.closed")
@events.on("servicedesk.ticket.state_changed")
def follow_device_task(event: OutboxEvent) -> None:
    task = DeviceTask.objects.filter(ticket_id=event.payload.get("ticket_id")).select_related("ticket").first()
    if task is not None:
        device_task_finished(task=task, ticket=task.ticket)
