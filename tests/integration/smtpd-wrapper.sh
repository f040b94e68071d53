#!/bin/sh
# masqmail -C other.conf -bs as the far end of a pipe, as a route's
# `wrapper = "masqmail -C other.conf -bs"` uses it: a script speaks SMTP
# over the pipe (pipelined, as the client does), the message lands in
# the other configuration's spool, and QUIT ends the process with 0.
# The end of input without QUIT leaves nothing half-queued.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
mkdir -p "$T/other/spool" "$T/other/log"
cat >"$T/other.conf" <<EOC
host_name = "other.example"
spool_dir = "$T/other/spool"
log_dir = "$T/other/log"
run_as_user = true
EOC

out=$(/usr/bin/python3 - "$MASQMAIL" "$T/other.conf" <<'PY'
import subprocess, sys
p = subprocess.Popen([sys.argv[1], "-C", sys.argv[2], "-bs"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def reply():
    lines = []
    while True:
        l = p.stdout.readline().decode()
        lines.append(l)
        if len(l) < 4 or l[3] != "-":
            return lines
def code(r):
    return r[-1][:3]
print("greeting", code(reply()))
p.stdin.write(b"EHLO test.example\r\n"); p.stdin.flush()
print("ehlo", code(reply()))
p.stdin.write(b"MAIL FROM:<sender@test.example>\r\nRCPT TO:<user@other.example>\r\n"
              b"RCPT TO:<someone@remote.test>\r\nDATA\r\n"); p.stdin.flush()
print("group", " ".join(code(reply()) for _ in range(4)))
p.stdin.write(b"Subject: through the wrapper\r\n\r\n..dot\r\nbody\r\n.\r\n"); p.stdin.flush()
print("data", reply()[-1].split(" ")[1])
p.stdin.write(b"QUIT\r\n"); p.stdin.flush()
print("quit", code(reply()))
print("exit", p.wait())
PY
)
assert_contains "$out" "greeting 220" "the greeting"
assert_contains "$out" "ehlo 250" "EHLO"
assert_contains "$out" "group 250 250 250 354" "a pipelined group: the local user may relay through -bs"
assert_contains "$out" "data 2.0.0" "the message is accepted"
assert_contains "$out" "quit 221" "QUIT"
assert_contains "$out" "exit 0" "-bs exits with 0"
ids=$(ls "$T/other/spool/input" | sed -n 's/-H$//p')
assert_eq "$(echo "$ids" | wc -w)" 1 "one message in the other spool"
assert_contains "$(cat "$T"/other/spool/input/*-H)" "RT: <someone@remote.test>" "with both recipients"
assert_contains "$(cat "$T"/other/spool/input/*-D)" ".dot" "dot-stuffing undone"

# the input ends in the middle of DATA: nothing is queued
printf 'EHLO x\r\nMAIL FROM:<a@test.example>\r\nRCPT TO:<user@other.example>\r\nDATA\r\nSubject: cut\r\n' |
	"$MASQMAIL" -C "$T/other.conf" -bs >/dev/null
assert_eq "$(ls "$T/other/spool/input" | grep -c -- '-H$')" 1 "a message cut off is not queued"
mm_pass
