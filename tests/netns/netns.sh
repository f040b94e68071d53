# Shared code of the link scenarios (sourced after tests/lib/lib.sh).
#
# Each scenario runs in a network namespace of its own: nd_enter_netns
# starts the script again under `unshare -n`. The namespace ends with the
# last process in it, and lib.sh's exit trap stops every process the
# scenario started (monitor, dialers), also when an assertion fails.
#
#   nd_enter_netns "$@"
#   mm_setup
#   nd_monitor 'dialup' 'wifi,interfaces=eth*,gateway=192.168.1.1'
#   nd_dial ppp0;  ip link set ppp0 up; ...
#   nd_wait 'online dialup ppp0'
#   nd_hangup ppp0

: "${MM_TOP_BUILDDIR:=$MM_TOP_SRCDIR}"
ND_MONITOR="$MM_TOP_BUILDDIR/tests/netns/nd-monitor"
ND_DIALER="$MM_TOP_BUILDDIR/tests/netns/nd-dialer"

nd_enter_netns() {
	if [ -n "${ND_IN_NETNS:-}" ]; then
		ip link set lo up
		return 0
	fi
	mm_require_root
	mm_require_cmd ip unshare
	[ -c /dev/net/tun ] || mm_skip "needs /dev/net/tun"
	[ -x "$ND_MONITOR" ] && [ -x "$ND_DIALER" ] || mm_skip "nd-monitor and nd-dialer are not built"
	unshare -n true 2>/dev/null || mm_skip "cannot make a network namespace (unshare -n)"
	ND_IN_NETNS=1 exec unshare -n /bin/sh "$0" "$@"
}

# Starts the monitor with the given profiles, its output in $T/events,
# and waits for its first evaluation.
nd_monitor() {
	ND_EVENTS="$T/events"
	: >"$ND_EVENTS"
	mm_bg "$ND_MONITOR" "$@" >"$ND_EVENTS" 2>"$T/monitor.err"
	ND_MONITOR_PID=$MM_LAST_PID
	mm_wait_for "grep -qx 'eval 1' '$ND_EVENTS'" || mm_fail "the monitor did not start: $(cat "$T/monitor.err")"
}

# The latest verdict line of profile $1.
nd_state() {
	grep -E "^(online $1 |offline $1: )" "$ND_EVENTS" | tail -n 1
}

# Waits (default 10 s) until $1, a verdict line, is its profile's latest
# verdict. The monitor prints a profile's verdict only when it changes.
nd_wait() {
	nd_profile=$(printf '%s\n' "$1" | awk '{ sub(/:$/, "", $2); print $2 }')
	mm_wait_for "[ \"\$(nd_state '$nd_profile')\" = '$1' ]" "${2:-10}"
}

# Asserts that $1 becomes its profile's verdict.
nd_expect() {
	if nd_wait "$1" "${2:-10}"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		sed 's/^/#   /' "$ND_EVENTS" | tail -n 20
		MM_FAILED=$((MM_FAILED + 1))
	fi
}

# The verdict lines (online/offline) printed so far.
nd_verdicts() {
	grep -E '^(online|offline) ' "$ND_EVENTS"
}

# The number of evaluations so far.
nd_evals() {
	grep -c '^eval ' "$ND_EVENTS"
}

# Opens the TUN device $1 (carrier on) with a dialer process kept in
# ND_DIALER_<name>.
nd_dial() {
	rm -f "$T/dialer-$1"
	mm_bg "$ND_DIALER" "$1" >"$T/dialer-$1" 2>&1
	eval "ND_DIALER_$1=$MM_LAST_PID"
	mm_wait_for "grep -q dialed '$T/dialer-$1'" 10 || mm_fail "nd-dialer $1: $(cat "$T/dialer-$1")"
}

# Closes the TUN device $1: the dialer ends, the carrier goes.
nd_hangup() {
	eval "nd_pid=\$ND_DIALER_$1"
	kill "$nd_pid"
	wait "$nd_pid" 2>/dev/null
	return 0
}

# Stops the monitor and asserts that it ended cleanly (exit status 0,
# nothing on stderr: under the sanitizers a leak or an error shows here).
nd_finish() {
	kill -TERM "$ND_MONITOR_PID"
	wait "$ND_MONITOR_PID"
	assert_status 0 $? "the monitor exits cleanly"
	assert_eq "$(cat "$T/monitor.err")" "" "the monitor wrote nothing to stderr"
}
