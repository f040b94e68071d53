#!/bin/sh
# A daemon that dies without cleaning up (SIGKILL, or GLib stopping it
# when memory runs out) takes its SMTP child with it: the child finishes
# its open session, answering it fully, and ends, so that nobody serves
# on the port with no daemon behind it, and a new daemon can listen
# there at once.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
port=$(mm_free_port)
mm_conf "do_queue = true" "listen_addresses = \"127.0.0.1:$port\""

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
daemon=$MM_LAST_PID
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' 2>/dev/null" 10 || mm_fail "the daemon did not start"
child=$(sed -n 's/.*smtp: serving pid=\([0-9]*\) .*/\1/p' "$T/log/masqmail.log" | tail -n 1)
[ -n "$child" ] || mm_fail "no SMTP child in the log"
MM_PIDS="$MM_PIDS $child"

# a session is open when the daemon dies: it is served to its end
/usr/bin/python3 - "$port" "$daemon" >"$T/client.out" 2>&1 <<'EOPY'
import os, signal, smtplib, sys, time
port, daemon = int(sys.argv[1]), int(sys.argv[2])
c = smtplib.SMTP("127.0.0.1", port, timeout=30)
c.ehlo("client.test")
os.kill(daemon, signal.SIGKILL)
time.sleep(0.5)
c.mail("sender@elsewhere.test")
c.rcpt("user@test.example")
code, text = c.data("Subject: late\r\n\r\nend of the body\r\n")
print(code, text.decode().split("id=")[-1])
c.quit()
EOPY
out=$(cat "$T/client.out")
assert_contains "$out" "250 " "the open session is served to its end"
id=${out#250 }
assert_eq "$([ -f "$T/spool/input/$id-H" ] && [ -f "$T/spool/input/$id-D" ] && echo yes)" yes \
	"its message is in the spool"

mm_wait_for "! kill -0 $child 2>/dev/null" 10
assert_status 0 $? "the SMTP child ends when its daemon is gone"
assert_contains "$(cat "$T/log/masqmail.log")" "smtp: stopped" "it says so"

rm -f "$T/run/masqmail.pid"
mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "[ \$(grep -c 'smtp: serving' '$T/log/masqmail.log') -ge 2 ]" 10
assert_status 0 $? "a new daemon serves on the same port"
out=$(/usr/bin/python3 -c '
import smtplib, sys
c = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
print(c.sendmail("sender@elsewhere.test", ["user@test.example"], "Subject: again\r\n\r\nend of the body\r\n"))
' "$port" 2>&1)
assert_eq "$out" "{}" "and accepts mail"
mm_pass
