from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "towers.integration"
    label = "integration"
    verbose_name = "Integration"

    def ready(self) -> None:
        from towers.integration import handlers, policies, tasks  # noqa: F401  (register)
