#!/bin/sh
# -bd detaches once the daemon runs: the command returns 0 at once, the
# pid file names a daemon that is a session leader with its standard
# descriptors on /dev/null, and mail sent to it is delivered. A second
# -bd on the same configuration fails with a message that says why,
# leaving the first alone; so does one whose listeners cannot be bound.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_cmd swaks
mm_setup
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\""
PIDFILE="$T/run/masqmail.pid"

start=$(date +%s)
err=$(mm -bd 2>&1)
assert_status 0 $? "-bd returns 0"
assert_eq "$err" "" "and says nothing"
[ $(( $(date +%s) - start )) -le 3 ]
assert_status 0 $? "-bd returns at once"
[ -s "$PIDFILE" ] || mm_fail "no pid file when -bd returned"
pid=$(cat "$PIDFILE")
MM_PIDS="$MM_PIDS $pid"
kill -0 "$pid"
assert_status 0 $? "the daemon of the pid file runs"
assert_eq "$(ps -o sid= -p "$pid" | tr -d ' ')" "$pid" "it leads a session of its own"
assert_eq "$(readlink "/proc/$pid/fd/1")" "/dev/null" "its standard output is /dev/null"

swaks --server 127.0.0.1 --port "$port" --from a@elsewhere.test --to "$MM_USER@test.example" \
	--body "to the detached daemon" >/dev/null 2>&1
assert_status 0 $? "swaks sent a message"
mm_wait_for "grep -q 'to the detached daemon' '$T/mail/$MM_USER' 2>/dev/null" 10
assert_status 0 $? "the detached daemon delivered it"

err=$(mm -bd 2>&1)
status=$?
[ $status -ne 0 ]
assert_status 0 $? "a second -bd on the same configuration fails"
assert_contains "$err" "another masqmail daemon runs (pid $pid" "and says which daemon runs"
assert_eq "$(cat "$PIDFILE")" "$pid" "the pid file still names the first"
kill -0 "$pid"
assert_status 0 $? "the first daemon still runs"

# a busy port: the caller learns it, not only the log
mkdir "$T/run2"
sed "s|^pid_dir = .*|pid_dir = \"$T/run2\"|" "$MM_CONF" >"$T/other.conf"
err=$("$MASQMAIL" -C "$T/other.conf" -bd 2>&1)
status=$?
[ $status -ne 0 ]
assert_status 0 $? "-bd on a busy port fails"
assert_contains "$err" "cannot listen on 127.0.0.1 port $port" "and says why"
assert_eq "$(ls "$T/run2")" "" "it left no pid file"

kill -TERM "$pid"
mm_wait_for "! kill -0 $pid 2>/dev/null" 10
assert_status 0 $? "SIGTERM stops the daemon"
[ ! -e "$PIDFILE" ]
assert_status 0 $? "the pid file is removed"
mm_pass
