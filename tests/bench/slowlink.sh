#!/bin/sh
# Slow link (issue 7, benchmark 3): N queued messages of 2 KB (default
# 50) flushed over a veth pair between two network namespaces that
# this script makes, limited to 56 kbit/s each way by a TBF qdisc;
# smtp-sink listens in the far namespace. masqmail -q through a
# permanent route against a private Postfix's postqueue -f with that
# relayhost, R runs each (default 5). Prints the flush time, the bytes
# on the wire (the qdisc's counters, both directions, link-layer
# frames), the time those bytes need at 56 kbit/s and the ratio of the
# two, the bytes against masqmail 1.0's 133 kB, and the connections.
#
# Then the round trips per message: the same flush on loopback through
# a Python relay that holds each segment 150 ms in each direction (one
# round trip: 300 ms); flush time / (N x 300 ms) is the number of round
# trips per message, the session's start included; then without the
# session's start (from a flush of one message), and the same through
# a relay that offers CHUNKING. Needs root.
#
#   cd BUILDDIR && SRCDIR/tests/bench/slowlink.sh [N] [RUNS]
: "${MASQMAIL:=$PWD/masqmail}"
. "$(dirname "$0")/../lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/bench/bench-lib.sh"
if [ -z "${BENCH_IN_NETNS:-}" ]; then
	mm_require_root
	mm_require_cmd unshare ip tc nsenter
	BENCH_IN_NETNS=1 exec unshare -n /bin/sh "$0" "$@"
fi
bench_setup
ip link set lo up
N=${1:-50}
RUNS=${2:-5}
SIZE=${BENCH_SIZE:-2000}
RATE=56000

# the far end: a namespace held by a sleeping process
mm_bg unshare -n sleep 100000
FAR=$MM_LAST_PID
sleep 0.2
ip link add veth-mm type veth peer name veth-far || mm_fail "veth"
ip link set veth-far netns "$FAR"
ip addr add 10.9.0.1/24 dev veth-mm
ip link set veth-mm up
far() { nsenter -t "$FAR" -n "$@"; }
far ip link set lo up
far ip addr add 10.9.0.2/24 dev veth-far
far ip link set veth-far up
for dev in veth-mm; do tc qdisc add dev $dev root tbf rate 56kbit burst 1600 limit 3000; done
far tc qdisc add dev veth-far root tbf rate 56kbit burst 1600 limit 3000

: >"$T/sink.far"
mm_bg nsenter -t "$FAR" -n sh -c "exec smtp-sink -c -u nobody 10.9.0.2:25 1000 >'$T/sink.far' 2>&1"
mm_wait_for "far $BENCH_PY -c 'import socket; socket.create_connection((\"10.9.0.2\", 25)).close()' 2>/dev/null" 10 ||
	mm_fail "smtp-sink did not start"
sleep 0.5

mm_conf "do_queue = true" "smtp_max_sessions_per_client = 50"
printf 'mail_host = "10.9.0.2:25"\ntls = off\n' >"$T/far.route"
mm_conf "permanent_routes = \"$T/far.route\""
mm_daemon
pf_setup 25
postconf -c "$PF_CONF" -e "relayhost = [10.9.0.2]:25" "defer_transports = smtp" "in_flow_delay = 0"
pf_start

# the bytes the qdisc of each direction sent so far: "OUT BACK"
wire() {
	echo "$(tc -s qdisc show dev veth-mm | sed -n 's/^ *Sent \([0-9]*\) bytes.*/\1/p' | head -n 1)" \
		"$(far tc -s qdisc show dev veth-far | sed -n 's/^ *Sent \([0-9]*\) bytes.*/\1/p' | head -n 1)"
}
count() { tr '\r' '\n' <"$T/sink.far" | grep 'sess=' | tail -n 1 | sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }
# Waits for the sink to count $1 messages, at most $2 seconds (Postfix
# may leave some for a retry minutes later when the link drops its
# connections)
waitmesg() {
	_n=0
	while [ "$(count mesg)" -lt "$1" ] && [ $_n -lt $(( $2 * 100 )) ]; do
		sleep 0.01
		_n=$((_n + 1))
	done
}
fill() {
	smtp-source -s 5 -m "${2:-$N}" -l "$SIZE" -f bench@client.example -t rcpt@remote.example \
		-M client.example "127.0.0.1:$1" || mm_fail "filling the queue on $1"
}
pf_release() {
	mm_wait_for "[ \$(find '$PF/queue/deferred' -type f | wc -l) -eq $N ]" 60 || mm_fail "Postfix did not defer $N"
	postconf -c "$PF_CONF" -e "defer_transports ="
	postfix -c "$PF_CONF" reload >/dev/null 2>&1
	sleep 1
}
pf_hold() {
	postconf -c "$PF_CONF" -e "defer_transports = smtp"
	postfix -c "$PF_CONF" reload >/dev/null 2>&1
	sleep 1
}

