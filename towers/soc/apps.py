from django.apps import AppConfig


class SocConfig(AppConfig):
    name = "towers.soc"
    label = "soc"
    verbose_name = "Security operations"

    def ready(self) -> None:
        from towers.soc import handlers, policies, policies_intake, tasks  # noqa: F401  (register)
