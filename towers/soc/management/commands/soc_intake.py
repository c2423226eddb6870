"""`towers soc_intake listen|ingest|detect`: the syslog receiver, file ingest, and a detection worker.

    towers soc_intake listen --organisation CODE [--udp H:P] [--tcp H:P] [--rules DIR]
    towers soc_intake ingest --organisation CODE FILE…        (JSON-lines, zips of them, EVTX)
    towers soc_intake detect [--rules DIR] [--batch N] [--idle-exit S]

`listen` and `ingest` hand events to `events_accept`: to the JetStream stream when `TOWERS_NATS_URL` is set
(then run one or more `detect` workers), otherwise to detection in the same process. Detection runs the SOC's
enabled rules as they stand (switched, tuned or written in the UI meanwhile), or the files given with `--rules`.
"""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from towers.core.actor import Actor, Channel
from towers.core.console import command_console, progress_bar
from towers.organisations.models import Organisation, OrganisationKind
from towers.soc.hunt import event_files
from towers.soc.intake.event import Event, Quarantined, Result
from towers.soc.intake.evtx import iter_evtx
from towers.soc.intake.jsonl import iter_jsonl
from towers.soc.intake.listener import ThreadedSyslogListener
from towers.soc.services.detection import Detection
from towers.soc.services.intake import (
    detector_attach,
    events_accept,
    stream_message_quarantine,
    stream_settings,
    worker_name,
)
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.rules import load_rules
from towers.soc.stream import StreamEvent, StreamSettings, consume, decode

FLUSH_EVENTS = 1000  # events a batch handed to events_accept (and one audit entry)
FLUSH_SECONDS = 0.5  # ...or whatever arrived in this long
EVTX_MAGIC = b"ElfFile\x00"


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


