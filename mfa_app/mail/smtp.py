"""Email over SMTP: one message per connection, bounded in time, never sent twice.

MFA_SMTP_SECURITY: `starttls` (the default; a plain connection upgraded with STARTTLS, usually
port 587), `tls` (TLS from the first byte, usually port 465) or `none` (a relay on loopback
only). The server's certificate is checked against the system's CAs and MFA_SMTP_HOST. With
MFA_SMTP_USER set, the sender logs in with it and MFA_SMTP_PASSWORD.

Time: the TCP connect gets MFA_SMTP_CONNECT_TIMEOUT_S, every later step the time left until
MFA_SMTP_TOTAL_TIMEOUT_S after the start (each read is timed on its own, so a server trickling
bytes could still run past it).

Retries follow the SMS providers' rules (mfa_app/sms/retry.py): at most 3 attempts, exponential
backoff with full jitter, and only while the message cannot have been sent: the connection was
never made (refused, connect timeout, unreachable), or the server answered a transient 4xx
before the DATA command (421 at the greeting, 450/451/452 to MAIL or RCPT, 454 to the login).
Anything else before DATA (a 5xx such as 535 for a refused login, a server that never answers,
a failed TLS handshake) fails at once: it would fail again. Once DATA has been sent the message
is never sent again, whatever happens next. The password never goes into a log or an error."""

from __future__ import annotations

import contextlib
import logging
import random
import smtplib
import socket
import ssl
import time
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from mfa_app.mail.base import Email, EmailSendError
from mfa_app.settings import Settings

log = logging.getLogger("mfa_app.mail")

MAX_ATTEMPTS = 3
BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 2.0
LOGIN_REFUSED = frozenset({530, 534, 535})  # the operator's credentials, not the recipient

NOT_SENT = "The email couldn't be sent right now. Try again in a few minutes."
MAYBE_SENT = "The email may not have been sent. If it doesn't arrive, try again in a few minutes."


class _NotConnected(Exception):
    """The TCP connection was never made: nothing can have been sent."""


class _Transient(Exception):
    """Not sent, and worth another attempt."""


class _Plain(smtplib.SMTP):
    """smtplib's client with a connect timeout of its own (smtplib uses one timeout for all)."""

    connect_timeout_s = 5.0

    def _get_socket(self, host, port, timeout):
        try:
            sock = socket.create_connection((host, port), self.connect_timeout_s, self.source_address)
        except OSError as exc:
            raise _NotConnected(type(exc).__name__) from None
        sock.settimeout(timeout)
        return sock


class _Tls(smtplib.SMTP_SSL, _Plain):
    """TLS from the first byte: SMTP_SSL wraps the socket that _Plain connects."""


class SmtpSender:
    def __init__(self, settings: Settings, tls_context: ssl.SSLContext | None = None) -> None:
        self._host, self._port, self._security = settings.smtp_host, settings.smtp_port, settings.smtp_security
        self._user, self._password = settings.smtp_user, settings.smtp_password
        self._from = settings.email_from
        self._connect_timeout_s = settings.smtp_connect_timeout_s
        self._total_timeout_s = settings.smtp_total_timeout_s
        self._tls = tls_context or ssl.create_default_context()

    def __repr__(self) -> str:
        return "SmtpSender()"

    def send(self, email: Email) -> None:
        deadline = time.monotonic() + self._total_timeout_s
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                self._deliver(email, deadline)
                return
            except _Transient as exc:
                log.warning("smtp: attempt %d was not sent (%s)", attempt, exc)
            delay = random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))
            if attempt == MAX_ATTEMPTS or delay >= deadline - time.monotonic():
                break
            time.sleep(delay)
        log.error("smtp: gave up; the message was not sent")
        raise EmailSendError(NOT_SENT, maybe_sent=False)

    def _deliver(self, email: Email, deadline: float) -> None:
        """One attempt: raises _Transient when another may follow, EmailSendError when not."""
        utf8 = not (email.to.isascii() and self._from.isascii())
        data_sent = False
        client = None
        try:
            client = self._connect(deadline)
            if self._security == "starttls":
                _budget(client, deadline)
                client.starttls(context=self._tls)
            if self._user:
                _budget(client, deadline)
                client.login(self._user, self._password)
            _budget(client, deadline)
            _expect(client.mail(parseaddr(self._from)[1], ["SMTPUTF8"] if utf8 else []), 250)
            _budget(client, deadline)
            _expect(client.rcpt(email.to), 250, 251)
            message = self._compose(email).as_bytes(policy=policy.SMTPUTF8 if utf8 else policy.SMTP)
            _budget(client, deadline)
            data_sent = True
            _expect(client.data(message), 250)
            with contextlib.suppress(OSError, smtplib.SMTPException):
                client.quit()
        except _NotConnected as exc:
            raise _Transient(f"no connection: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500 and not data_sent:
                raise _Transient(f"answered {exc.smtp_code}") from None
            level = logging.ERROR if exc.smtp_code in LOGIN_REFUSED else logging.WARNING
            log.log(level, "smtp: refused with %d%s; not retrying", exc.smtp_code, " after DATA" if data_sent else "")
            raise EmailSendError(NOT_SENT, maybe_sent=False) from None
        except (OSError, smtplib.SMTPException) as exc:
            log.error("smtp: %s%s; not retrying", type(exc).__name__, " after DATA" if data_sent else "")
            raise EmailSendError(MAYBE_SENT if data_sent else NOT_SENT, maybe_sent=data_sent) from None
        finally:
            if client is not None:
                client.close()

    def _connect(self, deadline: float) -> smtplib.SMTP:
        left = _left(deadline)
        client = _Tls(timeout=left, context=self._tls) if self._security == "tls" else _Plain(timeout=left)
        client.connect_timeout_s = min(self._connect_timeout_s, left)
        client._host = self._host  # type: ignore[attr-defined]  # the TLS server name; smtplib takes it from its constructor only
        code, reply = client.connect(self._host, self._port)
        if code != 220:
            client.close()
            raise smtplib.SMTPConnectError(code, reply)
        return client

    def _compose(self, email: Email) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=parseaddr(self._from)[1].rpartition("@")[2] or "localhost")
        message.set_content(email.body)
        return message


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the total timeout has passed")
    return left


def _budget(client: smtplib.SMTP, deadline: float) -> None:
    """The next step may take the time left until the deadline."""
    assert client.sock is not None  # connected
    client.sock.settimeout(_left(deadline))


def _expect(reply: tuple[int, bytes], *codes: int) -> None:
    if reply[0] not in codes:
        raise smtplib.SMTPResponseException(*reply)
