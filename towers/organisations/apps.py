from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "towers.organisations"
    label = "organisations"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from towers.organisations import handlers, policies  # noqa: F401  (register on import)
