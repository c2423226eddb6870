"""HTML screens of the contracts app, one module per area: contracts, catalogue, calendars, service levels."""
