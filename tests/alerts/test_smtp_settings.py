"""CASEWORK_SMTP_URL: host, port, STARTTLS or TLS, and credentials, read once; a bad one is
refused naming the setting, never echoing it (it may hold a password); the credentials reach
the mail server."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import ValidationError

from casework.alerts.mail import SmtpChannel
from casework.settings import Settings, smtp_server

from .conftest import Mailbox, free_port


def test_the_smtp_url_says_host_port_encryption_and_credentials() -> None:
    plain = smtp_server("smtp://127.0.0.1:1025")
    assert (plain.host, plain.port, plain.tls, plain.starttls, plain.username) == (
        "127.0.0.1", 1025, False, False, None)
    starttls = smtp_server("smtp://casework%40council.example:p%40ss@mail.council.example?starttls=true")
    assert (starttls.port, starttls.starttls, starttls.tls) == (587, True, False)
    assert (starttls.username, starttls.password) == ("casework@council.example", "p@ss")
    tls = smtp_server("smtps://u:p@mail.council.example")
    assert (tls.port, tls.tls, tls.starttls) == (465, True, False)
    assert "p@ss" not in repr(starttls)


@pytest.mark.parametrize("url", ["http://user:s3cret@mail.example", "smtp://user:s3cret@:25",
                                 "smtp://user:s3cret@mail.example:99999"])
def test_a_bad_smtp_url_is_refused_naming_the_setting_without_echoing_it(url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(smtp_url=url)  # type: ignore[arg-type]
    assert "smtp_url" in str(refused.value) and "s3cret" not in str(refused.value)
    assert "s3cret" not in repr(Settings(smtp_url="smtp://u:s3cret@mail.example"))  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a loopback test server
def test_the_credentials_in_the_url_log_in_to_the_mail_server() -> None:
    seen: list[tuple[bytes, bytes]] = []

    def authenticate(server, session, envelope, mechanism, data) -> AuthResult:
        assert isinstance(data, LoginPassword)
        seen.append((data.login, data.password))
        return AuthResult(success=data.password == b"right horse")

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(), authenticator=authenticate,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        message = SimpleNamespace(message_id="abc", recipient="amy@council.example", subject="s", body="b")
        url = f"smtp://casework:right%20horse@127.0.0.1:{controller.port}"
        good = Settings(smtp_url=url)  # type: ignore[arg-type]
        SmtpChannel(good).send(message)  # type: ignore[arg-type]
        assert len(box.messages) == 1
    finally:
        controller.stop()
    assert seen[0] == (b"casework", b"right horse")
