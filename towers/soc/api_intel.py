"""REST routes of the SOC's threat intelligence: indicators, imports and feeds (thin)."""

from ninja import Router

router = Router(tags=["SOC"])
