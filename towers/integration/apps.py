from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "towers.integration"
    label = "integration"
    verbose_name = "Integration"

    def ready(self) -> None:
        from towers.integration import (  # noqa: F401  (register)
            handlers,
            handlers_partners,
            policies,
            policies_partners,
            tasks,
            tasks_partners,
        )
