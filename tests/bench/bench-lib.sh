# Shared code of the benchmarks that compare masqmail with Postfix
# (sourced after tests/lib/lib.sh). Each benchmark runs a private Postfix
# instance of its own (configuration, queue and log in $T/pf, services
# on loopback only), Postfix's smtp-sink as the relay and smtp-source as
# the load generator. lib.sh's exit trap stops what was started with
# mm_bg; bench_cleanup also stops the private Postfix.
#
#   bench_setup                  mm_setup on the real disk, tool checks
#   pf_setup [SINKPORT]          a private Postfix: $PF_CONF, $PF_PORT
#                                (its smtpd), relayhost = SINKPORT
#   pf_start / pf_stop           postfix -c $PF_CONF start / stop
#   pf_queued                    messages in the private queue
#   sink_start PORT [OPTS]       smtp-sink with counters in $T/sink.PORT
#   sink_count PORT WHAT         the last counter WHAT (sess, mesg, quit)
#   mm_daemon                    the masqmail daemon on $MM_PORT
#   stats FILE                   "median X min Y max Z" of FILE's numbers
#   now                          the time in seconds, ns resolution

PATH=$PATH:/usr/sbin:/sbin
BENCH_PY=/usr/bin/python3
PF_PID=""

now() {
	date +%s.%N
}

bench_cleanup() {
	[ -n "${PF_CONF:-}" ] && [ -e "$PF_CONF/main.cf" ] &&
		postfix -c "$PF_CONF" stop >/dev/null 2>&1
	[ -n "${MM_DAEMON_PID:-}" ] && kill "$MM_DAEMON_PID" 2>/dev/null
	mm_cleanup
}

bench_setup() {
	mm_require_root
	mm_require_cmd postfix postconf postqueue smtp-sink smtp-source awk "$BENCH_PY"
	[ -x "$MASQMAIL" ] || mm_skip "no masqmail binary at $MASQMAIL (run from the build directory or set MASQMAIL)"
	# the spool goes where fsync reaches a disk: not on a tmpfs
	TMPDIR=${BENCH_TMPDIR:-/var/tmp}
	export TMPDIR
	mm_setup
	trap bench_cleanup EXIT
}

# Prints "median X min Y max Z" of the numbers in $1, one a line.
stats() {
	sort -g "$1" | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "no figures"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "median %.4g min %.4g max %.4g (%d runs)", m, v[1], v[NR], NR
		}'
}

# The median of the numbers in $1.
median() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Waits until something listens on 127.0.0.1:$1.
wait_port() {
	mm_wait_for "$BENCH_PY -c 'import socket; socket.create_connection((\"127.0.0.1\", $1)).close()' 2>/dev/null" "${2:-10}"
}

sink_start() {
	_port=$1
	shift
	: >"$T/sink.$_port"
	mm_bg sh -c "exec smtp-sink -c -u nobody $* 127.0.0.1:$_port 1000 >'$T/sink.$_port' 2>&1"
	eval "SINK_PID_$_port=$MM_LAST_PID"
	wait_port "$_port" || mm_fail "smtp-sink did not start on $_port"
	# that probe was a session of its own: wait for it to be counted
	mm_wait_for "sink_count $_port sess | grep -qx '[1-9][0-9]*'" 5
}

sink_stop() {
	eval "kill \$SINK_PID_$1" 2>/dev/null
}

sink_count() {
	tr '\r' '\n' <"$T/sink.$1" | grep 'sess=' | tail -n 1 |
		sed -n "s/.*$2=\([0-9]*\).*/\1/p"
}

# Waits (up to $3 seconds) until smtp-sink on port $1 counted $2 messages.
sink_wait() {
	_n=0
	while [ "$(sink_count "$1" mesg)" != "$2" ]; do
		_n=$((_n + 1))
		[ $_n -gt $(( ${3:-600} * 200 )) ] && return 1
		sleep 0.005
	done
	return 0
}

pf_setup() {
	PF="$T/pf"
	PF_CONF="$PF/etc"
	mkdir -p "$PF_CONF" "$PF/queue" "$PF/data"
	chown postfix "$PF/data"
	cp /etc/postfix/master.cf "$PF_CONF/master.cf"
	# Debian ships no main.cf (its proto has empty paths that postfix
	# refuses): the compiled-in defaults and what the benchmark needs
	printf 'compatibility_level = 3.7\n' >"$PF_CONF/main.cf"
	PF_PORT=$(mm_free_port)
	postconf -c "$PF_CONF" -e \
		"queue_directory = $PF/queue" \
		"data_directory = $PF/data" \
		"mail_owner = postfix" \
		"setgid_group = postdrop" \
		"myhostname = bench.example" \
		"mydomain = bench.example" \
		"myorigin = bench.example" \
		"mydestination =" \
		"inet_interfaces = 127.0.0.1" \
		"inet_protocols = ipv4" \
		"mynetworks = 127.0.0.0/8" \
		"smtpd_relay_restrictions = permit_mynetworks, reject" \
		"maillog_file = $PF/maillog" \
		"alias_maps =" "alias_database =" \
		"smtp_tls_security_level = none" "smtpd_tls_security_level = none" \
		"relayhost = [127.0.0.1]:${1:-25}" ||
		mm_fail "postconf"
	# smtpd on our port; no chroot (its files would have to be copied in)
	sed -i "s/^smtp \( *\)inet /127.0.0.1:$PF_PORT inet /" "$PF_CONF/master.cf"
	postconf -c "$PF_CONF" -F '*/*/chroot = n' || mm_fail "postconf -F"
}

pf_start() {
	postfix -c "$PF_CONF" start >"$T/pf.start" 2>&1 || mm_fail "postfix start: $(cat "$T/pf.start")"
	wait_port "$PF_PORT" 20 || mm_fail "postfix does not listen: $(tail "$PF/maillog")"
}

pf_stop() {
	postfix -c "$PF_CONF" stop >/dev/null 2>&1
	mm_wait_for "! [ -e '$PF/queue/pid/master.pid' ] || ! kill -0 \$(cat '$PF/queue/pid/master.pid') 2>/dev/null" 10
}

pf_queued() {
	find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/deferred" "$PF/queue/maildrop" \
		"$PF/queue/hold" -type f 2>/dev/null | wc -l
}

# The masqmail daemon on $MM_PORT (SMTP), queue only unless told.
mm_daemon() {
	MM_PORT=$(mm_free_port)
	mm_conf "listen_addresses = \"127.0.0.1:$MM_PORT\""
	mm_bg "$MASQMAIL" -C "$MM_CONF" -bD 2>"$T/daemon.err"
	MM_DAEMON_PID=$MM_LAST_PID
	wait_port "$MM_PORT" || mm_fail "the daemon did not start: $(tail "$T/log/masqmail.log")"
}

mm_stop_daemon() {
	kill "$MM_DAEMON_PID" 2>/dev/null
	wait "$MM_DAEMON_PID" 2>/dev/null
	MM_DAEMON_PID=""
}

# The machine, for the figures.
bench_machine() {
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $(nproc)," \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
}
