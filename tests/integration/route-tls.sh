#!/bin/sh
# TLS to the relay of a permanent route, with real mail: queued with
# -odq, sent by -q, checked on the relay (it arrived once, and the
# relay saw an encrypted session) and in the spool (gone when
# delivered; still pending, with the reason in the log, when not).
# STARTTLS required with the test CA, without it (the system trust
# store does not know the CA), against a relay that offers no STARTTLS;
# opportunistic TLS that encrypts without checking, unless the route
# logs in; SMTPS on a port of its own; a client certificate.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-tls-lib.sh"
rt_setup
rt_relay st starttls --client-ca "$T/ca/ca.pem"
rt_relay pl plain
rt_relay ss smtps
echo "# remote delivery in the worker as the mail user: $RT_WORKER"

# STARTTLS required, verified against the test CA: delivered, once,
# encrypted; the log names the TLS session
rt_route "mail_host = \"localhost:$st_PORT\"
tls = required
tls_ca_file = \"$T/ca/ca.pem\""
rt_send required-ca
assert_status 0 $? "required with the CA: queue run"
assert_contains "$(cat "$T/run.out")" "=> required-ca@remote.example route=relay " "required with the CA: delivered"
assert_eq "$(route_count st)" "1" "required with the CA: the relay has it once"
assert_eq "$(rt_sessions st)" "tls=yes auth=- cert=-" "required with the CA: over TLS"
assert_contains "$(cat "$T/run.out")" "route=relay host=localhost[127.0.0.1]:$st_PORT connected protocol=esmtp tls=TLS" \
	"required with the CA: the log names the TLS session"
assert_eq "$(mm_queued_ids)" "" "required with the CA: removed from the queue"

# without the CA the system trust store is used, which does not know
# the test CA: nothing is sent, the message waits and the log says why
rt_route "mail_host = \"localhost:$st_PORT\"
tls = required"
rt_send required-noca
assert_status 0 $? "required without the CA: the queue run itself succeeds"
assert_contains "$(cat "$T/run.out")" "$RT_ID == required-noca@remote.example deferred: " \
	"required without the CA: deferred"
assert_contains "$(cat "$T/run.out")" "certificate verification failed" "required without the CA: the log says why"
assert_eq "$(rt_pending)" "required-noca@remote.example" "required without the CA: still pending"
assert_eq "$(route_count st)" "1" "required without the CA: nothing sent"
# the CA given, the next run sends it, once
rt_route "mail_host = \"localhost:$st_PORT\"
tls = required
tls_ca_file = \"$T/ca/ca.pem\""
route_run
assert_contains "$(cat "$T/run.out")" "=> required-noca@remote.example route=relay " "with the CA given: delivered"
assert_eq "$(route_count st)" "2" "with the CA given: the relay has it once"
assert_eq "$(mm_queued_ids)" "" "with the CA given: the queue is empty"

# a CA that did not sign the relay's certificate is no better
rt_route "mail_host = \"localhost:$st_PORT\"
tls = required
tls_ca_file = \"$T/ca/other-ca.pem\""
rt_send required-other-ca
assert_contains "$(cat "$T/run.out")" "certificate verification failed" "another CA: verification fails"
assert_eq "$(rt_pending)" "required-other-ca@remote.example" "another CA: still pending"
assert_eq "$(route_count st)" "2" "another CA: nothing sent"
rt_drop

# tls_verify = false: encrypted without any check (for tests only)
rt_route "mail_host = \"localhost:$st_PORT\"
tls = required
tls_verify = false"
rt_send required-noverify
assert_contains "$(cat "$T/run.out")" "=> required-noverify@remote.example route=relay " "tls_verify off: delivered"
assert_eq "$(sed -n 3p "$T/st/sessions")" "tls=yes auth=- cert=-" "tls_verify off: over TLS"
rt_drop

# required, but the relay offers no STARTTLS: never sent in clear
rt_route "mail_host = \"localhost:$pl_PORT\"
tls = required
tls_ca_file = \"$T/ca/ca.pem\""
rt_send required-notls
assert_contains "$(cat "$T/run.out")" "$RT_ID == required-notls@remote.example deferred: " \
	"no STARTTLS offered: deferred"
