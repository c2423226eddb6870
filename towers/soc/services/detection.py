"""One detection step over a batch of stream events: the SOC's live rules and correlations, alerts and intel.

Detection workers (`towers soc_intake detect`), in-process detection (`listen`/`ingest` without a stream, HTTP
intake) and the demo all run this, so every path raises the same alerts from the same events.
"""

from __future__ import annotations

from towers.core.actor import Actor
from towers.soc.services.correlations import detection_hits
from towers.soc.services.intake import Evaluation, alert_hits, events_evaluate, intel_hits
from towers.soc.services.ruleset import LiveRules
from towers.soc.sigma.engine import Engine
from towers.soc.stream import StreamEvent


class Detection:
    """Callable on a batch: evaluates it exactly once with the live rules (or a fixed `engine`, e.g. `--rules DIR`).

    The handlers are made afresh for each batch, so rules switched off or tuned meanwhile take effect at once.
    """

    def __init__(self, actor: Actor, *, live: LiveRules | None = None, engine: Engine | None = None, worker: str = ""):
        self.actor = actor
        self.live = live or LiveRules()
        self.fixed_engine = engine
        self.worker = worker

    def __call__(self, items: list[StreamEvent]) -> Evaluation:
        engine = self.fixed_engine or self.live.engine()
        on_hits = detection_hits(self.actor, alerts=alert_hits(self.actor), correlations=self.live.rules())
        return events_evaluate(
            engine=engine, items=items, on_hits=on_hits, on_batch=intel_hits(self.actor), worker=self.worker
        )
