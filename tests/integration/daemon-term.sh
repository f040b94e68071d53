#!/bin/sh
# SIGTERM while a client is in the middle of DATA: the daemon accepts
# nothing new, lets the transaction finish (250, the message is on
# disk), ends the session, then exits 0 and removes its pid file.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\""
LOG="$T/log/masqmail.log"

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
pid=$MM_LAST_PID
mm_wait_for "grep -q 'smtp: serving' '$LOG' 2>/dev/null" 10 || mm_fail "the daemon did not start"

out=$(/usr/bin/python3 - "$port" "$pid" "$LOG" "$MM_USER" <<'PY'
import os, signal, socket, sys, time
port, pid, log, user = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline().decode()
        if line[3:4] != "-":
            return line.strip()
def cmd(text):
    s.sendall(text.encode() + b"\r\n")
    return reply()
reply()
cmd("EHLO client.test")
cmd("MAIL FROM:<a@elsewhere.test>")
cmd("RCPT TO:<%s@test.example>" % user)
print("data", cmd("DATA")[:3])
s.sendall(b"Subject: interrupted\r\n\r\nfirst half\r\n")
os.kill(pid, signal.SIGTERM)
for _ in range(100):
    if "smtp: stopping" in open(log).read():
        break
    time.sleep(0.1)
time.sleep(0.3)
s.sendall(b"second half\r\n.\r\n")
print("end", reply()[:3])
s.sendall(b"NOOP\r\n")
print("then", reply()[:3])
PY
)
assert_status 0 $? "the client ran"
assert_contains "$out" "data 354" "DATA was started before the signal"
assert_contains "$out" "end 250" "the message is accepted after the signal"
assert_contains "$out" "then 421" "then the session is closed with 421"
wait "$pid"
assert_status 0 $? "the daemon exits with 0"
[ ! -e "$T/run/masqmail.pid" ]
assert_status 0 $? "the pid file is removed"
assert_eq "$(mm_queued_ids | wc -l)" "1" "the message is in the queue"
assert_contains "$(cat "$T"/spool/input/*-D 2>/dev/null)" "second half" "in one piece"
assert_contains "$(cat "$LOG")" "daemon stopped" "the stop is logged"
mm_pass
