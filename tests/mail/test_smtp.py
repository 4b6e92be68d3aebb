"""The SMTP provider against a real SMTP server on loopback (aiosmtpd, started per test on a free
127.0.0.1 port): delivery over plain, STARTTLS and TLS connections with a login; a refused login;
a server that never answers; and the never-send-twice rules: a refused connection and a transient
4xx before DATA are retried, nothing after DATA ever is."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from mfa_app.mail import Email, EmailOutbox, EmailSendError, SmtpSender, make_email_sender
from mfa_app.mail.smtp import MAYBE_SENT, NOT_SENT
from mfa_app.settings import Settings
from throwaway_servers import free_port

USER = "mailer"
PASSWORD = "smtp-" + "p4ss" * 6
CONNECT_TIMEOUT_S = 0.5
TOTAL_TIMEOUT_S = 1.5
EMAIL = Email(to="ada@example.com", subject="Reset your password", body="Open https://example.com/x to go on.")


class Handler:
    """Records what the server accepted; `rcpt_replies` and `data_replies` queue one answer
    (an SMTP reply line, or "hang" to never answer) for each coming RCPT or DATA."""

    def __init__(self) -> None:
        self.messages: list = []
        self.rcpt_commands = 0
        self.data_commands = 0
        self.rcpt_replies: list[str] = []
        self.data_replies: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_commands += 1
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        reply = self.data_replies.pop(0) if self.data_replies else ""
        if reply == "hang":
            await asyncio.sleep(10 * TOTAL_TIMEOUT_S)
        if reply:
            return reply
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    # handled=False: aiosmtpd answers a failure with its own 535.
    right = (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=right, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (key, cert)."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.fixture
def server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate[1], certificate[0])
    return context


@pytest.fixture
def client_tls(certificate) -> ssl.SSLContext:
    """What the sender checks the test server's certificate against (instead of the system CAs)."""
    return ssl.create_default_context(cafile=str(certificate[1]))


def serve(handler: Handler, **options) -> Iterator[int]:
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator, auth_require_tls=False, **options
    )
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def plain_port(handler: Handler) -> Iterator[int]:
    yield from serve(handler)


def settings(port: int, **overrides) -> Settings:
    values = {
        "email_provider": "smtp",
        "email_from": "mfa_app <no-reply@mfa.example.com>",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_user": USER,
        "smtp_password": PASSWORD,
        "smtp_connect_timeout_s": CONNECT_TIMEOUT_S,
        "smtp_total_timeout_s": TOTAL_TIMEOUT_S,
    }
    return Settings(**{**values, **overrides})


def refused(sender: SmtpSender, email: Email = EMAIL) -> EmailSendError:
    with pytest.raises(EmailSendError) as caught:
        sender.send(email)
    return caught.value


@pytest.fixture(autouse=True)
def _all_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


def attempts(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.name == "mfa_app.mail" and r.getMessage().startswith("smtp: attempt") for r in caplog.records)


def test_delivers_one_message_with_login(handler: Handler, plain_port: int):
    SmtpSender(settings(plain_port)).send(EMAIL)

    [message] = handler.messages
    assert message["To"] == "ada@example.com"
    assert message["From"] == "mfa_app <no-reply@mfa.example.com>"
    assert message["Subject"] == "Reset your password"
    assert message["Message-ID"].endswith("@mfa.example.com>")
    assert message["Date"]
    assert message.get_content().strip() == EMAIL.body


def test_delivers_to_an_address_that_is_not_ascii(handler: Handler, plain_port: int):
    SmtpSender(settings(plain_port)).send(Email(to="jörg@example.com", subject="Grüße", body="Schön."))
    [message] = handler.messages
    assert (message["To"], message["Subject"], message.get_content().strip()) == ("jörg@example.com", "Grüße", "Schön.")


def test_delivers_over_starttls(handler: Handler, server_tls, client_tls):
    for port in serve(handler, tls_context=server_tls, require_starttls=True):
        SmtpSender(settings(port, smtp_security="starttls"), tls_context=client_tls).send(EMAIL)
    assert len(handler.messages) == 1


def test_delivers_over_tls_from_the_first_byte(handler: Handler, server_tls, client_tls):
    for port in serve(handler, ssl_context=server_tls):
        SmtpSender(settings(port, smtp_security="tls"), tls_context=client_tls).send(EMAIL)
    assert len(handler.messages) == 1


def test_refuses_a_server_whose_certificate_it_cannot_check(handler: Handler, server_tls):
    for port in serve(handler, tls_context=server_tls, require_starttls=True):
        error = refused(SmtpSender(settings(port, smtp_security="starttls")))  # the system's CAs
    assert (error.message, error.maybe_sent) == (NOT_SENT, False)
    assert handler.messages == []


