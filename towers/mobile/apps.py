from django.apps import AppConfig


class MobileConfig(AppConfig):
    name = "towers.mobile"
    label = "mobile"
    verbose_name = "Mobile services"

    def ready(self) -> None:
        from towers.mobile import handlers, policies, tasks  # noqa: F401  (register)