class Command(BaseCommand):
    help = "SOC event intake: `listen` for syslog, `ingest` files, `detect` (a worker on the event stream)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listen = sub.add_parser("listen", help="Receive syslog (RFC 5424/3164, CEF, LEEF) over UDP and TCP.")
        listen.add_argument("--udp", default="127.0.0.1:5514", help="HOST:PORT (default 127.0.0.1:5514).")
        listen.add_argument("--tcp", default="127.0.0.1:5514", help="HOST:PORT (default 127.0.0.1:5514).")
        ingest = sub.add_parser("ingest", help="Read JSON-lines files, zips of them, EVTX files, or folders.")
        ingest.add_argument("paths", nargs="+", type=Path)
        for command in (listen, ingest):
            command.add_argument("--organisation", required=True, help="Code of the SOC's organisation.")
            command.add_argument(
                "--rules", action="append", type=Path, help="Detect with these files (no stream; default: live rules)."
            )
        detect = sub.add_parser("detect", help="A detection worker: evaluate events from the stream, exactly once.")
        detect.add_argument(
            "--rules",
            action="append",
            type=Path,
            help="Run these Sigma files (default: the enabled rules, live).",
        )
        detect.add_argument("--batch", type=int, default=100, help="Events fetched and committed together.")
        detect.add_argument("--idle-exit", type=float, help="Exit after this many seconds without events.")
        detect.add_argument("--stream", default="", help="Stream name (default TOWERS_EVENTS).")
        detect.add_argument("--subjects", default="", help="Subject prefix (default towers.events).")
        detect.add_argument("--ack-wait", type=float, default=30.0, help="Seconds before a held event is redelivered.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "detect":
            self._detect(**options)
            return
        organisation = Organisation.objects.filter(code=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"--organisation: no organisation has the code {options['organisation']!r}")
        actor = Actor.system(f"soc-intake-{action}", channel=Channel.IMPORT)
        if options["rules"]:
            if stream_settings() is not None:
                raise CommandError("--rules is for in-process detection; TOWERS_NATS_URL is set, so run `detect`")
            detector_attach(Detection(Actor.system("soc-detect"), engine=self._engine(options["rules"])))
        try:
            if action == "listen":
                self._listen(actor, organisation, _address(options["udp"]), _address(options["tcp"]))
            else:
                self._ingest(actor, organisation, options["paths"])
        finally:
            detector_attach(None)

    def _engine(self, roots: list[Path]) -> Engine:
        missing = [str(p) for p in roots if not p.exists()]
        if missing:
            raise CommandError(f"rules not found: {', '.join(missing)}")
        report = load_rules(roots)
        self.stderr.write(report.summary().splitlines()[0])
        return Engine(report.rules)

    def _accept(self, actor: Actor, organisation: Organisation, results: list[Result]) -> tuple[int, int]:
        outcome = events_accept(
            actor=actor,
            events=[r for r in results if isinstance(r, Event)],
            quarantined=[r for r in results if isinstance(r, Quarantined)],
            organisation=organisation,
        )
        return outcome.accepted, outcome.quarantined

    def _listen(self, actor: Actor, organisation: Organisation, udp: tuple[str, int], tcp: tuple[str, int]) -> None:
        if udp[0] != tcp[0]:
            raise CommandError("--udp and --tcp must use the same host")
        inbox: queue.SimpleQueue[Result] = queue.SimpleQueue()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        totals = [0, 0]
        with ThreadedSyslogListener(inbox.put, host=udp[0], udp_port=udp[1], tcp_port=tcp[1]) as listener:
            self.stdout.write(
                f"listening: udp {listener.host}:{listener.udp_port}, tcp {listener.host}:{listener.tcp_port}"
            )
            try:
                while not stop.is_set():
                    batch = _drain(inbox, FLUSH_EVENTS, FLUSH_SECONDS)
                    if batch:
                        accepted, held = self._accept(actor, organisation, batch)
                        totals[0], totals[1] = totals[0] + accepted, totals[1] + held
            except KeyboardInterrupt:
                pass
        rest = _drain(inbox, FLUSH_EVENTS * 1000, 0)  # what arrived while the sockets closed
        if rest:
            accepted, held = self._accept(actor, organisation, rest)
            totals[0], totals[1] = totals[0] + accepted, totals[1] + held
        self.stdout.write(f"{totals[0]} events accepted, {totals[1]} quarantined")

    def _ingest(self, actor: Actor, organisation: Organisation, paths: list[Path]) -> None:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"not found: {', '.join(missing)}")
        files = event_files(paths)
        console = command_console(self.stdout)
        accepted = held = 0
        with progress_bar(console) as progress:
            task = progress.add_task("ingesting", total=len(files))
            for path in files:
                for batch in _chunks(_read(path), FLUSH_EVENTS):
                    a, q = self._accept(actor, organisation, batch)
                    accepted, held = accepted + a, held + q
                progress.advance(task)
        console.print(f"{len(files)} files: {accepted} events accepted, {held} quarantined")

    def _detect(
        self,
        *,
        rules: list[Path] | None,
        batch: int,
        idle_exit: float | None,
        stream: str,
        subjects: str,
        ack_wait: float,
        **_: Any,
    ) -> None:
        configured = stream_settings()
        if configured is None:
            raise CommandError("TOWERS_NATS_URL is not set: there is no stream to consume")
        overrides: dict[str, Any] = {"ack_wait": ack_wait}
        if stream:
            overrides["stream"] = stream
        if subjects:
            overrides["subjects"] = subjects
        config = StreamSettings(**{**configured.__dict__, **overrides})
        detection = Detection(
            Actor.system("soc-detect"), engine=self._engine(rules) if rules else None, worker=worker_name()
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        totals = {"evaluated": 0, "skipped": 0, "hits": 0}

        def handler(items: list[StreamEvent]) -> None:
            done = detection(items)
            totals["evaluated"] += done.evaluated
            totals["skipped"] += done.skipped
            totals["hits"] += done.hits

        self.stdout.write(
            f"detector {detection.worker} on {config.stream} ({config.subjects}.>), consumer {config.durable}"
        )
        stats = consume(
            handler, settings=config, poison=_quarantine_message, batch=batch, idle_exit=idle_exit, stop=stop
        )
        self.stdout.write(
            f"evaluated={totals['evaluated']} skipped={totals['skipped']} hits={totals['hits']} "
            f"redelivered={stats.redelivered} failed={stats.failed} quarantined={stats.poisoned}"
        )
        for error in stats.errors[:10]:
            self.stderr.write(error)


def _quarantine_message(data: bytes, reason: str) -> None:
    """A message detection gave up on: into the quarantine of its SOC (the authority's if it names none)."""
    try:
        organisation_id: Any = decode(data).organisation_id
    except (ValueError, KeyError, TypeError):
        organisation_id = None
    organisation = (
        Organisation.objects.filter(pk=organisation_id).first()
        or Organisation.objects.filter(kind=OrganisationKind.AUTHORITY).order_by("created_at").first()
    )
    if organisation is None:
        raise CommandError(f"no organisation to quarantine a stream message under: {reason}")
    stream_message_quarantine(organisation=organisation, data=data, reason=reason)


def _drain(inbox: queue.SimpleQueue[Result], limit: int, wait: float) -> list[Result]:
    """Up to `limit` results, waiting at most `wait` seconds for the first ones."""
    out: list[Result] = []
    deadline = time.monotonic() + wait
    while len(out) < limit:
        try:
            out.append(inbox.get(timeout=max(0.0, deadline - time.monotonic())) if wait else inbox.get_nowait())
        except queue.Empty:
            break
    return out


def _read(path: Path) -> Iterator[Result]:
    with path.open("rb") as handle:
        is_evtx = path.suffix.lower() == ".evtx" or handle.read(len(EVTX_MAGIC)) == EVTX_MAGIC
    return iter_evtx(path) if is_evtx else iter_jsonl(path)


def _chunks(results: Iterable[Result], size: int) -> Iterator[list[Result]]:
    chunk: list[Result] = []
    for result in results:
        chunk.append(result)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