assert_contains "$(cat "$T/run.out")" "does not offer STARTTLS" "no STARTTLS offered: the log says why"
assert_eq "$(rt_pending)" "required-notls@remote.example" "no STARTTLS offered: still pending"
assert_eq "$(route_count pl)" "0" "no STARTTLS offered: nothing sent in clear"
rt_drop

# opportunistic, a certificate nobody vouches for: encrypted without
# checking (masqmail.route(5), tls_verify), so delivered
rt_route "mail_host = \"localhost:$st_PORT\"
tls = opportunistic"
rt_send opportunistic
assert_contains "$(cat "$T/run.out")" "=> opportunistic@remote.example route=relay " "opportunistic: delivered"
assert_eq "$(route_count st)" "4" "opportunistic: the relay has it once"
assert_eq "$(tail -1 "$T/st/sessions")" "tls=yes auth=- cert=-" "opportunistic: over TLS"
assert_eq "$(mm_queued_ids)" "" "opportunistic: removed from the queue"

# the same with a login: credentials go only to a checked server
rt_route "mail_host = \"localhost:$st_PORT\"
tls = opportunistic
auth_name = plain
auth_login = user
auth_secret = \"secret word\""
rt_send opportunistic-auth
assert_contains "$(cat "$T/run.out")" "$RT_ID == opportunistic-auth@remote.example deferred: " \
	"opportunistic with a login: deferred"
assert_contains "$(cat "$T/run.out")" "certificate verification failed" "opportunistic with a login: the log says why"
assert_eq "$(rt_pending)" "opportunistic-auth@remote.example" "opportunistic with a login: still pending"
assert_eq "$(route_count st)" "4" "opportunistic with a login: nothing sent"
assert_eq "$(rt_auth st)" "" "opportunistic with a login: no AUTH was tried"
rt_drop

# opportunistic against a relay without STARTTLS: in clear, as 1.0
rt_route "mail_host = \"localhost:$pl_PORT\"
tls = opportunistic"
rt_send opportunistic-plain
assert_contains "$(cat "$T/run.out")" "=> opportunistic-plain@remote.example route=relay " \
	"opportunistic, no STARTTLS offered: delivered"
assert_eq "$(rt_sessions pl)" "tls=no auth=- cert=-" "opportunistic, no STARTTLS offered: in clear"
rt_drop

# SMTPS: TLS from the first byte, on the relay's own port
rt_route "mail_host = \"localhost:$ss_PORT\"
tls = smtps
tls_ca_file = \"$T/ca/ca.pem\""
rt_send smtps
assert_contains "$(cat "$T/run.out")" "=> smtps@remote.example route=relay " "SMTPS: delivered"
assert_eq "$(route_count ss)" "1" "SMTPS: the relay has it once"
assert_eq "$(rt_sessions ss)" "tls=yes auth=- cert=-" "SMTPS: over TLS"
assert_eq "$(mm_queued_ids)" "" "SMTPS: removed from the queue"
rt_route "mail_host = \"localhost:$ss_PORT\"
tls = smtps"
rt_send smtps-noca
assert_contains "$(cat "$T/run.out")" "certificate verification failed" "SMTPS without the CA: the log says why"
assert_eq "$(rt_pending)" "smtps-noca@remote.example" "SMTPS without the CA: still pending"
assert_eq "$(route_count ss)" "1" "SMTPS without the CA: nothing sent"
rt_drop

# a client certificate, for a relay that asks for one
rt_route "mail_host = \"localhost:$st_PORT\"
tls = required
tls_ca_file = \"$T/ca/ca.pem\"
tls_cert_file = \"$T/ca/client.pem\"
tls_key_file = \"$T/ca/client-key.pem\""
rt_send client-cert
assert_contains "$(cat "$T/run.out")" "=> client-cert@remote.example route=relay " "client certificate: delivered"
assert_eq "$(tail -1 "$T/st/sessions")" "tls=yes auth=- cert=client.test" "client certificate: the relay saw it"
rt_drop

mm_pass
