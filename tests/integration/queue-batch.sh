#!/bin/sh
# A queue run hands its messages to the relay in batches: one
# connection, each message's commands in the same write as the end of
# the one before (DATA) or each message whole (BDAT), and the results
# marked message by message. Failures in the middle of a batch (a 4xx
# or 5xx to a recipient, to a message's text, a 421, the connection
# dropped) mark exactly the recipients and messages they concern; what
# the relay did not confirm stays queued and goes out with the next
# run, and nothing is marked or sent twice that the relay confirmed.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup

# Starts the relay (options passed on); sets $PORT and $OUT.
relay() {
	PORT=$(mm_free_port)
	OUT=$(mktemp -d "$T/out.XXXXXX")
	mm_bg "$ROUTE_PY" "$MM_TOP_SRCDIR/tests/integration/queue-batch-relay.py" "$PORT" "$OUT" "$@"
	RELAY_PID=$MM_LAST_PID
	mm_wait_for "[ -e '$OUT/ready' ]" 20 || mm_fail "the relay did not start"
	route_file smart "mail_host = \"127.0.0.1:$PORT\"
tls = off"
	mm_conf "permanent_routes = \"$T/smart.route\""
}

stop_relay() {
	kill "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
}

# queue SEQ FAIL RCPT...: one message, X-Seq SEQ, X-Fail FAIL
queue() {
	_seq=$1 _fail=$2
	shift 2
	printf 'Subject: batch %s\nX-Seq: %s\nX-Fail: %s\n\nmessage %s\n' "$_seq" "$_seq" "$_fail" "$_seq" |
		mm_submit_in_order route_queue "$MM_USER@test.example" "$@"
}

