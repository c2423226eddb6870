from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "towers.sla"
    label = "sla"
    verbose_name = "Service level measurement and credits"

    def ready(self) -> None:
        from towers.sla import policies  # noqa: F401  (registers on import)
