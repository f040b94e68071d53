#!/bin/sh
# SMTP AUTH to the relay of a permanent route, with real mail: AUTH
# PLAIN, LOGIN and CRAM-MD5 over STARTTLS, each checked by the relay
# (which records the user a message came from); a wrong secret makes
# the message wait (it does not bounce) with the relay's reply in the
# log; auth_secret_file is refused while others can read it and used
# once it is 0600.
#
# Credentials never go in clear to a host that is not a loopback
# address unless auth_allow_plaintext says so; on loopback nobody else
# sees the traffic, so there PLAIN may go without TLS.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-tls-lib.sh"
rt_setup
rt_relay st starttls --user user --secret 'secret word'
rt_relay pl plain --user user --secret 'secret word'
echo "# remote delivery in the worker as the mail user: $RT_WORKER"
BOX="$T/mail/$MM_USER"

tls_route="mail_host = \"localhost:$st_PORT\"
tls = required
tls_ca_file = \"$T/ca/ca.pem\""

n=0
for mech in plain login cram-md5; do
	MECH=$(echo "$mech" | tr a-z A-Z)
	rt_route "$tls_route
auth_name = $mech
auth_login = user
auth_secret = \"secret word\""
	rt_send "auth-$mech"
	n=$((n + 1))
	assert_contains "$(cat "$T/run.out")" "=> auth-$mech@remote.example route=relay " "AUTH $MECH: delivered"
	assert_eq "$(route_count st)" "$n" "AUTH $MECH: the relay has it once"
	assert_eq "$(tail -1 "$T/st/sessions")" "tls=yes auth=user cert=-" "AUTH $MECH: over TLS, as the user"
	assert_eq "$(tail -1 "$T/st/auth")" "mech=$MECH user=user ok=yes" "AUTH $MECH: the relay checked it"
	assert_eq "$(mm_queued_ids)" "" "AUTH $MECH: removed from the queue"
	assert_not_contains "$(cat "$T/log/masqmail.log")" "secret word" "AUTH $MECH: the secret is not logged"

	rt_route "$tls_route
auth_name = $mech
auth_login = user
auth_secret = wrong"
	rt_send "wrong-$mech"
	assert_status 0 $? "AUTH $MECH, wrong secret: the queue run itself succeeds"
	assert_eq "$(tail -1 "$T/st/auth")" "mech=$MECH user=user ok=no" "AUTH $MECH, wrong secret: the relay said no"
	assert_contains "$(cat "$T/run.out")" "$RT_ID == wrong-$mech@remote.example deferred: " \
		"AUTH $MECH, wrong secret: deferred"
	assert_contains "$(grep ' deferred: ' "$T/run.out")" "535" "AUTH $MECH, wrong secret: the log has the relay's reply"
	assert_eq "$(rt_pending)" "wrong-$mech@remote.example" "AUTH $MECH, wrong secret: still pending"
	assert_eq "$(route_count st)" "$n" "AUTH $MECH, wrong secret: nothing sent"
	assert_eq "$(cat "$BOX" 2>/dev/null | grep -c '^From ')" "0" "AUTH $MECH, wrong secret: no bounce"
	rt_drop
done

# auth_secret_file: refused while others may read it; the message
# waits, the log says why, and the relay never sees an AUTH attempt
printf 'secret word\n' >"$T/secret"
chmod 644 "$T/secret"
rt_route "$tls_route
auth_name = cram-md5
auth_login = user
auth_secret_file = \"$T/secret\""
tries=$(rt_auth st | wc -l)
rt_send secret-file
assert_contains "$(cat "$T/run.out")" "$RT_ID == secret-file@remote.example deferred: " "secret file 0644: deferred"
assert_contains "$(cat "$T/run.out")" "auth_secret_file refused: others may read or write it" \
	"secret file 0644: the log says why"
assert_eq "$(rt_pending)" "secret-file@remote.example" "secret file 0644: still pending"
assert_eq "$(rt_auth st | wc -l)" "$tries" "secret file 0644: no AUTH tried"
assert_eq "$(route_count st)" "$n" "secret file 0644: nothing sent"
# 0600: used by the next run
chmod 600 "$T/secret"
route_run
assert_contains "$(cat "$T/run.out")" "=> secret-file@remote.example route=relay " "secret file 0600: delivered"
assert_eq "$(tail -1 "$T/st/auth")" "mech=CRAM-MD5 user=user ok=yes" "secret file 0600: the relay checked it"
assert_eq "$(tail -1 "$T/st/sessions")" "tls=yes auth=user cert=-" "secret file 0600: over TLS, as the user"
assert_eq "$(route_count st)" "$((n + 1))" "secret file 0600: the relay has it once"
assert_eq "$(mm_queued_ids)" "" "secret file 0600: removed from the queue"

# On loopback PLAIN may go without TLS
rt_route "mail_host = \"127.0.0.1:$pl_PORT\"
tls = off
auth_name = plain
auth_login = user
auth_secret = \"secret word\""
rt_send loopback-plain
assert_contains "$(cat "$T/run.out")" "=> loopback-plain@remote.example route=relay " "PLAIN on loopback without TLS: delivered"
assert_eq "$(rt_sessions pl)" "tls=no auth=user cert=-" "PLAIN on loopback without TLS: in clear, as the user"
assert_eq "$(rt_auth pl)" "mech=PLAIN user=user ok=yes" "PLAIN on loopback without TLS: the relay checked it"
rt_drop

# The rule for addresses that are not loopback (PLAIN and LOGIN only
# with auth_allow_plaintext, CRAM-MD5 always) is left to the unit tests
# /smtp/client/open/auth-cleartext-refused and .../auth-cleartext-allowed:
# a scenario would have to send to an address of this machine that is
# not loopback, and the tests send nothing beyond loopback and network
# namespaces of their own.

mm_pass
