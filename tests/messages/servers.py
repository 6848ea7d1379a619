"""Real local servers for the donor-message tests: an SMTP server (aiosmtpd) and an HTTP SMS receiver,
both on 127.0.0.1 at a free port, started and stopped by the tests."""

from __future__ import annotations

import email
import json
import socket
import threading
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """aiosmtpd on a fixed port; ``messages`` holds each e-mail received (email.message.EmailMessage)."""

    def __init__(self, port: int, *, tls_context=None, login: tuple[str, str] | None = None) -> None:
        self.port = port
        self.messages: list = []
        self.logins: list[str] = []  # who signed in (with STARTTLS and AUTH)
        self._controller = None
        self._tls, self._login = tls_context, login

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001 - aiosmtpd's hook name
                mail = email.message_from_bytes(envelope.content, policy=default_policy)
                outer.messages.append(mail)
                return "250 OK"

        extra = {}
        if self._tls is not None:
            extra = {"tls_context": self._tls, "require_starttls": True}
        if self._login is not None:
            from aiosmtpd.smtp import AuthResult

            def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ARG001
                ok = (auth_data.login.decode(), auth_data.password.decode()) == self._login
                if ok:
                    self.logins.append(auth_data.login.decode())
                return AuthResult(success=ok)

            extra |= {"authenticator": authenticator, "auth_required": True}
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **extra)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class SmsReceiver:
    """An HTTP gateway stand-in: records each JSON POST and its headers; ``status`` is what it answers."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, dict]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if outer.status < 300:
                    outer.received.append((json.loads(body), dict(self.headers)))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
