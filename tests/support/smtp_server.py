"""A real SMTP server for tete's email tests (aiosmtpd), on 127.0.0.1.

Usage: smtp_server.py OUTDIR USER PASSWORD [plain|starttls|tls CERT KEY]

Requires AUTH (PLAIN or LOGIN) with USER/PASSWORD: in "plain" mode (the default) allowed
without TLS because it only listens on loopback; in "starttls" mode STARTTLS is required
first; in "tls" mode the connection is TLS from the first byte (implicit TLS). Each accepted message is written to OUTDIR as NNNN.json
({"from", "to", "login", "subject", "body" (decoded text part), "html" (decoded HTML
part or null), "content_types" (of every part), "data" (raw)}), atomically (written then renamed). Prints
"READY <port>" once listening, and exits when its stdin closes (the test ended).
"""

import email
import email.policy
import json
import logging
import os
import socket
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# Plain AUTH is on purpose here (loopback only): keep the test output quiet about it.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
# The untrusted-CA tests make handshakes fail on purpose; their tracebacks are noise.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)

outdir, user, password = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
mode = sys.argv[4] if len(sys.argv) > 4 else "plain"
tls = None
if mode != "plain":
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(sys.argv[5], sys.argv[6])


class Handler:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            name = os.path.join(outdir, f"{self.count:04}.json")
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        # A multipart/alternative message (the digest): its text part is the body, its
        # HTML part is kept apart.
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",)) if message.is_multipart() else None
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(
                {
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "login": login,
                    "subject": str(message["subject"]),
                    "body": plain.get_content() if plain is not None else "",
                    "html": html.get_content() if html is not None else None,
                    "content_types": [part.get_content_type() for part in message.walk()],
                    "data": envelope.content.decode("utf-8", "replace"),
                },
                f,
            )
        os.rename(name + ".tmp", name)
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == user
        and auth_data.password == password
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
options = {}
if mode == "starttls":
    options = {"tls_context": tls, "require_starttls": True, "auth_require_tls": True}
elif mode == "tls":
    # aiosmtpd does not count implicit TLS as TLS for AUTH; the connection is TLS anyway.
    options = {"ssl_context": tls, "auth_require_tls": False}
else:
    options = {"auth_require_tls": False}
controller = Controller(
    Handler(),
    hostname="127.0.0.1",
    port=port,
    authenticator=authenticator,
    auth_required=True,
    **options,
)
controller.start()
print(f"READY {port}", flush=True)
# The test holds our stdin: when it ends (or dies), stdin closes and the server stops.
sys.stdin.read()
controller.stop()
