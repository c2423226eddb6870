"""Background jobs of mobile services: thin wrappers around services."""

from django_tasks import task

from towers.mobile.services.mdm_queue import mdm_import_run_queued


@task()
def run_mdm_import(run_id: str) -> int:
    """A large MDM export, queued by the page or the API; returns how many rows it read."""
    run = mdm_import_run_queued(run_id)
    return run.total if run is not None else 0