# the X-Seq of the messages the relay stored, sorted
stored() { cat "$OUT"/msg.* 2>/dev/null | sed -n 's/^X-Seq: //p' | tr -d '\r' | sort -n | tr '\n' ' '; }
header_of() { grep -l "^HD:X-Seq: $1\$" "$T"/spool/input/*-H 2>/dev/null | head -n 1; }
connections() { wc -l <"$OUT/connections" | tr -d ' '; }

# A batch of six whose third message the relay takes and then hangs;
# -q is killed once the first three are marked. $1 names the case.
killed_run() {
	relay $opt
	for n in 1 2 3 4 5 6; do
		f=none
		[ $n = 3 ] && f=hang
		queue "$n" $f "k$n@remote.example"
	done
	"$MASQMAIL" -C "$MM_CONF" -q >/dev/null 2>&1 &
	run_pid=$!
	mm_wait_for "[ \$(mm_queued_ids | wc -l) -le 3 ]" 30
	assert_eq "$(stored)" "1 2 3 " "$1: the relay took 1 to 3, and hangs"
	assert_eq "$(mm_queued_ids | wc -l | tr -d ' ')" "3" "$1: 1 to 3 marked while the session goes on"
	kill -9 $run_pid
	wait $run_pid 2>/dev/null
	for n in 4 5 6; do
		h=$(cat "$(header_of $n)")
		assert_contains "$h" "RT: <k$n@remote.example>" "$1: $n still pending after the kill"
	done
	route_run
	assert_eq "$(stored)" "1 2 3 4 5 6 " "$1: the next run sends 4 to 6, nothing twice"
	assert_eq "$(mm_queued_ids)" "" "$1: empty"
	stop_relay
}

for mode in data bdat; do
	opt=""
	[ $mode = bdat ] && opt=--chunking

	# 1. 30 messages: one connection, pipelined, all delivered once
	relay $opt
	for n in $(seq 1 30); do
		queue "$n" none "r$n@remote.example"
	done
	route_run
	assert_status 0 $? "$mode: -q"
	assert_eq "$(stored)" "$(seq 1 30 | tr '\n' ' ')" "$mode: every message stored once"
	assert_eq "$(connections)" "1" "$mode: one connection"
	assert_eq "$(mm_queued_ids)" "" "$mode: the queue is empty"
	# MAIL commands that came in the same read as the end of a message:
	# with DATA the next message's behind the previous one's dot, with
	# BDAT a message whole with its LAST chunk (two at a time at most)
	piped=$(sed -n 's/^read end=1 mail=//p' "$OUT/reads" | awk '{ s += $1 } END { print s + 0 }')
	assert_eq "$([ "$piped" -ge 25 ] && echo yes || echo "no: $piped")" "yes" \
		"$mode: messages pipelined behind each other"
	assert_eq "$(grep -c ' completed$' "$T/run.out")" "30" "$mode: 30 completed"
	stop_relay

	# 2. failures in the middle of one batch, on the first connection
	relay $opt
	queue 1 none ok1@remote.example
	queue 2 none ok2@remote.example t4-two@remote.example
	queue 3 none ok3@remote.example t5-three@remote.example
	queue 4 body4 ok4@remote.example
	queue 5 body5 ok5@remote.example
	queue 6 none ok6@remote.example
	queue 7 421 ok7@remote.example
	queue 8 none ok8@remote.example
	route_run
	assert_status 0 $? "$mode: -q with failures"
	out=$(cat "$T/run.out")
	assert_eq "$(stored)" "1 2 3 6 " "$mode: the relay took 1, 2, 3 and 6"
	assert_contains "$out" "=> ok1@remote.example route=smart" "$mode: 1 delivered"
	assert_contains "$out" "=> ok2@remote.example route=smart" "$mode: 2's good recipient delivered"
	assert_contains "$out" "== t4-two@remote.example deferred: 451" "$mode: 2's busy recipient deferred"
	assert_contains "$out" "!! t5-three@remote.example failed: 550" "$mode: 3's unknown recipient failed"
	assert_contains "$out" "== ok4@remote.example deferred: 451" "$mode: 4 deferred by its text's 4xx"
	assert_contains "$out" "!! ok5@remote.example failed: 554" "$mode: 5 failed by its text's 5xx"
	assert_contains "$out" "== ok7@remote.example deferred: 421" "$mode: 7 deferred by the 421"
	assert_contains "$out" "== ok8@remote.example deferred: " "$mode: 8 deferred: the session was gone"
	assert_not_contains "$out" "=> ok4@" "$mode: 4 not marked"
	assert_not_contains "$out" "=> ok7@" "$mode: 7 not marked"
	assert_not_contains "$out" "=> ok8@" "$mode: 8 not marked"
	h2=$(cat "$(header_of 2)")
	assert_contains "$h2" "RT:X<ok2@remote.example>" "$mode: 2's delivered recipient marked"
	assert_contains "$h2" "RT: <t4-two@remote.example>" "$mode: 2's deferred one pending"
	assert_eq "$(header_of 1)$(header_of 3)$(header_of 5)$(header_of 6)" "" \
		"$mode: 1, 3, 5 and 6 done and removed"
	for n in 4 7 8; do
		h=$(cat "$(header_of $n)")
		assert_contains "$h" "RT: <ok$n@remote.example>" "$mode: $n still pending"
		assert_not_contains "$h" "RT:X" "$mode: nothing of $n marked"
	done
	assert_eq "$(ls "$T"/mail/ 2>/dev/null | wc -l | tr -d ' ')" "1" "$mode: the failure notices went to the sender"

	route_run
	assert_status 0 $? "$mode: second -q"
	assert_eq "$(stored)" "1 2 2 3 4 6 7 8 " "$mode: 2's rest, 4, 7 and 8 now, nothing twice"
	assert_eq "$(grep -c '^RCPT' "$(grep -l '^X-Seq: 2' "$OUT"/msg.* | tail -n 1)")" "1" \
		"$mode: only 2's deferred recipient the second time"
	assert_eq "$(mm_queued_ids)" "" "$mode: the queue is empty"
	stop_relay

	# 3. the connection dropped after a message's end, before its reply
	relay $opt
	for n in 1 2 3 4 5; do
		f=none
		[ $n = 3 ] && f=drop
		queue "$n" $f "d$n@remote.example"
	done
	route_run
	assert_status 0 $? "$mode: -q with a drop"
	out=$(cat "$T/run.out")
	assert_eq "$(stored)" "1 2 " "$mode: the relay took 1 and 2"
	for n in 3 4 5; do
		assert_contains "$out" "== d$n@remote.example deferred: " "$mode: $n deferred"
		assert_not_contains "$out" "=> d$n@remote.example" "$mode: $n not marked"
	done
	assert_eq "$(mm_queued_ids | wc -l | tr -d ' ')" "3" "$mode: 3, 4 and 5 still queued"
	route_run
	assert_eq "$(stored)" "1 2 3 4 5 " "$mode: the rest with the next run"
	assert_eq "$(mm_queued_ids)" "" "$mode: empty at last"
	stop_relay

	# 4. the run killed in the middle of a batch: what the relay took
	# before is marked already (gone from the queue), the rest is
	# queued untouched, and the next run sends only the rest; as root
	# also through the remote worker, which streams each message's
	# results back as they come
	killed_run "$mode"
	if [ "$(id -u)" = 0 ]; then
		sed -i 's/^run_as_user = true$/run_as_user = false/' "$MM_CONF"
		killed_run "$mode, worker"
		assert_contains "$(cat "$T/log/masqmail.log")" "remote worker pid=" "$mode: the worker was used"
		sed -i 's/^run_as_user = false$/run_as_user = true/' "$MM_CONF"
	fi
	rm -f "$T"/mail/*
done
mm_pass
