#!/bin/sh
# The sendmail hand-over when the daemon is dead but its socket is
# still there: the submission lets go of the message's lock, tries the
# socket, and then delivers itself. A queue run that takes the message
# in between (a restarted daemon's) delivers it; the submission then
# finds it gone (or locked) and does nothing more, because every
# delivery locks the -D and reads the -H again under the lock. Here the
# submission's connect() is held up by strace for a few seconds while
# `masqmail -q` runs: the message must arrive exactly once.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
BOX="$T/mail/$MM_USER"
IN="$T/spool/input"

command -v strace >/dev/null 2>&1 || mm_skip "strace is not installed"
strace -qq -o /dev/null true 2>/dev/null || mm_skip "strace cannot trace here"
# a socket nobody listens on: what a killed daemon leaves
/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
	"$T/run/masqmail.sock" || mm_fail "making a stale socket"

printf 'Subject: window\n\nbody\n' >"$T/msg"
# (LeakSanitizer cannot work under ptrace: off for the traced process)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -qq -f -o /dev/null -e trace=connect -e inject=connect:delay_enter=3000000 \
	"$MASQMAIL" -C "$MM_CONF" "$MM_USER@localhost" <"$T/msg" >"$T/sub.out" 2>&1 &
sub=$!
MM_PIDS="$MM_PIDS $sub"

# -q until it has delivered the message while the submission waits
mm_wait_for 'test -n "$(mm_queued_ids)"' 20 || mm_fail "the message was not queued"
mm_wait_for 'mm -q; test -s "$BOX" || ! kill -0 $sub 2>/dev/null' 20
alive=no
kill -0 $sub 2>/dev/null && alive=yes
assert_eq "$alive" "yes" "a queue run delivered while the submission was still at the socket"
wait $sub
assert_status 0 $? "the submission exits 0"
assert_eq "$(grep -c '^Subject: window' "$BOX")" "1" "delivered exactly once"
assert_eq "$(ls "$IN")" "" "nothing left in the spool"
assert_not_contains "$(cat "$T/sub.out")" "cannot" "the submission saw nothing wrong"
mm_pass
