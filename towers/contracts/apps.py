from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "towers.contracts"
    label = "contracts"
    verbose_name = "Contracts and catalogue"

    def ready(self) -> None:
        from towers.contracts import policies  # noqa: F401  (registers on import)
