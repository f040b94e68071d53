#!/bin/sh
# The SMTP client against Python's aiosmtpd: per-recipient replies, the
# message as the server stores it (CRLF, dots), SIZE and 8BITMIME,
# STARTTLS (opportunistic, required), SMTPS, certificate verification
# with and without the test CA, and AUTH PLAIN, LOGIN and CRAM-MD5
# checked by the server.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"

PY=/usr/bin/python3
$PY -c 'import aiosmtpd' 2>/dev/null || mm_skip "needs python3-aiosmtpd"
TOOL="$MM_TOP_BUILDDIR/tests/unit/smtp-send-tool"
mm_setup

sh "$MM_TOP_SRCDIR/tests/lib/make-test-ca.sh" "$T/ca" >/dev/null 2>&1
case $? in
0) ;;
77) mm_skip "needs certtool" ;;
*) mm_fail "make-test-ca.sh failed" ;;
esac

cat >"$T/server.py" <<'EOF'
import asyncio, base64, hmac, os, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, outdir, mode, size, certdir = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
USER, SECRET = b"user", b"secret word"

class Handler:
    n = 0
    async def handle_RCPT(self, server, session, envelope, address, options):
        local = address.split("@")[0]
        if local == "temp":
            return "450 4.2.1 mailbox busy"
        if local == "perm":
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 ok"
    async def handle_DATA(self, server, session, envelope):
        Handler.n += 1
        with open(os.path.join(outdir, "msg%d" % Handler.n), "wb") as f:
            f.write(envelope.original_content)
        with open(os.path.join(outdir, "env%d" % Handler.n), "w") as f:
            f.write("from=%s to=%s tls=%s auth=%s opts=%s\n" % (
                envelope.mail_from, ",".join(envelope.rcpt_tos),
                "yes" if session.ssl or server.transport.get_extra_info("ssl_object") else "no",
                session.auth_data.login.decode() if session.authenticated else "-",
                ",".join(envelope.mail_options)))
        return "250 2.0.0 stored"
    # CRAM-MD5 (RFC 2195; "__" stands for "-"), checked here so that the client's answer is verified by
    # code that is not masqmail's
    async def auth_CRAM__MD5(self, server, args):
        challenge = b"<%d.%d@test.example>" % (os.getpid(), int(time.time()))
        answer = await server.challenge_auth(challenge)
        if not isinstance(answer, bytes) or b" " not in answer:
            return AuthResult(success=False, handled=False)
        user, digest = answer.rsplit(b" ", 1)
        good = hmac.new(SECRET, challenge, "md5").hexdigest().encode()
        ok = user == USER and hmac.compare_digest(digest, good)
        return AuthResult(success=ok, handled=False, auth_data=LoginPassword(user, b""))

def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == USER and data.password == SECRET
    return AuthResult(success=ok, handled=False, auth_data=data)

ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(os.path.join(certdir, sys.argv[6] if len(sys.argv) > 6 else "server.pem"),
                    os.path.join(certdir, sys.argv[7] if len(sys.argv) > 7 else "server-key.pem"))
kw = dict(hostname="127.0.0.1", port=port, data_size_limit=size, authenticator=check,
          auth_require_tls=False, server_hostname="mx.test.example")
if mode == "starttls":
    kw.update(tls_context=ctx)
elif mode == "smtps":
    kw.update(ssl_context=ctx)
c = Controller(Handler(), **kw)
c.start()
open(os.path.join(outdir, "ready"), "w").close()
try:
    while True:
        time.sleep(1)
finally:
    c.stop()
EOF

# server MODE SIZE [CERT KEY]: starts aiosmtpd, sets $PORT and $OUT.
server() {
	PORT=$(mm_free_port)
	OUT=$(mktemp -d "$T/out.XXXXXX")
	mm_bg $PY "$T/server.py" "$PORT" "$OUT" "$@" 2>>"$T/server.log"
	SERVER_PID=$MM_LAST_PID
	mm_wait_for "[ -e '$OUT/ready' ]" 20 || mm_fail "aiosmtpd did not start"
}

server_with() { # server_with MODE SIZE CERT KEY
	server "$1" "$2" "$T/ca" "$3" "$4"
}

stop_server() {
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
}

send() {
	"$TOOL" --timeout 10 "$@" >"$T/res" 2>"$T/err"
	echo $? >"$T/rc"
}

count() { grep -c "$1" "$T/res"; }

# a message with the dots and line ends that need care
printf 'Subject: dots\nFrom: a@test.example\n\n.one dot\n..two dots\n.\nmiddle\r\nlast line' >"$T/dots"
printf 'Subject: dots\r\nFrom: a@test.example\r\n\r\n.one dot\r\n..two dots\r\n.\r\nmiddle\r\nlast line\r\n' >"$T/dots.crlf"
printf 'Subject: 8bit\n\ncaf\303\251\n' >"$T/8bit"

# 1. per-recipient replies, the message byte for byte, 8BITMIME
server plain 100000 "$T/ca"
send --rcpt ok@x.example --rcpt temp@x.example --rcpt perm@x.example 127.0.0.1 "$PORT" "$T/dots" "$T/8bit"
assert_eq "$(cat "$T/rc")" 0 "plain: exit status"
assert_eq "$(grep '^1 ' "$T/res" | cut -d' ' -f2-4)" "ok@x.example delivered 250
temp@x.example deferred 450
perm@x.example failed 550" "plain: 250, 4xx and 5xx per recipient"
if cmp -s "$OUT/msg1" "$T/dots.crlf"; then ok=same; else ok=different; od -c "$OUT/msg1" | head -20; fi
assert_eq "$ok" same "plain: the server stored the message byte for byte (CRLF, dots)"
assert_contains "$(cat "$OUT/env1")" "from=sender@test.example to=ok@x.example tls=no" "plain: envelope"
assert_contains "$(cat "$OUT/env1")" "SIZE=" "plain: SIZE announced"
assert_not_contains "$(cat "$OUT/env1")" "BODY=8BITMIME" "plain: 7-bit message without BODY="
assert_contains "$(cat "$OUT/env2")" "BODY=8BITMIME" "plain: 8-bit message with BODY=8BITMIME"
stop_server

