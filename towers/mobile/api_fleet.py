"""REST routes of mobile services (thin): the fleet part."""

from ninja import Router

router = Router(tags=["Mobile"])
