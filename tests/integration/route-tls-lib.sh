# Shared code of the route-tls and route-auth scenarios (sourced after
# tests/lib/lib.sh and tests/integration/route-lib.sh): real mail
# through a permanent route to a relay that speaks TLS and AUTH
# (tests/integration/route-tls-relay.py).
#
# rt_setup                  route_setup, the test CA in $T/ca, and the
#                           route "relay" in permanent_routes. As root
#                           the remote delivery runs in the worker that
#                           is the mail user, as it does when installed;
#                           the files a route names are made readable
#                           to it.
# rt_relay NAME MODE [OPT]  starts the relay: MODE plain, starttls or
#                           smtps, with the test CA's certificate for
#                           localhost; ${NAME}_PORT; OPT are passed on
#                           (--client-ca PEM, --user U, --secret S)
# rt_route TEXT             writes the route file $T/relay.route (0600)
# rt_send NAME              queues a message to NAME@remote.example
#                           with -odq ($RT_ID), then runs -q (route_run)
# rt_sessions NAME          the relay's session lines (tls=, auth=, cert=)
# rt_auth NAME              the relay's AUTH attempts (mech=, user=, ok=)
# rt_pending                the recipients still pending in $RT_ID-H
# rt_drop                   removes what is left in the queue

rt_setup() {
	route_setup
	sh "$MM_TOP_SRCDIR/tests/lib/make-test-ca.sh" "$T/ca" >/dev/null 2>&1
	case $? in
	0) ;;
	77) mm_skip "needs certtool" ;;
	*) mm_fail "make-test-ca.sh failed" ;;
	esac
	RT_WORKER=no
	if [ "$(id -u)" -eq 0 ] && id -u mail >/dev/null 2>&1 && [ "$(id -u mail)" -ne 0 ]; then
		RT_WORKER=yes
		sed -i '/^run_as_user *=/d' "$MM_CONF"
		mm_conf "run_as_user = false"
		# certificates are public; the client key belongs to the
		# user that makes the connection, and stays 0600
		chmod 755 "$T/ca"
		chmod 644 "$T/ca/ca.pem" "$T/ca/other-ca.pem" "$T/ca/client.pem"
		chown mail "$T/ca/client-key.pem"
	fi
	mm_conf "permanent_routes = \"$T/relay.route\""
	: >"$T/relay.route"
}

rt_relay() {
	_rt_name=$1 _rt_mode=$2
	shift 2
	_rt_port=$(mm_free_port)
	mkdir -p "$T/$_rt_name"
	rm -f "$T/$_rt_name/ready"
	mm_bg "$ROUTE_PY" "$MM_TOP_SRCDIR/tests/integration/route-tls-relay.py" --port "$_rt_port" \
		--dir "$T/$_rt_name" --mode "$_rt_mode" --cert "$T/ca/server.pem" --key "$T/ca/server-key.pem" \
		"$@" 2>>"$T/$_rt_name.log"
	eval "${_rt_name}_PID=$MM_LAST_PID"
	eval "${_rt_name}_PORT=$_rt_port"
	mm_wait_for "[ -e '$T/$_rt_name/ready' ]" 20 || mm_fail "relay $_rt_name did not start"
}

rt_route() {
	route_file relay "$1"
	# some hold a secret: readable by root, or the user running the test, only
	chmod 600 "$T/relay.route"
}

rt_send() {
	printf 'From: %s@test.example\nSubject: %s\n\nthrough the relay\n' "$MM_USER" "$1" |
		route_queue "$MM_USER@test.example" "$1@remote.example" ||
		mm_fail "$1: could not queue"
	RT_ID=$(mm_queued_ids | tail -1)
	route_run
}

rt_sessions() {
	cat "$T/$1/sessions" 2>/dev/null
}

rt_auth() {
	cat "$T/$1/auth" 2>/dev/null
}

rt_pending() {
	sed -n 's/^RT: <\(.*\)>$/\1/p' "$T/spool/input/$RT_ID-H" 2>/dev/null
}

rt_drop() {
	for _rt_id in $(mm_queued_ids); do
		mm -Mrm "$_rt_id" >/dev/null 2>&1
	done
	rm -f "$T/spool/input/"*
}
