from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "towers.cmdb"
    label = "cmdb"
    verbose_name = "Configuration management"

    def ready(self) -> None:
        from towers.cmdb import policies  # noqa: F401  (registers on import)
