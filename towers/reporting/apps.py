from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "towers.reporting"
    label = "reporting"
    verbose_name = "Service reviews and reporting"

    def ready(self) -> None:
        from towers.reporting import policies, tasks  # noqa: F401  (register)
