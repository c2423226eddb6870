"""State of Sigma correlation rules on the live stream: the base-rule matches each one is still waiting on."""

from django.db import models

from towers.organisations.models import Organisation
from towers.soc.models.alerts import DetectionRule


class CorrelationMatch(models.Model):
    """One base-rule match inside a correlation's window, for one group-by value set.

    Kept in the database (in the transaction that records the event as evaluated) rather than in a worker's memory,
    so several detection workers share a window and a worker that dies loses nothing. Rows leave when the
    correlation fires (the window is cleared) or when they fall out of the timespan.
    """

    id = models.BigAutoField(primary_key=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    correlation = models.ForeignKey(DetectionRule, on_delete=models.CASCADE, related_name="correlation_matches")
    group_key = models.CharField(max_length=64, help_text="Hash of the group-by values.")
    group_values = models.JSONField(default=list, blank=True)
    rule_ref = models.CharField(max_length=200, help_text="The referenced rule (id or name) that matched.")
    value = models.CharField(max_length=500, blank=True, help_text="value_count: the counted field's value.")
    at = models.DateTimeField(help_text="The event's own time.")
    event_id = models.CharField(max_length=64)
    event = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["correlation", "group_key", "at"], name="correlation_window")]

    def __str__(self) -> str:
        return f"{self.rule_ref} at {self.at:%Y-%m-%d %H:%M:%S}"
