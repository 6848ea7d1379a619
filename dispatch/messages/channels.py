"""The two ways a donor message leaves: e-mail over SMTP and SMS through an HTTP gateway.

* E-mail: ``DISPATCH_SMTP_HOST``/``_PORT``, STARTTLS (``DISPATCH_SMTP_STARTTLS``, on by default; the server's
  certificate is checked against the system's CAs or ``DISPATCH_SMTP_CA_FILE``),
  optional credentials (``DISPATCH_SMTP_USERNAME``/``_PASSWORD``) and the sender (``DISPATCH_SMTP_SENDER``).
  Each e-mail has a stable ``Message-ID`` (``<donor-message-ID@host>``) so that a receiving system can tell
  a resend from a new message.
* SMS: a provider-agnostic JSON POST to ``DISPATCH_SMS_GATEWAY_URL`` with ``{"id", "to", "text", "lang"}``,
  the shared secret in the ``X-Dispatch-Secret`` header (``DISPATCH_SMS_GATEWAY_SECRET``) and
  ``Idempotency-Key: donor-message-ID``; any 2xx is a success. A small adapter in front of the provider
  (OVH, Twilio, a modem...) turns it into the provider's own call.

:func:`configured` says whether a channel can be used; :func:`send` raises :class:`SendFailed` (retried)
on any failure.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate

from dispatch.models import DonorMessage
from dispatch.settings import Settings

SECRET_HEADER = "X-Dispatch-Secret"


class SendFailed(Exception):
    """The message could not be handed over this time (server down, refused, timed out)."""


def configured(channel: str, settings: Settings) -> str | None:
    """None when ``channel`` can be used, else why not (the setting to set)."""
    if channel == "email":
        return None if settings.smtp_host else "e-mail is not configured on this server (set DISPATCH_SMTP_HOST)"
    if channel == "sms":
        return None if settings.sms_gateway_url else "SMS is not configured on this server " \
                                                     "(set DISPATCH_SMS_GATEWAY_URL)"
    return f"unknown channel {channel!r}"


def text_of(message: DonorMessage, settings: Settings) -> str:
    """The body as the donor reads it: the server's public address put into its links."""
    return message.body.replace("{base_url}", settings.base_url.rstrip("/"))


def _email(message: DonorMessage, settings: Settings) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.smtp_sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    domain = settings.smtp_sender.rsplit("@", 1)[-1].strip("> ") or "localhost"
    mail["Message-ID"] = f"<donor-message-{message.id}@{domain}>"
    mail["Content-Language"] = message.lang
    mail.set_content(text_of(message, settings))
    return mail


def send_email(message: DonorMessage, settings: Settings) -> None:
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.messages_timeout_s) as smtp:
            if settings.smtp_starttls:
                cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
                smtp.starttls(context=ssl.create_default_context(cafile=cafile))
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_username, password)
            smtp.send_message(_email(message, settings))
    except (OSError, smtplib.SMTPException) as exc:
        raise SendFailed(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {type(exc).__name__}: {exc}") from exc


def send_sms(message: DonorMessage, settings: Settings) -> None:
    body = json.dumps({"id": message.id, "to": message.recipient, "text": text_of(message, settings), "lang": message.lang},
                      ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "amistock-dispatch-sms/1",
               "Idempotency-Key": f"donor-message-{message.id}"}
    if settings.sms_gateway_secret:
        headers[SECRET_HEADER] = settings.sms_gateway_secret.get_secret_value()
    request = urllib.request.Request(settings.sms_gateway_url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.messages_timeout_s) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        raise SendFailed(f"SMS gateway: {type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        raise SendFailed(f"SMS gateway answered HTTP {status}")


def send(message: DonorMessage, settings: Settings) -> None:
    (send_email if message.channel == "email" else send_sms)(message, settings)
