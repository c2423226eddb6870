from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "towers.core"
    label = "core"
    verbose_name = "Towers core"

    def ready(self) -> None:
        from towers.core import policies  # noqa: F401  (registers on import)
