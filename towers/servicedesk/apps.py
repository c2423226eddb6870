from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "towers.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self) -> None:
        from towers.servicedesk import handlers, policies, tasks  # noqa: F401  (register on import)
