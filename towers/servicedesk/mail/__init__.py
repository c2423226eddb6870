"""Mail for the service desk, without Django: parsing, loop detection, the SMTP/LMTP listener and the IMAP fetcher.

The listener and the fetcher hand each message's raw bytes to a `deliver` callable; the service that
turns mail into tickets (towers.servicedesk.services.inbound) is wired in by the `towers mail` command.
"""
