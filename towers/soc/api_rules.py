"""REST routes of the SOC's rule management: custom Sigma rules and their validation (thin)."""

from ninja import Router

router = Router(tags=["SOC"])
