"""`towers soc_intel import|taxii`: load STIX 2.1 indicators from bundle files or a TAXII 2.1 collection.

towers soc_intel import FILE… --organisation CODE
towers soc_intel taxii API_ROOT_URL --collection ID --organisation CODE [--username U] [--password P]
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from towers.core.actor import Actor, Channel
from towers.core.errors import ValidationFailed
from towers.organisations.models import Organisation
from towers.soc.services.intel import ImportReport, indicators_import, taxii_fetch


class Command(BaseCommand):
    help = "Threat intelligence: `import` STIX 2.1 bundle files, or fetch a `taxii` 2.1 collection."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        files = sub.add_parser("import", help="Import STIX 2.1 bundles (JSON files).")
        files.add_argument("paths", nargs="+", type=Path)
        taxii = sub.add_parser("taxii", help="Fetch a TAXII 2.1 collection's objects and import its indicators.")
        taxii.add_argument("url", help="The TAXII API root URL.")
        taxii.add_argument("--collection", required=True, help="The collection id.")
        taxii.add_argument("--username", default=os.environ.get("TOWERS_TAXII_USERNAME"))
        taxii.add_argument("--password", default=os.environ.get("TOWERS_TAXII_PASSWORD"))
        for command in (files, taxii):
            command.add_argument("--organisation", required=True, help="Code of the SOC's organisation.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        organisation = Organisation.objects.filter(code=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"--organisation: no organisation has the code {options['organisation']!r}")
        actor = Actor.system(f"soc-intel-{action}", channel=Channel.IMPORT)
        report = ImportReport()
        try:
            if action == "import":
                for path in options["paths"]:
                    try:
                        bundle = json.loads(path.read_text(encoding="utf-8"))
                    except (OSError, ValueError) as exc:
                        raise CommandError(f"{path}: {exc}") from exc
                    report.add(
                        indicators_import(actor=actor, organisation=organisation, bundle=bundle, source=path.name)
                    )
            else:
                report = taxii_fetch(
                    actor=actor,
                    organisation=organisation,
                    url=options["url"],
                    collection_id=options["collection"],
                    username=options["username"],
                    password=options["password"],
                )
        except ValidationFailed as exc:
            raise CommandError(str(exc)) from exc
        for stix_id, reason in report.unsupported:
            self.stderr.write(f"unsupported {stix_id}: {reason}")
        self.stdout.write(
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.unsupported)} unsupported"
        )
