#!/bin/sh
# An idle daemon is one process: the SMTP child ends after
# MM_DAEMON_SMTP_IDLE_SECS (30) without a session, and the parent,
# which never accepts, starts a new child when the next connection is
# pending; that connection is served and its message queued.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\"" "do_queue = true"
LOG="$T/log/masqmail.log"

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
pid=$MM_LAST_PID
mm_wait_for "grep -q 'smtp: serving' '$LOG' 2>/dev/null" 10 || mm_fail "the daemon did not start"
children() { cat /proc/"$pid"/task/*/children 2>/dev/null | wc -w; }
assert_eq "$(children)" "1" "the SMTP child runs after the start"

mm_wait_for "grep -q 'ended idle' '$LOG'" 45
assert_status 0 $? "the idle SMTP child ends"
assert_contains "$(cat "$LOG")" "smtp: idle for 30s, ending" "after 30 seconds without a session"
mm_wait_for "[ \$(children) -eq 0 ]" 5
assert_status 0 $? "the daemon is one process"

out=$(/usr/bin/python3 - "$port" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
print(s.sendmail("a@elsewhere.test", ["rcpt@remote.example"], b"Subject: idle\r\n\r\nafter the child ended\r\n"))
s.quit()
PY
)
assert_status 0 $? "a connection after the child ended is served"
assert_eq "$out" "{}" "its message is accepted"
assert_eq "$(mm_queued_ids | wc -l)" "1" "and queued"
assert_eq "$(grep -c 'smtp: serving' "$LOG")" "2" "by a new SMTP child"
assert_eq "$(grep -c 'died' "$LOG")" "0" "the idle end is no failure"
kill -TERM "$pid"
wait "$pid"
assert_status 0 $? "SIGTERM stops the daemon"
mm_pass
