# SPDX-License-Identifier: GPL-2.0-or-later
#
# A relay for the route-tls and route-auth scenarios, on Python's
# aiosmtpd: plain SMTP, STARTTLS or SMTPS (implicit TLS), with AUTH
# PLAIN, LOGIN and CRAM-MD5 checked here against one user and secret,
# so that what masqmail sends is judged by code that is not its own.
#
# It writes into --dir:
#   ready            when it listens
#   msg.NNNNN        each message: MAIL FROM, RCPT TO lines, an empty
#                    line, the data as received
#   sessions         one line per message: "tls=yes|no auth=USER|-
#                    cert=CN|-" (the client certificate's common name)
#   auth             one line per AUTH attempt: "mech=NAME user=USER
#                    ok=yes|no"
#
# Usage: route-tls-relay.py --port N --dir DIR [--host ADDRESS (127.0.0.1)]
#        [--mode plain|starttls|smtps]
#        [--cert PEM --key PEM] [--client-ca PEM] [--user U --secret S]

import argparse, asyncio, hmac, os, ssl, time
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--mode", choices=("plain", "starttls", "smtps"), default="plain")
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--client-ca")
ap.add_argument("--user", default="user")
ap.add_argument("--secret", default="secret word")
args = ap.parse_args()
USER, SECRET = args.user.encode(), args.secret.encode()
count = [0]


def note(name, line):
    with open(os.path.join(args.dir, name), "a") as f:
        f.write(line + "\n")


def ssl_object(server):
    return server.transport.get_extra_info("ssl_object") if server.transport else None


def client_cn(server):
    obj = ssl_object(server)
    cert = obj.getpeercert() if obj is not None else None
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return "-"


def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == USER and data.password == SECRET
    login = data.login.decode(errors="replace") if isinstance(data, LoginPassword) else "?"
    note("auth", "mech=%s user=%s ok=%s" % (mechanism, login, "yes" if ok else "no"))
    return AuthResult(success=ok, handled=False, auth_data=data)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        count[0] += 1
        name = os.path.join(args.dir, "msg.%05d" % count[0])
        with open(name + ".tmp", "wb") as f:
            f.write(("MAIL FROM:<%s>\n" % envelope.mail_from).encode())
            for r in envelope.rcpt_tos:
                f.write(("RCPT TO:<%s>\n" % r).encode())
            f.write(b"\n")
            f.write(envelope.original_content)
        tls = session.ssl is not None or ssl_object(server) is not None
        auth = session.auth_data.login.decode() if session.authenticated else "-"
        note("sessions", "tls=%s auth=%s cert=%s" % ("yes" if tls else "no", auth, client_cn(server)))
        os.rename(name + ".tmp", name)
        return "250 2.0.0 queued as %d" % count[0]

    # CRAM-MD5 (RFC 2195); aiosmtpd spells "-" in a mechanism as "__"
    async def auth_CRAM__MD5(self, server, args_):
        challenge = b"<%d.%d@relay.test>" % (os.getpid(), time.time_ns())
        answer = await server.challenge_auth(challenge)
        if not isinstance(answer, bytes) or b" " not in answer:
            note("auth", "mech=CRAM-MD5 user=? ok=no")
            return AuthResult(success=False, handled=False)
        user, digest = answer.rsplit(b" ", 1)
        good = hmac.new(SECRET, challenge, "md5").hexdigest().encode()
        ok = user == USER and hmac.compare_digest(digest, good)
        note("auth", "mech=CRAM-MD5 user=%s ok=%s" % (user.decode(errors="replace"), "yes" if ok else "no"))
        return AuthResult(success=ok, handled=False, auth_data=LoginPassword(user, b""))


async def main():
    ctx = None
    if args.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL

    def factory():
        return SMTP(Handler(), hostname="relay.test", authenticator=check, auth_require_tls=False,
                    tls_context=ctx if args.mode == "starttls" else None)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, args.host, args.port,
                                      ssl=ctx if args.mode == "smtps" else None)
    open(os.path.join(args.dir, "ready"), "w").close()
    await server.serve_forever()


asyncio.run(main())
