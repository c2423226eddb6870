"""Read a raw message into plain data: who sent it, what it is about, the text written, and what was attached.

Deliberately tolerant: real mail has broken charsets, encoded-word filenames and HTML-only bodies. It
raises MailParseError only when there is nothing a ticket could be made from (no sender).
"""

from __future__ import annotations

import codecs
import email
import email.errors
import mimetypes
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import collapse_rfc2231_value, getaddresses, make_msgid, parseaddr
from html.parser import HTMLParser

# The ticket prefixes of towers.servicedesk.models.tickets.PREFIXES (and SOC cases), kept here so this stays pure.
REFERENCE_PREFIXES = ("INC", "REQ", "TSK", "PRB", "CHG", "SEC")
_REF = rf"(?:{'|'.join(REFERENCE_PREFIXES)})\d{{4,12}}"
_BRACKETED = re.compile(rf"\[\s*({_REF})\s*\]", re.IGNORECASE)
_REPLY_PREFIXES = re.compile(r"^\s*(?:(?:re|fwd?|aw|sv|wg|antw)(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_LEADING = re.compile(rf"^({_REF})(?![0-9A-Za-z])", re.IGNORECASE)
_MSGID_TAG = "towers"
_IN_MSGID = re.compile(rf"\.{_MSGID_TAG}\.({_REF})@", re.IGNORECASE)
# Notifications carry this line; everything a reply quotes from it onwards is ours, not the sender's.
REPLY_MARKER = "##- Please type your reply above this line -##"
_CUT_LINES = [
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^_{20,}\s*$"),
    re.compile(r"^On .{1,300}\bwrote:\s*$", re.DOTALL),
    re.compile(r"^Le .{1,300}\ba écrit\s?:\s*$", re.DOTALL),
    re.compile(r"^Am .{1,300}\bschrieb .{0,200}:\s*$", re.DOTALL),
    re.compile(r"^-- ?$"),  # the conventional signature delimiter
]
_HEADER_BLOCK = re.compile(r"^\*?From:\*?\s", re.IGNORECASE)
_HEADER_FOLLOW = re.compile(r"^\*?(Sent|Date|To|Subject):\*?\s", re.IGNORECASE)


class MailParseError(ValueError):
    """The bytes are not a message a ticket can be made from; `str(exc)` says why."""


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    sender: str  # the address, lower-cased
    sender_name: str
    subject: str
    recipients: tuple[str, ...]
    in_reply_to: str
    references: tuple[str, ...]
    text: str  # everything written, forwarded messages included
    reply: str  # the new text only: quoted replies and signatures cut
    content_type: str
    return_path: str | None  # None when absent, "" for the null sender <> of bounces
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased name → first value, decoded
    attachments: tuple[MailAttachment, ...] = ()

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def parse_message(raw: bytes) -> ParsedMail:
    """Parse `raw` (RFC 5322 bytes); raise MailParseError if it has no usable sender."""
    if not raw or not raw.strip():
        raise MailParseError("the message is empty")
    message = email.message_from_bytes(raw)
    headers = _headers(message)
    if not headers:
        raise MailParseError("no mail headers: not an RFC 5322 message")
    sender_name, sender = parseaddr(headers.get("from", ""))
    if "@" not in sender:
        sender_name, sender = parseaddr(headers.get("sender", ""))
    if "@" not in sender or any(c.isspace() for c in sender):
        raise MailParseError(f"no sender address in From: {headers.get('from', '(missing)')[:100]!r}")
    return_path: str | None = None
    if "return-path" in headers:
        return_path = parseaddr(headers["return-path"])[1] if headers["return-path"].strip() != "<>" else ""
    text_plain, text_html, attachments = _walk(message)
    text = _tidy(text_plain if text_plain.strip() else html_to_text(text_html))
    recipients = tuple(
        addr.lower() for _, addr in getaddresses([headers.get("to", ""), headers.get("cc", "")]) if "@" in addr
    )
    return ParsedMail(
        message_id=headers.get("message-id", "").strip(),
        sender=sender.strip().lower(),
        sender_name=sender_name.strip(),
        subject=" ".join(headers.get("subject", "").split()),
        recipients=recipients,
        in_reply_to=headers.get("in-reply-to", "").strip(),
        references=tuple(headers.get("references", "").split()),
        text=text,
        reply=strip_quoted(text),
        content_type=message.get_content_type(),
        return_path=return_path,
        headers=headers,
        attachments=tuple(attachments),
    )


def peek_headers(raw: bytes) -> dict[str, str]:
    """The decoded headers of anything, never raising: for recording what a message that cannot be parsed said."""
    try:
        return _headers(email.message_from_bytes(raw))
    except Exception:
        return {}


def _decode_header(value: str) -> str:
    try:
        decoded = str(make_header(decode_header(value)))
    except (UnicodeError, LookupError, ValueError, email.errors.HeaderParseError):
        decoded = value
    return " ".join(decoded.split())


def _headers(message: Message) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in message.raw_items():
        key = name.strip().lower()
        if key and key not in headers:
            headers[key] = _decode_header(str(value))
    return headers


def _charset_text(payload: bytes, charset: str | None) -> str:
    try:
        name = codecs.lookup(charset or "utf-8").name
    except LookupError:
        charset, name = None, "utf-8"
    if name in ("latin-1", "iso8859-1", "ascii"):
        # Mail labelled Latin-1 or ASCII is usually Windows-1252 (Outlook's dashes and quotes), as browsers assume.
        charset = "cp1252"
    try:
        return payload.decode(charset or "utf-8")
    except UnicodeDecodeError:
        # A mislabelled part: keep what can be read rather than reject the mail.
        return payload.decode(charset or "utf-8", errors="replace") if charset else payload.decode("latin-1")


def _walk(message: Message) -> tuple[str, str, list[MailAttachment]]:
    """The first plain-text body, the first HTML body, and every attachment (a forwarded message is one)."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[MailAttachment] = []

    def visit(part: Message) -> None:
        ctype = part.get_content_type()
        filename = _filename(part)
        if ctype == "message/rfc822" and part is not message:
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            data = first.as_bytes() if isinstance(first, Message) else b""
            attachments.append(MailAttachment(filename or f"forwarded-{len(attachments) + 1}.eml", ctype, data))
            return
        if part.is_multipart():
            for child in part.get_payload():
                if isinstance(child, Message):
                    visit(child)
            return
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        disposition = part.get_content_disposition()
        if disposition != "attachment" and not filename and ctype in ("text/plain", "text/html"):
            (plain if ctype == "text/plain" else html).append(_charset_text(payload, part.get_content_charset()))
            return
        name = filename or f"attachment-{len(attachments) + 1}{mimetypes.guess_extension(ctype) or '.bin'}"
        attachments.append(MailAttachment(name, ctype, payload))

    visit(message)
    return (plain[0] if plain else ""), (html[0] if html else ""), attachments


def _filename(part: Message) -> str:
    name = part.get_filename() or part.get_param("name", header="content-type") or ""
    if not isinstance(name, str):  # an RFC 2231 triple
        name = collapse_rfc2231_value(name)
    return safe_filename(_decode_header(name)) if name else ""


def safe_filename(name: str) -> str:
    """A name that is safe to store and show: no directories, no control characters, at most 255 characters."""
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().lstrip(".")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 254 - len(ext)]}.{ext}" if dot and len(ext) < 20 else name[:255]
    return name


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def strip_quoted(text: str) -> str:
    """The new text of a reply: cut at the quoted message, the signature, or our reply marker."""
    lines = text.split("\n")
    end = len(lines)
    for i, line in enumerate(lines):
        bare = line.strip()
        two = f"{bare} {lines[i + 1].strip()}" if i + 1 < len(lines) else bare  # "On …" wrapped over two lines
        if REPLY_MARKER in line or any(p.match(bare) or p.match(two) for p in _CUT_LINES[:-1]):
            end = i
            break
        if _CUT_LINES[-1].match(line) or (
            _HEADER_BLOCK.match(bare) and any(_HEADER_FOLLOW.match(n.strip()) for n in lines[i + 1 : i + 4])
        ):
            end = i
            break
    kept = lines[:end]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    if not "\n".join(kept).strip() and end < len(lines):
        # Written below the quote (bottom-posting): keep what is not quoted, not the attribution line.
        kept = [line for line in lines[end + 1 :] if not line.lstrip().startswith(">") and REPLY_MARKER not in line]
    return "\n".join(kept).strip()


_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "hr", "ul", "ol",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "head", "title"}
_KEEP = "\ue000"  # a private-use character standing for a space inside <pre>


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag == "pre":
            self.pre += 1
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n- " if tag == "li" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCK_TAGS and tag != "li":
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            # HTML collapses its own whitespace (not a no-break space); <pre> keeps it, protected from the tidy-up.
            self.chunks.append(data.replace(" ", _KEEP) if self.pre else re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text from an HTML body: block elements become line breaks, scripts and styles are dropped."""
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(html.replace(_KEEP, ""))
    parser.close()
    lines = [line.strip(" ").replace(_KEEP, " ") for line in "".join(parser.chunks).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n ")


def find_reference(subject: str, message_ids: tuple[str, ...] = ()) -> str | None:
    """The ticket a message is about: `[INC0001234]` anywhere in the subject, a subject starting with one
    (after Re:/Fwd:), or failing those our own Message-ID in In-Reply-To/References."""
    found = _BRACKETED.search(subject)
    if found:
        return found.group(1).upper()
    leading = _LEADING.match(_REPLY_PREFIXES.sub("", subject).strip())
    if leading:
        return leading.group(1).upper()
    for message_id in reversed(message_ids):
        in_id = _IN_MSGID.search(message_id)
        if in_id:
            return in_id.group(1).upper()
    return None


def mail_reference(mail: ParsedMail) -> str | None:
    return find_reference(mail.subject, (*mail.references, mail.in_reply_to))


def thread_message_id(reference: str, domain: str) -> str:
    """A Message-ID for a notification about `reference` that `find_reference` recognises in a reply's headers."""
    return make_msgid(idstring=f"{_MSGID_TAG}.{reference}", domain=domain)