# 2. the server's SIZE is respected: nothing sent, failed with 5.3.4
server plain 60 "$T/ca"
send --rcpt ok@x.example 127.0.0.1 "$PORT" "$T/dots"
assert_contains "$(cat "$T/res")" "failed 552 552 5.3.4" "SIZE: too large fails permanently"
assert_eq "$(ls "$OUT" | grep -c msg)" 0 "SIZE: nothing was sent"
stop_server

# 3. STARTTLS with verification against the test CA (name: localhost)
server starttls 100000 "$T/ca"
send --tls required --ca "$T/ca/ca.pem" --rcpt ok@x.example localhost "$PORT" "$T/dots"
assert_eq "$(cat "$T/rc")" 0 "STARTTLS required with the CA: exit status"
assert_contains "$(head -1 "$T/res")" "tls=TLS" "STARTTLS: the session is encrypted"
assert_contains "$(cat "$OUT/env1")" "tls=yes" "STARTTLS: the server saw TLS"
send --tls opportunistic --ca "$T/ca/ca.pem" --rcpt ok@x.example localhost "$PORT" "$T/dots"
assert_contains "$(head -1 "$T/res")" "tls=TLS" "STARTTLS opportunistic: used when offered"
# without the CA (system trust store) verification fails: deferred
send --tls required --rcpt ok@x.example localhost "$PORT" "$T/dots"
assert_eq "$(cat "$T/rc")" 75 "STARTTLS without the CA: session refused"
assert_contains "$(cat "$T/err")" "certificate verification failed" "STARTTLS without the CA: says why"
send --tls required --ca "$T/ca/other-ca.pem" --rcpt ok@x.example localhost "$PORT" "$T/dots"
assert_eq "$(cat "$T/rc")" 75 "STARTTLS with another CA: session refused"
# the name must match
send --tls required --ca "$T/ca/ca.pem" --server-name mx.other.example --rcpt ok@x.example localhost "$PORT" "$T/dots"
assert_eq "$(cat "$T/rc")" 75 "STARTTLS with a name the certificate lacks: refused"
send --tls required --no-verify --rcpt ok@x.example localhost "$PORT" "$T/dots"
assert_eq "$(cat "$T/rc")" 0 "STARTTLS without verification: delivered"

# 4. AUTH checked by the server, over STARTTLS
for mech in plain login cram-md5; do
	send --tls required --ca "$T/ca/ca.pem" --auth $mech --login user --secret 'secret word' \
		--rcpt ok@x.example localhost "$PORT" "$T/dots"
	assert_eq "$(cat "$T/rc")" 0 "AUTH $mech: accepted"
	last=$(ls "$OUT" | grep env | sort -V | tail -1)
	assert_contains "$(cat "$OUT/$last")" "auth=user" "AUTH $mech: the server knows the user"
	send --tls required --ca "$T/ca/ca.pem" --auth $mech --login user --secret 'wrong' \
		--rcpt ok@x.example localhost "$PORT" "$T/dots"
	assert_eq "$(cat "$T/rc")" 75 "AUTH $mech with a wrong secret: session refused (deferred)"
	assert_contains "$(cat "$T/err")" "535" "AUTH $mech with a wrong secret: the reply is in the error"
done
stop_server

# 5. TLS required but not offered
server plain 100000 "$T/ca"
send --tls required --ca "$T/ca/ca.pem" --rcpt ok@x.example localhost "$PORT" "$T/dots"
assert_eq "$(cat "$T/rc")" 75 "no STARTTLS offered, TLS required: refused"
assert_contains "$(cat "$T/err")" "does not offer STARTTLS" "no STARTTLS offered: says why"
# AUTH on loopback without TLS is allowed
send --tls off --auth plain --login user --secret 'secret word' --rcpt ok@x.example 127.0.0.1 "$PORT" "$T/dots"
assert_eq "$(cat "$T/rc")" 0 "AUTH PLAIN over loopback without TLS: accepted"
stop_server

# 6. SMTPS (implicit TLS)
server smtps 100000 "$T/ca"
send --tls smtps --ca "$T/ca/ca.pem" --rcpt ok@x.example localhost "$PORT" "$T/dots"
assert_eq "$(cat "$T/rc")" 0 "SMTPS with the CA: delivered"
assert_contains "$(cat "$OUT/env1")" "tls=yes" "SMTPS: the server saw TLS"
send --tls smtps --rcpt ok@x.example localhost "$PORT" "$T/dots"
assert_eq "$(cat "$T/rc")" 75 "SMTPS without the CA: refused"
stop_server

server_with smtps 100000 expired.pem expired-key.pem
send --tls smtps --ca "$T/ca/ca.pem" --rcpt ok@x.example localhost "$PORT" "$T/dots"
assert_eq "$(cat "$T/rc")" 75 "SMTPS with an expired certificate: refused"
assert_contains "$(cat "$T/err")" "certificate verification failed" "expired certificate: says why"
stop_server

mm_pass
