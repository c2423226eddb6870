"""Background jobs of reporting: thin wrappers around services."""

from django_tasks import task

from towers.core import schedule
from towers.reporting.delivery import packs_send
from towers.reporting.services.exit_pack import exit_pack_build_queued, exit_packs_fail_stale


@task()
def build_exit_pack(pack_id: str) -> int:
    """An exit pack asked for on the page or the API; returns its size in bytes (0 if it was already built)."""
    pack = exit_pack_build_queued(pack_id)
    return pack.size if pack is not None else 0


@schedule.every(3600)
@task()
def send_review_packs() -> int:
    """Each hour: the packs whose day has come are built as their readers and emailed (each once a month)."""
    try:
        return packs_send()
    finally:
        schedule.again(send_review_packs)


@schedule.every(3600)
@task()
def fail_stale_exit_packs() -> int:
    """Packs a dead worker left half-built are marked failed, with the reason, so they can be asked for again."""
    try:
        return exit_packs_fail_stale()
    finally:
        schedule.again(fail_stale_exit_packs)
