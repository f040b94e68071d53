# Shared code of the stress commands and of the suite's crash scenarios
# (sourced after tests/lib/lib.sh). The load, the kills, the link and
# the accounting are stress.py's; this makes the scene for it: the
# temporary directory, the configuration, the recording relay
# (tests/lib/relay.py).
#
#   stress_setup                 mm_setup, tool checks
#   stress_relay ADDR            the relay on ADDR:$STRESS_RELAY_PORT,
#                                its files in $STRESS_RELAY_DIR
#   stress_permanent             a permanent route to the relay
#   stress_query                 a query route "isp" to the relay
#                                (10.0.0.2) for the dial-up on ppp0
#   stress_run MODE              runs stress.py MODE; its exit status
#
# Settings for stress.py go in the environment (STRESS_KILLS, ...).

STRESS_PY=/usr/bin/python3
STRESS_DIR="$MM_TOP_SRCDIR/tests/stress"

stress_setup() {
	mm_require_root
	mm_require_cmd "$STRESS_PY"
	[ -x "$MASQMAIL" ] || mm_skip "no masqmail binary at $MASQMAIL (run from the build directory or set MASQMAIL)"
	mm_setup
	STRESS_RELAY_DIR="$T/relay"
	mkdir -p "$STRESS_RELAY_DIR"
	STRESS_SMTP_PORT=$(mm_free_port)
	# many clients from one address, and sessions that may be cut
	# anywhere: no limits of the load's making
	mm_conf "listen_addresses = \"127.0.0.1:$STRESS_SMTP_PORT\"" \
		"smtp_max_sessions_per_client = 100" \
		"smtp_max_sessions = 100"
}

stress_relay() {
	: "${STRESS_RELAY_PORT:=$(mm_free_port)}"
	mm_bg "$STRESS_PY" "$MM_TOP_SRCDIR/tests/lib/relay.py" "$1" "$STRESS_RELAY_PORT" "$STRESS_RELAY_DIR" \
		2>"$T/relay.err"
	mm_wait_for "[ -e '$STRESS_RELAY_DIR/ready' ]" 10 || mm_fail "the relay did not start: $(cat "$T/relay.err")"
}

stress_permanent() {
	printf 'mail_host = "127.0.0.1:%s"\ntls = off\n' "$STRESS_RELAY_PORT" >"$T/relay.route"
	mm_conf "permanent_routes = \"$T/relay.route\""
}

stress_query() {
	printf 'mail_host = "10.0.0.2:%s"\n' "$STRESS_RELAY_PORT" >"$T/isp.route"
	mm_conf "query_routes.isp = \"$T/isp.route\""
}

# Inside the scenario's namespace: the relay on the provider's address
# 10.0.0.2 and a query route "isp" to it, as the link tests have it.
stress_provider_relay() {
	ip addr add 10.0.0.2/32 dev lo
	stress_relay 10.0.0.2
	stress_query
}

# The suite's checks of a stress_run report in $T/out ($T/err holds its
# log): $1 its exit status, $2 what "crashes 0" means in this scenario.
stress_check_report() {
	cat "$T/out"
	sed 's/^/# /' "$T/err" | tail -n 20
	assert_status 0 "$1" "no loss, no unexplained duplicate, no unreadable entry, no crash"
	assert_contains "$(cat "$T/out")" "
lost 0
" "every acknowledged message arrived"
	assert_contains "$(cat "$T/out")" "crashes 0" "$2"
	assert_contains "$(cat "$T/out")" "spool entries unreadable 0, orphan files left 0" \
		"every spool entry reads, and no leftover of an interrupted write is left"
}

stress_run() {
	STRESS_MASQMAIL=$MASQMAIL STRESS_CONF=$MM_CONF STRESS_T=$T STRESS_SPOOL="$T/spool" \
		STRESS_RELAY_DIR=$STRESS_RELAY_DIR STRESS_SMTP_PORT=$STRESS_SMTP_PORT \
		STRESS_LOG="$T/log/masqmail.log" STRESS_DIALER="${ND_DIALER:-}" \
		"$STRESS_PY" "$STRESS_DIR/stress.py" "$@"
}
