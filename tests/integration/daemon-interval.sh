#!/bin/sh
# -qINTERVAL without -bd is a queue daemon: it detaches (the caller
# gets 0 at once and the pid file names the daemon), runs the queue at
# once and then every INTERVAL, each run in a child, and never two runs
# at a time: with deliveries slower than the interval, runs are
# skipped, the log shows each start followed by its finish, and every
# message is delivered exactly once. With -bD the daemon also listens.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
mkdir "$T/out"
cat >"$T/mda" <<EOS
#!/bin/sh
sleep 2
cat >>"$T/out/delivered"
EOS
chmod 755 "$T/mda"
mm_conf 'mbox_default = mda' "mda = \"$T/mda\""

for i in 1 2; do
	printf 'Subject: %s\n\nmessage %s\n' $i $i | mm -odq "$MM_USER@localhost"
done
assert_eq "$(mm_queued_ids | wc -l)" "2" "two messages queued"

mm -q1s
assert_status 0 $? "-q1s returns at once with 0"
mm_wait_for "[ -s '$T/run/masqmail.pid' ]" 5 || mm_fail "no pid file"
pid=$(cat "$T/run/masqmail.pid")
MM_PIDS="$MM_PIDS $pid"
kill -0 "$pid"
assert_status 0 $? "the daemon named by the pid file runs"

mm_wait_for "[ \$(cat '$T/out/delivered' 2>/dev/null | grep -c '^message') -ge 2 ]" 15
assert_status 0 $? "the queued messages are delivered by the daemon's runs"
# a message queued while the daemon runs goes with a later run
printf 'Subject: 3\n\nmessage 3\n' | mm -odq "$MM_USER@localhost"
mm_wait_for "[ \$(cat '$T/out/delivered' 2>/dev/null | grep -c '^message') -ge 3 ]" 15
assert_status 0 $? "a message queued later goes with a later run"
mm_wait_for "[ \$(grep -c 'queue run finished' '$T/log/masqmail.log') -ge 3 ]" 10

kill -TERM "$pid"
mm_wait_for "! kill -0 $pid 2>/dev/null" 20
assert_status 0 $? "SIGTERM stops the queue daemon"
assert_eq "$(ls "$T/run")" "" "the pid file is removed"

log=$(cat "$T/log/masqmail.log")
for i in 1 2 3; do
	assert_eq "$(grep -c "^message $i\$" "$T/out/delivered")" "1" "message $i delivered exactly once"
done
assert_contains "$log" "queue run skipped: the last one" "runs that would overlap are skipped"
assert_contains "$log" "queue run child pid=" "the daemon starts runs in children"
assert_contains "$log" "queue run finished: 2 completed" "the numbers of the first run are logged"
order=$(grep -o 'queue run \(started\|finished\):' "$T/log/masqmail.log" | awk '
	/started/ { if (running) bad = 1; running = 1 }
	/finished/ { if (!running) bad = 1; running = 0 }
	END { print bad ? "overlap" : "one at a time" }')
assert_eq "$order" "one at a time" "each run finishes before the next starts"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"

# with -bD the same daemon also listens
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\""
printf 'Subject: 4\n\nmessage 4\n' | mm -odq "$MM_USER@localhost"
: >"$T/log/masqmail.log"
mm_bg "$MASQMAIL" -C "$MM_CONF" -bD -q1s
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log'" 10
assert_status 0 $? "-bD -q1s listens"
mm_wait_for "grep -q '^message 4' '$T/out/delivered'" 15
assert_status 0 $? "and runs the queue"
banner=$(/usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print(s.recv(512).decode().strip())' "$port")
assert_contains "$banner" "220 " "a client is greeted"
kill -TERM "$MM_LAST_PID"
wait "$MM_LAST_PID"
assert_status 0 $? "SIGTERM stops it"
mm_pass