# the flush command $@: prints "START END OUT_BYTES CONNECTIONS
# MESSAGES BACK_BYTES"
flush() {
	sleep 0.5
	set -- "$@"
	b0=$(wire); s0=$(count sess); m0=$(count mesg)
	t0=$(now)
	"$@" >"$T/flush.out" 2>&1 || mm_fail "$*: $(tail -n 3 "$T/flush.out")"
	waitmesg $((m0 + N)) "${BENCH_WAIT:-180}"
	t1=$(now)
	# the rest of the session (QUIT) belongs to its bytes
	sleep 2
	b1=$(wire)
	echo "$t0 $t1 $(( ${b1% *} - ${b0% *} )) $(( $(count sess) - s0 )) $(( $(count mesg) - m0 ))" \
		"$(( ${b1#* } - ${b0#* } ))"
}

bench_machine
: >"$T/mm.res"; : >"$T/pf.res"
run=0
while [ $run -lt "$RUNS" ]; do
	run=$((run + 1))
	fill "$MM_PORT"
	flush mm -q >>"$T/mm.res"
	fill "$PF_PORT"
	pf_release
	flush postqueue -c "$PF_CONF" -f >>"$T/pf.res"
	postsuper -c "$PF_CONF" -d ALL >/dev/null 2>&1
	pf_hold
	for side in mm pf; do
		tail -n 1 "$T/$side.res" | awk -v side=$side -v run=$run -v rate=$RATE '{
			t = $2 - $1; need = $3 * 8 / rate
			printf "run %d %s: %d messages in %.2f s, %d bytes out (%.2f s at 56 kbit/s, x%.3f), %d back, %d connection(s)\n",
				run, side, $5, t, $3, need, t / need, $6, $4 }'
	done
done
for side in mm pf; do
	name=$([ $side = mm ] && echo "masqmail -q" || echo "postqueue -f")
	awk '{ print $2 - $1 }' "$T/$side.res" >"$T/$side.t"
	awk '{ print $3 / 1000 }' "$T/$side.res" >"$T/$side.kb"
	awk '{ print ($3 + $6) / 1000 }' "$T/$side.res" >"$T/$side.kb2"
	awk '{ print $5 }' "$T/$side.res" >"$T/$side.m"
	awk -v rate=$RATE '{ print ($2 - $1) / ($3 * 8 / rate) }' "$T/$side.res" >"$T/$side.x"
	awk '{ print $4 }' "$T/$side.res" >"$T/$side.c"
	echo "slowlink $N x $SIZE B, $name: seconds $(stats "$T/$side.t")"
	echo "slowlink $N x $SIZE B, $name: messages arrived $(stats "$T/$side.m") (within ${BENCH_WAIT:-180} s)"
	echo "slowlink $N x $SIZE B, $name: kB on the wire towards the relay $(stats "$T/$side.kb") (masqmail 1.0: 133)"
	echo "slowlink $N x $SIZE B, $name: kB on the wire both ways $(stats "$T/$side.kb2")"
	echo "slowlink $N x $SIZE B, $name: flush time / wire time $(stats "$T/$side.x") (target <= 1.02)"
	echo "slowlink $N x $SIZE B, $name: connections $(stats "$T/$side.c")"
done

# round trips: a relay on loopback that holds each segment 150 ms
cat >"$T/delay.py" <<'PY'
import asyncio, sys
listen, target, delay = int(sys.argv[1]), (sys.argv[2], int(sys.argv[3])), float(sys.argv[4])
async def pipe(r, w):
    loop = asyncio.get_running_loop()
    try:
        while True:
            data = await r.read(65536)
            if not data:
                break
            loop.call_later(delay, w.write, data)
        await asyncio.sleep(delay + 0.01)
    finally:
        w.close()
async def conn(cr, cw):
    sr, sw = await asyncio.open_connection(*target)
    await asyncio.gather(pipe(cr, sw), pipe(sr, cw))
async def main():
    s = await asyncio.start_server(conn, "127.0.0.1", listen)
    open(sys.argv[5], "w").close()
    await s.serve_forever()
asyncio.run(main())
PY
DPORT=$(mm_free_port)
mm_bg "$BENCH_PY" "$T/delay.py" "$DPORT" 10.9.0.2 25 0.15 "$T/delay.ready"
mm_wait_for "[ -e '$T/delay.ready' ]" 10 || mm_fail "the delaying relay did not start"
printf 'mail_host = "127.0.0.1:%s"\ntls = off\n' "$DPORT" >"$T/far.route"
postconf -c "$PF_CONF" -e "relayhost = [127.0.0.1]:$DPORT"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
# no bandwidth limit for this part: the delay alone
tc qdisc del dev veth-mm root; far tc qdisc del dev veth-far root
: >"$T/mm.rtt"; : >"$T/pf.rtt"
run=0
while [ $run -lt "$RUNS" ]; do
	run=$((run + 1))
	fill "$MM_PORT"
	flush mm -q | awk -v n=$N '{ print ($2 - $1) / (n * 0.3) }' >>"$T/mm.rtt"
	fill "$PF_PORT"
	pf_release
	flush postqueue -c "$PF_CONF" -f | awk -v n=$N '{ print ($2 - $1) / (n * 0.3) }' >>"$T/pf.rtt"
	postsuper -c "$PF_CONF" -d ALL >/dev/null 2>&1
	pf_hold
	echo "run $run: round trips per message masqmail $(tail -n 1 "$T/mm.rtt"), Postfix $(tail -n 1 "$T/pf.rtt")"