def test_starttls_is_never_skipped_when_the_server_does_not_offer_it(handler: Handler, plain_port: int):
    error = refused(SmtpSender(settings(plain_port, smtp_security="starttls")))
    assert (error.message, error.maybe_sent) == (NOT_SENT, False)
    assert handler.rcpt_commands == 0


def test_a_refused_login_is_not_retried_and_never_shows_the_password(
    handler: Handler, plain_port: int, caplog: pytest.LogCaptureFixture
):
    error = refused(SmtpSender(settings(plain_port, smtp_password="wrong-" + PASSWORD)))

    assert (error.message, error.maybe_sent) == (NOT_SENT, False)
    assert handler.rcpt_commands == 0 and attempts(caplog) == 0
    assert any(r.levelno == logging.ERROR and "535" in r.getMessage() for r in caplog.records)
    assert PASSWORD not in caplog.text and PASSWORD not in str(error) and PASSWORD not in repr(SmtpSender(settings(1)))


def test_a_server_that_never_answers_fails_within_the_total_timeout_without_a_retry():
    connections = []
    with socket.create_server(("127.0.0.1", 0)) as silent:
        threading.Thread(target=lambda: connections.extend(silent.accept() for _ in range(3)), daemon=True).start()
        started = time.monotonic()
        error = refused(SmtpSender(settings(silent.getsockname()[1])))
        elapsed = time.monotonic() - started
    assert (error.message, error.maybe_sent) == (NOT_SENT, False)
    assert TOTAL_TIMEOUT_S - 0.1 < elapsed < TOTAL_TIMEOUT_S + 1.0
    assert len(connections) == 1


def test_a_refused_connection_is_retried_then_given_up(caplog: pytest.LogCaptureFixture):
    error = refused(SmtpSender(settings(free_port(), smtp_total_timeout_s=10.0)))
    assert (error.message, error.maybe_sent) == (NOT_SENT, False)
    assert attempts(caplog) == 3


def test_a_transient_refusal_before_data_is_retried_and_sends_once(
    handler: Handler, plain_port: int, caplog: pytest.LogCaptureFixture
):
    handler.rcpt_replies = ["451 4.3.0 Try again later"]
    SmtpSender(settings(plain_port, smtp_total_timeout_s=10.0)).send(EMAIL)
    assert (handler.rcpt_commands, handler.data_commands, len(handler.messages)) == (2, 1, 1)
    assert attempts(caplog) == 1


def test_a_permanent_refusal_before_data_is_not_retried(handler: Handler, plain_port: int):
    handler.rcpt_replies = ["550 5.1.1 No such user"]
    error = refused(SmtpSender(settings(plain_port)))
    assert (error.message, error.maybe_sent) == (NOT_SENT, False)
    assert (handler.rcpt_commands, handler.data_commands) == (1, 0)


def test_a_transient_refusal_after_data_is_never_retried(handler: Handler, plain_port: int):
    handler.data_replies = ["451 4.3.0 Try again later"]
    error = refused(SmtpSender(settings(plain_port, smtp_total_timeout_s=10.0)))
    assert (error.message, error.maybe_sent) == (NOT_SENT, False)
    assert handler.data_commands == 1


def test_no_answer_after_data_may_have_sent_and_is_never_retried(handler: Handler, plain_port: int):
    handler.data_replies = ["hang"]
    error = refused(SmtpSender(settings(plain_port)))
    assert (error.message, error.maybe_sent) == (MAYBE_SENT, True)
    assert handler.data_commands == 1


def test_the_outbox_appends_one_json_line_per_message(tmp_path: Path):
    outbox = make_email_sender(Settings(email_outbox=tmp_path / "mail" / "outbox.jsonl"))
    assert isinstance(outbox, EmailOutbox)
    outbox.send(EMAIL)
    outbox.send(Email(to="bob@example.com", subject="Hi", body="Two"))
    first, second = outbox.messages()
    assert (first["to"], first["subject"], first["body"]) == (EMAIL.to, EMAIL.subject, EMAIL.body)
    assert set(first) == {"to", "subject", "body", "sent_at"} and second["to"] == "bob@example.com"


def test_the_smtp_provider_needs_a_host():
    with pytest.raises(ValueError, match="MFA_SMTP_HOST"):
        make_email_sender(Settings(email_provider="smtp", smtp_host=""))
    assert isinstance(make_email_sender(settings(25)), SmtpSender)
