"""The pure mail module: parsing real mail, cutting quoted replies, finding references, spotting loops."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from towers.servicedesk.mail.loops import LOOP_HEADER, auto_reply_reason, over_rate
from towers.servicedesk.mail.parse import (
    REPLY_MARKER,
    MailParseError,
    find_reference,
    html_to_text,
    mail_reference,
    parse_message,
    safe_filename,
    strip_quoted,
    thread_message_id,
)

FIXTURES = Path(__file__).parent / "mailfixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def message(**headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Pat Officer <pat@force.test>")
    msg["To"] = "servicedesk@towers.localhost"
    msg["Subject"] = headers.pop("Subject", "Help")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Please help.")
    return msg.as_bytes()


def test_new_mail_gives_sender_subject_text_and_attachment():
    mail = parse_message(fixture("new_with_attachment.eml"))
    assert mail.sender == "pat.officer@force.test"  # lower-cased, so it matches people case-insensitively
    assert mail.sender_name == "Pat Officer"
    assert mail.subject == "Printer on the second floor is jammed"
    assert mail.message_id == "<new-1@force.test>"
    assert mail.text.startswith("The printer by the custody suite shows error E-502")
    assert mail.recipients == ("servicedesk@towers.localhost",)
    [attachment] = mail.attachments
    assert (attachment.filename, attachment.content_type) == ("error-page.pdf", "application/pdf")
    assert attachment.data.startswith(b"%PDF-1.4")
    assert mail_reference(mail) is None


def test_html_only_mail_becomes_readable_text_without_scripts_or_styles():
    mail = parse_message(fixture("html_only.eml"))
    assert mail.subject == "Laptop won’t charge – €"
    assert (
        mail.text
        == "My laptop won’t charge.\n\nI tried:\n\n- another socket\n- another charger & cable\n\nThanks,\nSam"
    )
    assert "alert" not in mail.text and "color" not in mail.text


def test_plain_text_is_preferred_to_html_in_an_alternative():
    mail = parse_message(fixture("reply_gmail.eml"))
    assert mail.reply == "It is working again after the engineer's visit, thank you."
    assert "gmail" not in mail.text


def test_gmail_reply_keeps_only_the_new_text_and_threads_by_subject():
    mail = parse_message(fixture("reply_gmail.eml"))
    assert "Engineer on the way" in mail.text
    assert "Engineer on the way" not in mail.reply
    assert mail_reference(mail) == "INC0000042"


def test_outlook_reply_cuts_the_header_block_and_reads_windows_1252():
    mail = parse_message(fixture("reply_outlook.eml"))
    assert mail.sender == "pat.officer@force.test"
    assert mail.reply == "Still jammed – the display now says £ sign errors.\n\nRegards,\nPat"
    assert mail_reference(mail) == "INC0000042"


def test_awkward_attachments_are_named_safely_and_forwarded_mail_is_kept_whole():
    mail = parse_message(fixture("awkward_attachments.eml"))
    assert mail.text == "Two files attached."  # an unknown charset is read as UTF-8, not rejected
    names = [a.filename for a in mail.attachments]
    assert names == ["écran 1.png", "passwd", "forwarded-3.eml"]
    forwarded = mail.attachments[2]
    assert forwarded.content_type == "message/rfc822"
    assert b"Subject: The original complaint" in forwarded.data


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "empty"),
        (b"   \r\n  ", "empty"),
        (b"\x00\xff\xfe garbage that is not mail at all", "no mail headers"),
        (b"Subject: no sender\r\n\r\nbody", "no sender address"),
        (b"From: not an address\r\nSubject: x\r\n\r\nbody", "no sender address"),
    ],
)
def test_unusable_bytes_raise_a_parse_error_saying_why(raw, reason):
    with pytest.raises(MailParseError, match=reason):
        parse_message(raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_or_raise_only_the_parse_error(raw):
    try:
        mail = parse_message(raw)
    except MailParseError:
        return
    assert "@" in mail.sender


@settings(max_examples=200, deadline=None)
@given(
    subject=st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=200),
    body=st.text(st.characters(blacklist_categories=("Cs",)), max_size=500),
)
def test_any_well_formed_message_round_trips_its_subject(subject, body):
    msg = EmailMessage()
    msg["From"] = "pat@force.test"
    msg["Subject"] = subject
    msg.set_content(body)
    mail = parse_message(msg.as_bytes())
    assert mail.subject == " ".join(msg["Subject"].split())
    assert "".join(mail.text.split()) == "".join(body.split())


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("[INC0001234] Printer", "INC0001234"),
        ("Re: [INC0001234] Printer", "INC0001234"),
        ("RE: Fwd: AW: [inc0001234] Printer", "INC0001234"),
        ("Printer still broken [REQ0000007]", "REQ0000007"),
        ("Re: INC0001234", "INC0001234"),
        ("Re[2]: INC0001234 - printer", "INC0001234"),
        ("INC0001234: printer", "INC0001234"),
        ("Printer broken, like INC0001234 last week", None),  # a mention is not a reply
        ("Re: INC00012345678901234 overflow", None),
        ("Re: INCIDENT at the front desk", None),
        ("", None),
    ],
)
def test_reference_is_found_in_subjects_as_replies_write_them(subject, expected):
    assert find_reference(subject) == expected


def test_reference_is_found_in_our_message_id_when_the_subject_lost_it():
    message_id = thread_message_id("CHG0000099", "towers.localhost")
    assert find_reference("Re: your change", (message_id,)) == "CHG0000099"
    assert find_reference("Re: your change", ("<abc.INC0000099@elsewhere.test>",)) is None


@pytest.mark.parametrize(
    "text, reply",
    [
        ("Thanks!\n\nOn Tue, 4 Mar 2025, Desk wrote:\n> old", "Thanks!"),
        ("Thanks!\n-----Original Message-----\nFrom: desk", "Thanks!"),
        ("Thanks!\n\nFrom: Desk <d@x>\nSent: today\nTo: me\n\nold", "Thanks!"),
        ("Thanks!\n-- \nPat Officer\nCustody", "Thanks!"),
        (f"Thanks!\n{REPLY_MARKER}\nold notification", "Thanks!"),
        (
            "Inline answer:\n> question?\nyes.\n> another?\nno.\n\n> sig",
            "Inline answer:\n> question?\nyes.\n> another?\nno.",
        ),
        ("On Tue, Desk wrote:\n> old\n\nMy answer below the quote.", "My answer below the quote."),
        ("From the custody suite: the printer is broken.", "From the custody suite: the printer is broken."),
    ],
)
def test_quoted_replies_and_signatures_are_cut(text, reply):
    assert strip_quoted(text) == reply


def test_html_to_text_keeps_pre_formatting_and_decodes_entities():
    html = "<p>a&nbsp;&lt;b&gt;</p><pre>  x\n  y</pre><table><tr><td>c</td></tr></table>"
    assert html_to_text(html) == "a\xa0<b>\n\n  x\n  y\n\nc"


@pytest.mark.parametrize(
    "name, safe",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\pat\\report.docx", "report.docx"),
        (".htaccess", "htaccess"),
        ("a\x00b\x1fc.txt", "abc.txt"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_filenames_lose_directories_and_control_characters(name, safe):
    assert safe_filename(name) == safe


@pytest.mark.parametrize(
    "name, expected",
    [
        ("out_of_office.eml", "automatic (Auto-Submitted: auto-replied)"),
        ("bounce.eml", "sent by a mail system (mailer-daemon)"),
        ("list_mail.eml", "bulk or list mail (Precedence: list)"),
        ("new_with_attachment.eml", None),
        ("reply_gmail.eml", None),
        ("reply_outlook.eml", None),
        ("html_only.eml", None),
    ],
)
def test_auto_replies_bounces_and_lists_are_recognised_and_people_are_not(name, expected):
    assert auto_reply_reason(parse_message(fixture(name))) == expected


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({LOOP_HEADER: "towers.localhost"}, "our own notification came back"),
        ({"From": "Desk <ServiceDesk@towers.localhost>"}, "sent from the desk's own address"),
        ({"From": "postmaster@force.test"}, "sent by a mail system (postmaster)"),
        ({"Return_Path": "<>"}, "a bounce"),
        ({"Auto_Submitted": "auto-generated; owner-email=x@y"}, "Auto-Submitted: auto-generated"),
        ({"Precedence": "junk"}, "Precedence: junk"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"X_Autorespond": "yes"}, "X-Autorespond"),
        ({"X_Autoreply": "yes"}, "X-Autoreply"),
        ({"List_Id": "<x.lists.test>"}, "List-Id"),
    ],
)
def test_each_loop_signal_is_named_in_the_reason(headers, reason):
    found = auto_reply_reason(parse_message(message(**headers)), own_addresses={"servicedesk@towers.localhost"})
    assert found is not None and reason in found


def test_auto_submitted_no_is_a_person_writing():
    assert auto_reply_reason(parse_message(message(Auto_Submitted="no"))) is None


def test_rate_limit_trips_on_the_twenty_first_message():
    assert not over_rate(19)
    assert over_rate(20)