done
echo "slowlink round trips per message (300 ms RTT), masqmail -q: $(stats "$T/mm.rtt") (target <= 1)"
echo "slowlink round trips per message (300 ms RTT), postqueue -f: $(stats "$T/pf.rtt") (parallel connections)"

# The round trips once the session is up: a flush of one message takes
# the session's start (connection, greeting, EHLO, the process) and one
# message, so (flush of N - flush of 1) / ((N - 1) x 300 ms) is what
# each further message costs. With DATA (smtp-sink offers no CHUNKING)
# each message waits for its 354; through a relay that offers CHUNKING
# (tests/integration/smtpc-bdat-relay.py, on loopback) the
# messages go out whole as BDAT and nothing waits but the replies of
# the message before the one being sent.
mkdir -p "$T/bdat"
CPORT=$(mm_free_port)
mm_bg "$BENCH_PY" "$MM_TOP_SRCDIR/tests/integration/smtpc-bdat-relay.py" "$CPORT" "$T/bdat"
mm_wait_for "$BENCH_PY -c 'import socket; socket.create_connection((\"127.0.0.1\", $CPORT)).close()' 2>/dev/null" 10 ||
	mm_fail "the BDAT relay did not start"
BPORT=$(mm_free_port)
mm_bg "$BENCH_PY" "$T/delay.py" "$BPORT" 127.0.0.1 "$CPORT" 0.15 "$T/delay-bdat.ready"
mm_wait_for "[ -e '$T/delay-bdat.ready' ]" 10 || mm_fail "the second delaying relay did not start"
files() { find "$T/bdat" -type f | wc -l; }
# flush -q through the BDAT relay of $1 messages: prints START END
flush_bdat() {
	sleep 0.5
	_f0=$(files)
	_t0=$(now)
	mm -q >"$T/flush.out" 2>&1 || mm_fail "-q: $(tail -n 3 "$T/flush.out")"
	_n=0
	while [ "$(files)" -lt $((_f0 + $1)) ] && [ $_n -lt 18000 ]; do
		sleep 0.01
		_n=$((_n + 1))
	done
	echo "$_t0 $(now)"
}
: >"$T/data.marg"; : >"$T/bdat.rtt"; : >"$T/bdat.marg"
run=0
while [ $run -lt "$RUNS" ]; do
	run=$((run + 1))
	printf 'mail_host = "127.0.0.1:%s"\ntls = off\n' "$DPORT" >"$T/far.route"
	fill "$MM_PORT" 1
	_keep=$N
	N=1
	one=$(flush mm -q | awk '{ print $2 - $1 }')
	N=$_keep
	awk -v n="$N" -v one="$one" -v all="$(sed -n "${run}p" "$T/mm.rtt")" \
		'BEGIN { print (all * n * 0.3 - one) / ((n - 1) * 0.3) }' >>"$T/data.marg"
	printf 'mail_host = "127.0.0.1:%s"\ntls = off\n' "$BPORT" >"$T/far.route"
	fill "$MM_PORT" 1
	one=$(flush_bdat 1 | awk '{ print $2 - $1 }')
	fill "$MM_PORT"
	all=$(flush_bdat "$N" | awk '{ print $2 - $1 }')
	awk -v n="$N" -v all="$all" 'BEGIN { print all / (n * 0.3) }' >>"$T/bdat.rtt"
	awk -v n="$N" -v one="$one" -v all="$all" 'BEGIN { print (all - one) / ((n - 1) * 0.3) }' >>"$T/bdat.marg"
	echo "run $run: round trips per further message masqmail DATA $(tail -n 1 "$T/data.marg"); BDAT $(tail -n 1 "$T/bdat.marg"), with the start $(tail -n 1 "$T/bdat.rtt")"
done
echo "slowlink round trips per message once the session is up (300 ms RTT), masqmail -q, DATA: $(stats "$T/data.marg") (target <= 1)"
echo "slowlink round trips per message (300 ms RTT), masqmail -q, BDAT relay: $(stats "$T/bdat.rtt") (target <= 1)"
echo "slowlink round trips per message once the session is up (300 ms RTT), masqmail -q, BDAT relay: $(stats "$T/bdat.marg") (target <= 1)"
exit 0
