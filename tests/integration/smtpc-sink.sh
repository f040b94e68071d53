#!/bin/sh
# The SMTP client against Postfix's smtp-sink: many messages over one
# connection with and without PIPELINING, and the failure classes at
# each stage (4xx, 5xx, 421, the connection dropped without a reply).
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"

SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$SINK" ] || mm_skip "needs Postfix's smtp-sink"
TOOL="$MM_TOP_BUILDDIR/tests/unit/smtp-send-tool"
mm_setup

printf 'Subject: sink\nFrom: a@test.example\n\n.leading dot\nbody\n' >"$T/msg"

# Starts smtp-sink with the options given; sets $PORT.
sink() {
	PORT=$(mm_free_port)
	: >"$T/sink.out"
	mm_bg "$SINK" -c -u "$(id -un)" "$@" "127.0.0.1:$PORT" 100 >"$T/sink.out" 2>&1
	SINK_PID=$MM_LAST_PID
	mm_wait_for "/usr/bin/python3 -c 'import socket,sys; socket.create_connection((\"127.0.0.1\", $PORT)).close()' 2>/dev/null" 10 ||
		mm_fail "smtp-sink did not start"
	# that probe was a session of its own
	mm_wait_for "tr '\r' '\n' <'$T/sink.out' | grep -q 'sess=1 '" 5
}

# The last counters smtp-sink printed ("sess=N quit=N mesg=N").
counters() {
	tr '\r' '\n' <"$T/sink.out" | grep 'sess=' | tail -1
}

stop_sink() {
	kill "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
}

send() {
	"$TOOL" --timeout 10 "$@" >"$T/res" 2>"$T/err"
	echo $? >"$T/rc"
}

count() { grep -c "$1" "$T/res"; }

# 1. 100 messages to two recipients over one pipelined connection
sink
send --rcpt a@x.example --rcpt b@y.example --repeat 100 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 0 "100 messages: exit status"
assert_eq "$(count ' delivered 250 ')" 200 "100 messages: every recipient delivered"
mm_wait_for "counters | grep -q 'mesg=100'" 5
assert_eq "$(counters)" "sess=2 quit=1 mesg=100" "100 messages: one connection (and the probe), one QUIT"
stop_sink

# 1b. the same in one call: each message's commands behind the end of
# the one before; smtp-sink counts every message once
sink
send --batch --rcpt a@x.example --rcpt b@y.example --repeat 100 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 0 "100 messages pipelined behind each other: exit status"
assert_eq "$(count ' delivered 250 ')" 200 "pipelined behind each other: every recipient delivered"
mm_wait_for "counters | grep -q 'mesg=100'" 5
assert_eq "$(counters)" "sess=2 quit=1 mesg=100" "pipelined behind each other: 100 messages, one connection"
stop_sink

# 2. the same without PIPELINING
sink -p
send --rcpt a@x.example --rcpt b@y.example --repeat 20 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(count ' delivered 250 ')" 40 "no pipelining: every recipient delivered"
mm_wait_for "counters | grep -q 'mesg=20'" 5
assert_eq "$(counters)" "sess=2 quit=1 mesg=20" "no pipelining: one connection"
stop_sink

# 3. the client turned PIPELINING off itself
sink
send --no-pipelining --rcpt a@x.example --repeat 5 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(count ' delivered 250 ')" 5 "do_pipelining off: delivered"
stop_sink

# 4. recipients refused: 4xx defers, 5xx fails, nothing is sent
sink -r RCPT
send --rcpt a@x.example --rcpt b@y.example --repeat 2 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 0 "RCPT 4xx: the session goes on"
assert_eq "$(count ' deferred 4')" 4 "RCPT 4xx: deferred"
mm_wait_for "counters | grep -q 'sess=2 '" 5
assert_contains "$(counters)" "mesg=0" "RCPT 4xx: no message taken"
stop_sink

sink -f RCPT
send --rcpt a@x.example 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(count ' failed 5')" 1 "RCPT 5xx: failed"
stop_sink

# 5. the data refused after the dot
sink -r .
send --rcpt a@x.example --repeat 2 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(count ' deferred 4')" 2 "final 4xx: deferred, the next message still goes"
stop_sink

sink -f .
send --rcpt a@x.example 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(count ' failed 5')" 1 "final 5xx: failed"
stop_sink

# 6. the connection dropped after the dot without a reply: deferred
sink -q .
send --rcpt a@x.example --rcpt b@y.example --repeat 2 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 3 "dropped after the dot: the session is gone"
assert_eq "$(count ' deferred 451 ')" 2 "dropped after the dot: both recipients deferred"
assert_eq "$(wc -l <"$T/res")" 3 "dropped after the dot: the second message was not tried"
stop_sink

# 6b. the same with the messages behind each other: the first one's
# recipients and every message after it deferred
sink -q .
send --batch --rcpt a@x.example --rcpt b@y.example --repeat 3 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 3 "dropped after the dot, pipelined: the session is gone"
assert_eq "$(count ' deferred 451 ')" 6 "dropped after the dot, pipelined: every recipient deferred"
assert_eq "$(count ' delivered ')" 0 "dropped after the dot, pipelined: nothing delivered"
stop_sink

# the final reply refused (4xx) for each of several pipelined messages
sink -r .
send --batch --rcpt a@x.example --repeat 3 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 0 "final 4xx, pipelined: the session goes on"
assert_eq "$(count ' deferred 4')" 3 "final 4xx, pipelined: each message deferred"
stop_sink

# 7. 421 at MAIL: deferred, session gone
sink -Q MAIL
send --rcpt a@x.example 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 3 "421 at MAIL: the session is gone"
assert_eq "$(count ' deferred 4')" 1 "421 at MAIL: deferred"
stop_sink

# 8. a 5xx greeting and a 5xx EHLO/HELO: the relay's problem, deferred
sink -f CONNECT
send --rcpt a@x.example 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 75 "5xx greeting: temporary failure of the session"
assert_contains "$(cat "$T/err")" "greeting: 5" "5xx greeting: the reply is in the error"
stop_sink

sink -f EHLO,HELO
send --rcpt a@x.example 127.0.0.1 "$PORT" "$T/msg"
assert_eq "$(cat "$T/rc")" 75 "5xx EHLO and HELO: temporary failure"
assert_contains "$(cat "$T/err")" "HELO refused: 5" "EHLO refused, HELO tried"
stop_sink

# 9. EHLO refused, HELO taken: plain SMTP
sink -f EHLO
send --rcpt a@x.example 127.0.0.1 "$PORT" "$T/msg"
assert_contains "$(head -1 "$T/res")" " smtp " "EHLO refused: HELO session"
assert_eq "$(count ' delivered 250 ')" 1 "EHLO refused: delivered over HELO"
stop_sink

mm_pass
