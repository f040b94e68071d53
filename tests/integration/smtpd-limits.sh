#!/bin/sh
# The server's limits over real connections, each with its reply code:
# the command timeout (421 4.4.2), sessions per client (421 4.7.0) and
# in total (421 4.3.2), early talkers (554 5.5.0), an overlong command
# line (500 5.5.2), smuggled end-of-data (554 5.5.2, nothing queued).
# The daemon keeps serving throughout, and starts its SMTP child again
# when it is killed.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\"" \
	"smtp_command_timeout = 2s" "smtp_max_sessions_per_client = 2" "smtp_max_sessions = 3"
mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' 2>/dev/null" 10 || mm_fail "the daemon did not start"

py() {
	/usr/bin/python3 - "$port" "$@"
}

out=$(py <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def conn(source="127.0.0.1"):
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s
def read(s):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode()
def last(text):
    l = [x for x in text.split("\r\n") if x][-1]
    return l[:9]

# per client: the third session from 127.0.0.1 is refused
a, b = conn(), conn()
read(a); read(b)
c = conn()
print("per-client", last(read(c)))
c.close()
# in total: three sessions (two from .1, one from .2), the fourth is refused
d = conn("127.0.0.2")
read(d)
e = conn("127.0.0.3")
print("total", last(read(e)))
e.close()
for s in (b, d):
    s.sendall(b"QUIT\r\n"); read(s); s.close()

# the command timeout
t0 = time.time()
print("timeout", last(read(a)), round(time.time() - t0) >= 1)
a.close()

# an overlong command line, then a line just at the limit
s = conn()
read(s)
s.sendall(b"NOOP " + b"x" * 510 + b"\r\n")
print("overlong", last(read(s)))
s.sendall(b"NOOP " + b"x" * 505 + b"\r\n")
print("at-limit", last(read(s)))
# smuggling: LF.LF before a second transaction inside the text
s.sendall(b"EHLO client.test\r\n"); read(s)
s.sendall(b"MAIL FROM:<a@elsewhere.test>\r\nRCPT TO:<user@test.example>\r\nDATA\r\n")
r = ""
while "354" not in r:
    r += read(s)
s.sendall(b"Subject: x\r\n\r\nfirst\n.\nMAIL FROM:<evil@elsewhere.test>\r\nRCPT TO:<user@test.example>\r\n"
          b"DATA\r\nsmuggled\r\n.\r\n")
print("smuggling", last(read(s)))
s.sendall(b"QUIT\r\n"); read(s); s.close()
PY
)
assert_contains "$out" "per-client 421 4.7.0" "a third session from one client gets 421 4.7.0"
assert_contains "$out" "total 421 4.3.2" "a session over smtp_max_sessions gets 421 4.3.2"
assert_contains "$out" "timeout 421 4.4.2 True" "an idle client gets 421 4.4.2 after smtp_command_timeout"
assert_contains "$out" "overlong 500 5.5.2" "a command line over 512 octets gets 500 5.5.2"
assert_contains "$out" "at-limit 250 2.0.0" "a command line of 512 octets is taken"
assert_contains "$out" "smuggling 554 5.5.2" "LF.LF inside the text gets the message refused"
assert_eq "$(mm_queued_ids | wc -l)" 0 "nothing smuggled into the queue"

# the SMTP child dies: the daemon starts it again
child=$(sed -n 's/.*smtp: serving pid=\([0-9]*\).*/\1/p' "$T/log/masqmail.log" | tail -1)
kill -KILL "$child"
mm_wait_for "[ \$(grep -c 'smtp: serving' '$T/log/masqmail.log') -ge 2 ]" 10
assert_status 0 $? "a new SMTP child is started"
out=$(py <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
print(s.noop()[0])
s.quit()
PY
)
assert_eq "$out" 250 "the new child serves"
mm_pass
