#!/bin/sh
# Relay faults, through the binary: a queue run (-q) sends three queued
# messages, each for three recipients, over a permanent route to
# tests/lib/fault-relay.py, which fails on purpose at one step of the
# first connection: it hangs up, answers 421/451/452/550/552/554, answers
# slowly, or sends a malformed reply. Message faults hit the second
# message of the connection, so they come in the middle of a stream of
# messages; recipient faults hit b@ only. After the run every recipient
# is marked as the reply says: delivered (and in the relay's record once)
# where the relay said 250 after the text, failed with one failure notice
# per message for a permanent reply, pending in the spool otherwise. A
# second run, with the relay healthy, delivers everything still pending:
# nothing is lost and nothing sent twice. Both with and without the
# relay offering PIPELINING (and CHUNKING).
#
# FAULT_RELAY_CASES (and FAULT_RELAY_PLAIN_CASES for the relay without
# PIPELINING, FAULT_RELAY_CASES when not given) and FAULT_RELAY_MODES
# choose the matrix (tests/stress/faults.sh runs all of it);
# FAULT_MESSAGES the number of queued messages.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
PY=/usr/bin/python3
RELAY="$MM_TOP_SRCDIR/tests/lib/fault-relay.py"
CHECK="$MM_TOP_SRCDIR/tests/lib/fault-check-relay.py"
NMSG=${FAULT_MESSAGES:-3}
MODES=${FAULT_RELAY_MODES:-"pipelining plain"}
CASES=${FAULT_RELAY_CASES:-"
greeting:421 greeting:554 greeting:close greeting:nocode
ehlo:451 ehlo:550 ehlo:554 ehlo:close ehlo:endless
mail:421:2 mail:451:2 mail:552:2 mail:close:2 mail:wrongcode:2
rcpt:450:b@* rcpt:452:b@* rcpt:550:b@* rcpt:close:b@* rcpt:binary:b@*
data:451:2 data:554:2 data:close:2 data:long:2
text:close:2
dot:421:2 dot:451:2 dot:452:2 dot:550:2 dot:552:2 dot:554:2 dot:close:2 dot:nocode:2
dot:slow:2
"}
# without PIPELINING the client waits for each reply: the faults that
# land differently then
PLAIN_CASES=${FAULT_RELAY_PLAIN_CASES:-${FAULT_RELAY_CASES:-"
mail:451:2 mail:close:2 rcpt:452:b@* rcpt:550:b@* rcpt:close:b@* data:554:2
dot:451:2 dot:552:2 dot:close:2
"}}
mm_conf "permanent_routes = \"$T/relay.route\""
SENDER="$MM_USER@test.example"

checked=0
export FAULT_CHUNKING
for mode in $MODES; do
	case $mode in
	pipelining) flags="--pipelining --chunking" cases=$CASES FAULT_CHUNKING=1 ;;
	*) flags="" cases=$PLAIN_CASES FAULT_CHUNKING=0 ;;
	esac
	for fault in $cases; do
		rm -rf "$T/spool/input" "$T/relay" "$T/mail"/* && mkdir -p "$T/relay"
		: >"$T/log/masqmail.log"
		port=$(mm_free_port)
		printf 'mail_host = "127.0.0.1:%s"\ntls = off\n' "$port" >"$T/relay.route"
		mm_bg "$PY" "$RELAY" --port "$port" --dir "$T/relay" --fault "$fault" --fault-conns 1 $flags
		relay=$MM_LAST_PID
		mm_wait_for "[ -e '$T/relay/ready' ]" 20 || mm_fail "the relay did not start"
		k=0
		while [ $k -lt "$NMSG" ]; do
			k=$((k + 1))
			printf 'Subject: fault %s\nX-Seq: %s\n\nmessage %s\nend\n' "$fault" $k $k |
				mm -odq -f "$SENDER" a@r.example b@r.example c@r.example ||
				mm_fail "cannot queue"
		done
		for id in $(mm_queued_ids); do
			printf '%s %s\n' "$(sed -n 's/^HD:X-Seq: //p' "$T/spool/input/$id-H")" "$id"
		done >"$T/seqs"
		mm -q >"$T/run1.err" 2>&1
		s1=$?
		cp "$T/log/masqmail.log" "$T/run1.log"
		cp -a "$T/spool/input" "$T/after1"
		mm -q >"$T/run2.err" 2>&1
		s2=$?
		kill "$relay" 2>/dev/null
		wait "$relay" 2>/dev/null
		out=$("$PY" "$CHECK" "$fault" "$T/seqs" "$T/run1.log" "$T/after1" "$T/log/masqmail.log" \
			"$T/spool/input" "$T/relay" "$s1" "$s2" 2>&1)
		checked=$((checked + 1))
		if [ -n "$out" ]; then
			echo "not ok - $mode $fault"
			printf '%s\n' "$out" | sed 's/^/#   /'
			MM_FAILED=$((MM_FAILED + 1))
		else
			echo "ok - $mode $fault"
		fi
		rm -rf "$T/after1"
	done
done
echo "# $checked relay fault cases checked"

mm_pass
