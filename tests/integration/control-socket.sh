#!/bin/sh
# The daemon's control socket: STATUS, RUN and QUEUED from a client of
# our own, --status through it, and clients that misbehave (an overlong
# line, garbage, NUL bytes, bad ids, more connections than it serves)
# get an error or are closed while the daemon goes on answering.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\""
SOCK="$T/run/masqmail.sock"
PY=/usr/bin/python3

# ctl REQUEST-BYTES (a Python bytes literal): prints the answer
ctl() {
	"$PY" - "$SOCK" "$1" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(15)
s.connect(sys.argv[1])
try:
    s.sendall(eval(sys.argv[2]))
except OSError:
    pass
data = b""
while True:
    try:
        b = s.recv(4096)
    except OSError:
        break
    if not b:
        break
    data += b
sys.stdout.write(data.decode("utf-8", "replace"))
if data.endswith(b"\n\n"):
    sys.stdout.write("<END>\n")
PYEOF
}

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
DPID=$MM_LAST_PID
mm_wait_for "[ -S '$SOCK' ]" 10 || mm_fail "no control socket"
assert_eq "$(stat -c %a "$SOCK")" "660" "the socket is mode 0660"

out=$(mm --status)
st=$?
assert_status 1 $st "--status with nothing online"
assert_contains "$out" "daemon: running" "--status asks the daemon"
assert_contains "$out" "pid: $DPID" "and names its pid"
assert_contains "$out" "online: none" "nothing is online"
assert_contains "$out" "queue: messages=0 recipients=0" "the queue is empty"

out=$(ctl 'b"STATUS\n"')
assert_contains "$out" "result: ok
daemon: running" "STATUS answers ok first"
assert_contains "$out" "queue: messages=0 recipients=0

<END>" "the answer ends with an empty line"

mm -odq "$MM_USER@test.example" <<EOM
Subject: waiting

for the run
EOM
assert_status 0 $? "a message is queued"
assert_contains "$(mm --status)" "queue: messages=1 recipients=1" "--status counts it"
out=$(ctl 'b"RUN\n"')
assert_contains "$out" "result: ok" "RUN is taken"
mm_wait_for "grep -q 'for the run' '$T/mail/$MM_USER' 2>/dev/null" 10
assert_status 0 $? "RUN started a queue run that delivered the message"
out=$(ctl 'b"RUN nosuchprovider\n"')
assert_contains "$out" "result: error" "RUN through an unknown connection is refused"

# QUEUED takes ids only
for bad in 'b"QUEUED ../../etc/passwd\n"' 'b"QUEUED\n"' 'b"QUEUED a b\n"' 'b"QUEUED |/bin/sh\n"'; do
	out=$(ctl "$bad")
	assert_contains "$out" "error: not a message id" "QUEUED refuses $bad"
done
out=$(ctl 'b"FROB\n"')
assert_contains "$out" "error: unknown command" "an unknown command is an error"
out=$(ctl 'b"STATUS\x00x\n"')
assert_contains "$out" "result: error" "a NUL byte is an error"
out=$(ctl 'b"A" * 100000')
assert_contains "$out" "error: line too long" "an overlong line is cut off"
out=$(ctl 'bytes(range(256)) * 4')
assert_contains "$out" "result: error" "binary garbage is an error"

# more idle connections than the daemon serves, then a request
"$PY" - "$SOCK" >"$T/flood.out" 2>&1 <<'PYEOF' &
import socket, sys, time
conns = []
for i in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sys.argv[1])
        conns.append(s)
    except OSError:
        pass
time.sleep(3)
PYEOF
FLOOD=$!
sleep 1
out=$(ctl 'b"STATUS\n"')
wait $FLOOD
log=$(cat "$T/log/masqmail.log")
assert_contains "$log" "connections are open" "connections over the limit are refused and logged"
out=$(ctl 'b"STATUS\n"')
assert_contains "$out" "daemon: running" "after the flood the daemon answers"
kill -0 "$DPID"
assert_status 0 $? "the daemon is alive"
assert_contains "$log" "sent a line longer than" "the overlong line is logged with its peer"

kill -TERM "$DPID"
wait "$DPID"
assert_status 0 $? "the daemon stops"
[ -e "$SOCK" ]
assert_status 1 $? "and removes its socket"
out=$(mm --status)
assert_status 1 $? "--status without a daemon, nothing online"
assert_contains "$out" "daemon: not running" "--status says there is no daemon"
mm_pass
