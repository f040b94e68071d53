#!/bin/sh
# The sendmail command line hands its message to a running daemon:
# it commits the message, sends QUEUED UID on the control socket and
# leaves the delivery to the daemon. Without a daemon (or with -odq)
# it works alone as before.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
BOX="$T/mail/$MM_USER"
LOG="$T/log/masqmail.log"
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\""

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
DPID=$MM_LAST_PID
mm_wait_for "[ -S '$T/run/masqmail.sock' ]" 10 || mm_fail "no control socket"

mm "$MM_USER@test.example" <<EOM
Subject: through the daemon

handed over
EOM
assert_status 0 $? "sendmail with a daemon"
mm_wait_for "grep -q 'handed over' '$BOX' 2>/dev/null" 10
assert_status 0 $? "the message is delivered"
uid=$(sed -n 's/.* \([^ ]*\) <= <.*with local.*/\1/p' "$LOG" | tail -1)
log=$(cat "$LOG")
assert_contains "$log" "$uid: handed over to the daemon" "the command line handed it over"
assert_contains "$log" "$uid: handed over by pid=" "the daemon took it and names the peer"
# the delivery was made by a child of the daemon, not by the command line
dline=$(grep "$uid => $MM_USER@test.example" "$LOG")
assert_contains "$dline" "masqmail[" "the delivery is logged"
cpid=$(grep 'delivery child pid=' "$LOG" | tail -1 | sed 's/.*delivery child pid=\([0-9]*\).*/\1/')
assert_contains "$dline" "masqmail[$cpid]" "by the daemon's delivery child"
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 5
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"

# -odq: queued, not handed over
mm -odq "$MM_USER@test.example" <<EOM
Subject: kept

queue only
EOM
assert_status 0 $? "sendmail -odq"
sleep 1
assert_eq "$(mm_queued_ids | wc -l | tr -d ' ')" "1" "-odq keeps the message queued"
assert_not_contains "$(cat "$BOX")" "queue only" "and nobody delivers it"
mm -q

kill -TERM "$DPID"
wait "$DPID"
assert_status 0 $? "the daemon stops"
n_before=$(grep -c 'handed over to the daemon' "$LOG")
mm "$MM_USER@test.example" <<EOM
Subject: alone

no daemon
EOM
assert_status 0 $? "sendmail without a daemon"
assert_contains "$(cat "$BOX")" "no daemon" "the command line delivered it itself"
assert_eq "$(grep -c 'handed over to the daemon' "$LOG")" "$n_before" "nothing was handed over"
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"

# a socket without a daemon behind it (a crash): the command line delivers
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/run/masqmail.sock"
mm "$MM_USER@test.example" <<EOM
Subject: stale

stale socket
EOM
assert_status 0 $? "sendmail with a stale socket"
assert_contains "$(cat "$BOX")" "stale socket" "the command line delivered it itself"
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"
mm_pass
