#!/bin/sh
# smtp_greeting_delay: a client that talks before the greeting gets
# 554 5.5.0 and is disconnected; a patient one is served.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\"" "smtp_greeting_delay = 1s"
mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' 2>/dev/null" 10 || mm_fail "the daemon did not start"
out=$(/usr/bin/python3 - "$port" <<'PY'
import socket, sys, smtplib
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"EHLO impatient.test\r\n")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print("early", data.decode()[:9])
p = smtplib.SMTP("127.0.0.1", port, timeout=10)
print("patient", p.ehlo("patient.test")[0])
p.quit()
PY
)
assert_contains "$out" "early 554 5.5.0" "talking before the greeting gets 554 5.5.0 and the end"
assert_contains "$out" "patient 250" "a client that waits is served"
assert_contains "$(cat "$T/log/masqmail.log")" "talked before the greeting" "it is logged"
mm_pass
