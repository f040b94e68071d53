#!/bin/sh
# The sendmail program (src/cli/sendmail.c): it queues -odq messages
# itself (the files, exit 0, the log line; -t), hands a message to a
# running daemon, and runs masqmail for everything else. A copy of it
# in a directory without masqmail shows what it does alone: whatever
# it would hand to masqmail fails there with "cannot run".
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
BOX="$T/mail/$MM_USER"
LOG="$T/log/masqmail.log"
mkdir "$T/alone"
cp "$SENDMAIL" "$T/alone/sendmail"
alone() { "$T/alone/sendmail" -C "$MM_CONF" "$@"; }
sm() { "$SENDMAIL" -C "$MM_CONF" "$@"; }

# -odq: the whole submission without masqmail
printf 'Subject: queued\n\nfirst line\n' | alone -odq -F 'Test User' someone@remote.example
assert_status 0 $? "sendmail -odq alone"
id=$(mm_queued_ids)
assert_eq "$(printf '%s\n' "$id" | grep -c .)" "1" "one message queued"
h="$T/spool/input/$id-H"
assert_eq "$(head -n 1 "$h")" "$id" "the -H file starts with the id"
assert_eq "$(head -n 1 "$T/spool/input/$id-D")" "$id" "the -D file starts with the id"
assert_contains "$(cat "$h")" "MF:<$MM_USER@test.example>" "return path of the caller"
assert_contains "$(cat "$h")" "RT: <someone@remote.example>" "pending recipient"
assert_contains "$(cat "$h")" "HD:From: \"Test User\" <$MM_USER@test.example>" "From: added with -F"
assert_contains "$(cat "$LOG")" "$id <= <$MM_USER@test.example> with local size=" "the log line"
rm -f "$T"/spool/input/*

# -t: the recipients from the header
printf 'To: one@remote.example\nCc: Two <two@remote.example>\nSubject: t\n\nbody\n' | alone -odq -t
assert_status 0 $? "sendmail -odq -t alone"
h="$T/spool/input/$(mm_queued_ids)-H"
assert_contains "$(cat "$h")" "RT: <one@remote.example>" "To: recipient"
assert_contains "$(cat "$h")" "RT: <two@remote.example>" "Cc: recipient"
rm -f "$T"/spool/input/*

# errors of the message itself are the program's own, with masqmail's status
printf 'Subject: x\n\nx\n' | alone -odq -t 2>"$T/err"
assert_status 64 $? "no recipients at all"
assert_contains "$(cat "$T/err")" "message not accepted" "said why"

# do_queue: the same without -odq
cp "$MM_CONF" "$T/queue.conf"
printf 'do_queue = true\n' >>"$T/queue.conf"
printf 'Subject: do_queue\n\nx\n' | "$T/alone/sendmail" -C "$T/queue.conf" someone@remote.example
assert_status 0 $? "do_queue alone"
assert_eq "$(mm_queued_ids | wc -l | tr -d ' ')" "1" "queued"
rm -f "$T"/spool/input/*

# without a daemon, delivery is masqmail's: the copy cannot, before it
# reads a byte (the input is left to the next reader)
out=$( (printf 'Subject: alone\n\nx\n' | { alone "$MM_USER@test.example" 2>&1; echo "status=$?"; cat; }) )
assert_contains "$out" "cannot run $T/alone/masqmail" "delivery needs masqmail"
assert_contains "$out" "status=71" "EX_OSERR"
assert_contains "$out" "Subject: alone" "no input was read"
assert_eq "$(mm_queued_ids)" "" "nothing queued"
printf 'Subject: delivered\n\nby masqmail\n' | sm "$MM_USER@test.example"
assert_status 0 $? "sendmail without a daemon"
assert_contains "$(cat "$BOX")" "by masqmail" "masqmail delivered it"
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"

# a running daemon: the copy hands the message over alone
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\""
mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
DPID=$MM_LAST_PID
mm_wait_for "[ -S '$T/run/masqmail.sock' ]" 10 || mm_fail "no control socket"
printf 'Subject: daemon\n\nhanded over\n' | alone "$MM_USER@test.example"
assert_status 0 $? "sendmail with a daemon, alone"
mm_wait_for "grep -q 'handed over$' '$BOX' 2>/dev/null" 10
assert_status 0 $? "the daemon delivered it"
uid=$(sed -n 's/.* \([^ ]*\) <= <.*with local.*/\1/p' "$LOG" | tail -1)
assert_contains "$(cat "$LOG")" "$uid: handed over to the daemon" "the program handed it over"
assert_contains "$(cat "$LOG")" "$uid: handed over by pid=" "the daemon took it"
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 5
kill -TERM "$DPID"
wait "$DPID"

# a socket without a daemon (a crash): the message is queued, the
# daemon does not take it, and masqmail -qI delivers that one message
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/run/masqmail.sock"
printf 'Subject: other\n\nstays queued\n' | sm -odq "$MM_USER@test.example"
other=$(mm_queued_ids)
printf 'Subject: stale\n\nstale socket\n' | sm "$MM_USER@test.example"
assert_status 0 $? "sendmail with a stale socket"
assert_contains "$(cat "$BOX")" "stale socket" "delivered at once"
assert_not_contains "$(cat "$BOX")" "stays queued" "and only that message"
assert_eq "$(mm_queued_ids)" "$other" "the other one is still queued"
assert_contains "$(cat "$LOG")" "queue run started: 1 message(s)" "a queue run over that one"
# the same in the background with -odb
printf 'Subject: stale odb\n\nin the background\n' | sm -odb "$MM_USER@test.example"
assert_status 0 $? "sendmail -odb with a stale socket"
mm_wait_for "grep -q 'in the background' '$BOX' 2>/dev/null" 10
assert_status 0 $? "delivered in the background"
# the copy cannot run masqmail: the message stays queued, accepted
printf 'Subject: stale alone\n\nwaits\n' | alone "$MM_USER@test.example" 2>/dev/null
assert_status 0 $? "accepted without masqmail"
assert_eq "$(mm_queued_ids | wc -l | tr -d ' ')" "2" "and left in the queue"
mm_pass
