"""A real SMTP server for nudge-delivery's tests and benchmark (aiosmtpd).

Writes each message it accepts, exactly as received, to <dir>/<n>.eml
(atomically: written to a temporary name, then renamed) before answering
250, and prints "PORT <port>" once it listens on 127.0.0.1. It stops when
its standard input closes, so it never outlives the test that started it.

    python sink.py DIR [--reject REGEX] [--tempfail REGEX] [--user U --password P]

--reject answers 550 and --tempfail 451 to recipients matching REGEX;
--user and --password require AUTH (PLAIN or LOGIN, allowed without TLS here).
--cert and --key (PEM files) offer STARTTLS and require it before MAIL;
with --implicit-tls the connection is TLS from the first byte instead.
"""

import argparse
import asyncio
import itertools
import logging
import os
import re
import socket
import ssl
import sys
import warnings

# Quiet the warning about AUTH without TLS: that is what a test server wants.
warnings.filterwarnings("ignore")
logging.getLogger("mail.log").setLevel(logging.ERROR)

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, out, reject, tempfail):
        self.out = out
        self.reject = re.compile(reject) if reject else None
        self.tempfail = re.compile(tempfail) if tempfail else None
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return "550 5.1.1 mailbox unavailable"
        if self.tempfail and self.tempfail.search(address):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        tmp = os.path.join(self.out, f".{n:08}.tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.out, f"{n:08}.eml"))
        return f"250 OK queued as {n}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--reject")
    parser.add_argument("--tempfail")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--implicit-tls", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Sink(args.dir, args.reject, args.tempfail)

    options = {"hostname": "sink.nudge.test", "data_size_limit": 10 * 1024 * 1024}
    if args.user:
        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user \
                and auth_data.password.decode() == args.password
            # handled=False: aiosmtpd answers 235 or 535 itself.
            return AuthResult(success=ok, handled=False)
        options.update(authenticator=authenticate, auth_required=True, auth_require_tls=False)

    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if not args.implicit_tls:
            options.update(tls_context=context, require_starttls=True)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = loop.run_until_complete(loop.create_server(lambda: SMTP(handler, **options), sock=sock, ssl=context if args.implicit_tls else None))

    def stdin_closed():
        if not sys.stdin.buffer.read1(4096):
            loop.stop()

    loop.add_reader(sys.stdin.fileno(), stdin_closed)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
