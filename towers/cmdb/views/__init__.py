"""HTML screens of the CMDB, one module per area: the list and generated forms, a CI's page, its
relationships, its history and past states, and what breaks when it goes down."""
