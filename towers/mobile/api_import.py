"""REST routes of mobile services (thin): the import part."""

from ninja import Router

router = Router(tags=["Mobile"])
