#!/bin/sh
# -bD runs the daemon in the foreground: it listens on listen_addresses,
# writes its pid file, logs, and stops cleanly on SIGTERM (exit 0, pid
# file gone). A port already in use is a clear start-up error (the
# second daemon here has a pid_dir of its own; daemon-detach.sh tests
# two daemons on one pid file).
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\""

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
pid=$MM_LAST_PID
# the file is made (and locked) before the pid is written into it
mm_wait_for "[ -s '$T/run/masqmail.pid' ]" 10 || mm_fail "no pid file"
assert_eq "$(cat "$T/run/masqmail.pid")" "$pid" "the pid file holds the daemon's pid"
banner=$(/usr/bin/python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print(s.recv(512).decode().strip())
PY
)
assert_contains "$banner" "test.example" "a client gets an answer naming the host"
assert_contains "$(cat "$T/log/masqmail.log")" "daemon started" "the start is logged"

# a second daemon on another pid_dir but the same port fails at once,
# with a reason
mkdir "$T/run2"
sed "s|^pid_dir = .*|pid_dir = \"$T/run2\"|" "$MM_CONF" >"$T/other.conf"
err=$("$MASQMAIL" -C "$T/other.conf" -bD 2>&1)
status=$?
[ $status -ne 0 ] || mm_fail "a second daemon on a busy port started"
assert_contains "$err" "127.0.0.1" "the error names the address"
assert_eq "$(cat "$T/run/masqmail.pid")" "$pid" "the first daemon's pid file is untouched"

kill -TERM "$pid"
wait "$pid"
assert_status 0 $? "SIGTERM stops the daemon"
[ ! -e "$T/run/masqmail.pid" ]
assert_status 0 $? "the pid file is removed"
mm_pass
