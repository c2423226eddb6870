from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "towers.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from towers.servicedesk import handlers, handlers_requests, policies, search, tasks  # noqa: F401  (register)

        # A migration that rebuilds an indexed table drops SQLite's FTS triggers; put them back after every
        # migrate (schema upkeep, not business logic, so a signal is the right tool here).
        post_migrate.connect(search.ensure_search_indexes, sender=self, dispatch_uid="servicedesk.search")
