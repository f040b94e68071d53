#!/bin/sh
# Queue flush to a relay (issue 7, benchmark 2): N queued messages of
# 5 KB (default 1000) sent to Postfix's smtp-sink on loopback, by
# `masqmail -q` through a permanent route and by Postfix's
# `postqueue -f` with relayhost set, R runs each (default 5). Prints
# messages per second of both, the ratio, and the connections each used
# (smtp-sink's session counter). Needs root.
#
#   cd BUILDDIR && SRCDIR/tests/bench/flush.sh [N] [RUNS]
#
# Both queues are filled through SMTP with smtp-source (masqmail's
# daemon with do_queue, Postfix with defer_transports = smtp); the clock
# starts when the flush command starts and stops when smtp-sink has
# counted the last message.
#
# BENCH_WRAP, when set, is put before masqmail's `-q` command (a
# profiler: BENCH_WRAP="strace -c -f -o /tmp/flush.strace" or
# BENCH_WRAP="perf record -e cpu-clock -g -o /tmp/flush.perf").
: "${MASQMAIL:=$PWD/masqmail}"
. "$(dirname "$0")/../lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/bench/bench-lib.sh"
bench_setup
N=${1:-1000}
RUNS=${2:-5}
SIZE=${BENCH_SIZE:-5000}

SINK=$(mm_free_port)
sink_start "$SINK"
mm_conf "do_queue = true" "smtp_max_sessions_per_client = 50"
printf 'mail_host = "127.0.0.1:%s"\ntls = off\n' "$SINK" >"$T/sink.route"
mm_conf "permanent_routes = \"$T/sink.route\""
mm_daemon
pf_setup "$SINK"
postconf -c "$PF_CONF" -e "defer_transports = smtp" "in_flow_delay = 0"
pf_start

: >"$T/mm.rate"; : >"$T/pf.rate"; : >"$T/mm.conns"; : >"$T/pf.conns"
run=0
while [ $run -lt "$RUNS" ]; do
	run=$((run + 1))
	# masqmail
	smtp-source -s 10 -m "$N" -l "$SIZE" -f bench@client.example -t rcpt@remote.example \
		-M client.example "127.0.0.1:$MM_PORT" || mm_fail "filling masqmail's queue"
	[ "$(mm_queued_ids | wc -l)" -eq "$N" ] || mm_fail "masqmail queued $(mm_queued_ids | wc -l) of $N"
	sess0=$(sink_count "$SINK" sess); mesg0=$(sink_count "$SINK" mesg)
	t0=$(now)
	${BENCH_WRAP:-} "$MASQMAIL" -C "$MM_CONF" -q >"$T/run.out" 2>&1 || mm_fail "masqmail -q: $(tail -n 3 "$T/run.out")"
	sink_wait "$SINK" $((mesg0 + N)) || mm_fail "smtp-sink did not get masqmail's $N messages"
	t1=$(now)
	sleep 0.2
	conns=$(( $(sink_count "$SINK" sess) - sess0 ))
	echo "$t0 $t1" | awk -v n="$N" '{ print n / ($2 - $1) }' >>"$T/mm.rate"
	echo "$conns" >>"$T/mm.conns"
	[ "$(mm_queued_ids | wc -l)" -eq 0 ] || mm_fail "masqmail left $(mm_queued_ids | wc -l) messages queued"

	# Postfix
	smtp-source -s 10 -m "$N" -l "$SIZE" -f bench@client.example -t rcpt@remote.example \
		-M client.example "127.0.0.1:$PF_PORT" || mm_fail "filling Postfix's queue"
	mm_wait_for "[ \$(find '$PF/queue/deferred' -type f | wc -l) -eq $N ]" 120 ||
		mm_fail "Postfix deferred $(find "$PF/queue/deferred" -type f | wc -l) of $N"
	postconf -c "$PF_CONF" -e "defer_transports ="
	postfix -c "$PF_CONF" reload >/dev/null 2>&1
	sleep 1
	sess0=$(sink_count "$SINK" sess); mesg0=$(sink_count "$SINK" mesg)
	t0=$(now)
	postqueue -c "$PF_CONF" -f || mm_fail "postqueue -f"
	sink_wait "$SINK" $((mesg0 + N)) || mm_fail "smtp-sink did not get Postfix's $N messages"
	t1=$(now)
	mm_wait_for "[ \$(pf_queued) -eq 0 ]" 60
	sleep 0.2
	conns=$(( $(sink_count "$SINK" sess) - sess0 ))
	echo "$t0 $t1" | awk -v n="$N" '{ print n / ($2 - $1) }' >>"$T/pf.rate"
	echo "$conns" >>"$T/pf.conns"
	postconf -c "$PF_CONF" -e "defer_transports = smtp"
	postfix -c "$PF_CONF" reload >/dev/null 2>&1
	sleep 1
	echo "run $run: masqmail $(tail -n 1 "$T/mm.rate") msg/s over $(tail -n 1 "$T/mm.conns") connection(s)," \
		"Postfix $(tail -n 1 "$T/pf.rate") msg/s over $(tail -n 1 "$T/pf.conns")"
done

bench_machine
echo "flush $N x $SIZE B, masqmail -q: msg/s $(stats "$T/mm.rate"), connections $(stats "$T/mm.conns")"
echo "flush $N x $SIZE B, postqueue -f: msg/s $(stats "$T/pf.rate"), connections $(stats "$T/pf.conns")"
echo "flush ratio masqmail/Postfix (medians): $(awk -v a="$(median "$T/mm.rate")" -v b="$(median "$T/pf.rate")" 'BEGIN { printf "%.2f", a / b }') (target >= 3)"
exit 0
