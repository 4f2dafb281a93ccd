"""Delivery by SMTP (``CASEWORK_SMTP_URL``), with the standard library's ``smtplib``.

A channel sends one outbox message and raises ``DeliveryError`` when it could not: ``permanent``
when the server refused the recipient for good (5xx), otherwise the worker retries. Anything
else it raises is a crash of the worker, not a failed delivery. The worker knows only this
interface, so another channel (GOV.UK Notify) would be one more class.
"""

from __future__ import annotations

import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from casework.settings import Settings, SmtpServer, smtp_server

TIMEOUT_SECONDS = 30
# Lines up to RFC 5322's limit: the standard library folds a 70-odd character subject before
# its first word, which some readers show with a leading space.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class OutgoingMessage(Protocol):
    @property
    def message_id(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...


class Channel(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...


def message_id_header(message_id: str, sender: str) -> str:
    """``<id@domain>``: the same outbox row always gives the same Message-ID."""
    return f"<{message_id}@{sender.rpartition('@')[2] or 'casework'}>"


def email_of(message: OutgoingMessage, sender: str, created: object = None) -> EmailMessage:
    email = EmailMessage(policy=MAIL_POLICY)
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message_id_header(message.message_id, sender)
    if created is not None:
        email["Date"] = format_datetime(created)  # type: ignore[arg-type]
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    return email


class SmtpChannel:
    def __init__(self, settings: Settings) -> None:
        if settings.smtp_url is None:
            raise ValueError("CASEWORK_SMTP_URL is not set")
        self.server: SmtpServer = smtp_server(settings.smtp_url.get_secret_value())
        self.sender = settings.mail_from

    def send(self, message: OutgoingMessage) -> None:
        email = email_of(message, self.sender, getattr(message, "created_at", None))
        server = self.server
        try:
            if server.tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=TIMEOUT_SECONDS,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
            with smtp:
                if server.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if server.username:
                    smtp.login(server.username, server.password or "")
                smtp.send_message(email, from_addr=self.sender, to_addrs=[message.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"the mail server refused the recipient ({', '.join(map(str, codes))})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            answer = _text(exc.smtp_error)
            raise DeliveryError(f"the mail server answered {exc.smtp_code}: {answer}") from None
        except (smtplib.SMTPException, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise DeliveryError(f"could not reach the mail server: {reason}") from None


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return text[:200]
