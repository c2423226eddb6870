"""Sample mail: the .eml files beside this module, and `compose` for messages a test needs to vary."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

HERE = Path(__file__).parent
DESK = "servicedesk@towers.localhost"


def eml(name: str, **replace: str) -> bytes:
    """The fixture `name`, with each `old=new` substituted (e.g. INC0000042 for a real reference)."""
    raw = (HERE / name).read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


def compose(
    *,
    sender: str = "officer@force.test",
    subject: str = "Custody printer jammed",
    body: str = "The custody printer shows E-502.",
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    **headers: str,
) -> bytes:
    """A message from `sender` to the desk; attachments are (filename, content type, data); header_names_like_this."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = DESK
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="force.test")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
