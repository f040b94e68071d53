#!/bin/sh
# The SMTP client with BDAT (RFC 3030 CHUNKING) against a relay that
# offers it (smtpc-bdat-relay.py): many messages behind each other over
# one connection, each stored once and byte for byte; a refused
# recipient in the middle; the connection dropped after a message.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || mm_skip "needs /usr/bin/python3"
TOOL="$MM_TOP_BUILDDIR/tests/unit/smtp-send-tool"
mm_setup

printf 'Subject: chunks\nFrom: a@test.example\n\n.leading dot\nbody\n' >"$T/msg"
printf 'Subject: chunks\r\nFrom: a@test.example\r\n\r\n.leading dot\r\nbody\r\n' >"$T/msg.crlf"

# Starts the relay with the options given; sets $PORT and $OUT.
relay() {
	PORT=$(mm_free_port)
	OUT=$(mktemp -d "$T/out.XXXXXX")
	mm_bg "$PY" "$MM_TOP_SRCDIR/tests/integration/smtpc-bdat-relay.py" "$PORT" "$OUT" "$@"
	RELAY_PID=$MM_LAST_PID
	mm_wait_for "$PY -c 'import socket; socket.create_connection((\"127.0.0.1\", $PORT)).close()' 2>/dev/null" 10 ||
		mm_fail "the relay did not start"
}

stop_relay() {
	kill "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
}

send() {
	"$TOOL" --timeout 10 "$@" >"$T/res" 2>"$T/err"
	echo $? >"$T/rc"
}

count() { grep -c "$1" "$T/res"; }

# 1. 50 messages in one call: BDAT, no DATA, each stored once and intact
relay
send --batch --debug 4 --rcpt a@x.example --rcpt b@y.example --repeat 50 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 0 "BDAT: exit status"
assert_eq "$(count ' delivered 250 ')" 100 "BDAT: every recipient delivered"
assert_eq "$(ls "$OUT" | wc -l)" 50 "BDAT: 50 messages stored"
same=yes
for f in "$OUT"/msg*; do cmp -s "$f" "$T/msg.crlf" || same="no: $f"; done
assert_eq "$same" yes "BDAT: every message byte for byte (CRLF, no dot-stuffing)"
assert_contains "$(cat "$T/err")" "BDAT $(wc -c <"$T/msg.crlf") LAST" "BDAT: the size is that of the CRLF text"
stop_relay

# 2. without CHUNKING on our side: DATA, which this relay refuses
relay
send --batch --no-chunking --rcpt a@x.example --repeat 2 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(count ' failed 503 ')" 2 "chunking off: DATA used (and refused by this relay)"
stop_relay

# 3. a refused recipient: the message still goes to the other, the
# next messages are not disturbed
relay
send --batch --rcpt a@x.example --rcpt refused@y.example --repeat 5 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 0 "refused recipient: exit status"
assert_eq "$(count 'a@x.example delivered 250 ')" 5 "refused recipient: the other delivered"
assert_eq "$(count 'refused@y.example failed 550 ')" 5 "refused recipient: failed"
assert_eq "$(ls "$OUT" | wc -l)" 5 "refused recipient: 5 messages stored"
stop_relay

# 4. only refused recipients: BDAT refused, nothing stored, the session goes on
relay
send --batch --rcpt refused@y.example --repeat 3 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 0 "all refused: the session goes on"
assert_eq "$(count ' failed 550 ')" 3 "all refused: each message failed by its RCPT reply"
assert_eq "$(ls "$OUT" | wc -l)" 0 "all refused: nothing stored"
stop_relay

# 5. the connection dropped after the 3rd message's last chunk: the
# first two delivered, the third and the rest deferred
relay --close-after 3
send --batch --rcpt a@x.example --repeat 6 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 3 "dropped: the session is gone"
assert_eq "$(count ' delivered 250 ')" 2 "dropped: the two messages before delivered"
assert_eq "$(count ' deferred 451 ')" 4 "dropped: the third and every later one deferred"
assert_eq "$(sed -n 4p "$T/res" | cut -d' ' -f1,3)" "3 deferred" "dropped: the third is the first deferred"
stop_relay

mm_pass
