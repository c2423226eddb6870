from django.apps import AppConfig


class TransitionConfig(AppConfig):
    name = "towers.transition"
    label = "transition"
    verbose_name = "Supplier transition"

    def ready(self) -> None:
        from towers.transition import policies, tasks  # noqa: F401  (register)
