#!/bin/sh
# The SMTP server against swaks: a plain session, PIPELINING, STARTTLS
# with a certificate of a test CA (verified by the client), and AUTH
# PLAIN, LOGIN and CRAM-MD5. Every message accepted is in the spool
# exactly once.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_cmd swaks certtool
mm_setup
# the spool is checked after each session: keep what the daemon accepts there
mm_conf "do_queue = true"
port=$(mm_free_port)
sh "$MM_TOP_SRCDIR/tests/lib/make-test-ca.sh" "$T/ca" >/dev/null || mm_skip "cannot make a test CA"
printf 'alice:wonderland\nbob:b0b secret\n' >"$T/secrets"
chmod 600 "$T/secrets"
mm_conf "listen_addresses = \"127.0.0.1:$port\"" \
	"tls_cert_file = \"$T/ca/server.pem\"" \
	"tls_key_file = \"$T/ca/server-key.pem\"" \
	"auth_secrets_file = \"$T/secrets\"" \
	"relay_networks = \"192.0.2.0/24\""

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "[ -f '$T/run/masqmail.pid' ]" 10 || mm_fail "the daemon did not start"
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log'" 10 || mm_fail "no SMTP child"

sw() {
	swaks --server 127.0.0.1 --port "$port" --helo client.test --from sender@elsewhere.test "$@" 2>&1
}

out=$(sw --to user@test.example --header "Subject: plain")
assert_status 0 $? "swaks: plain session"
assert_contains "$out" "250 2.0.0 OK id=" "the message is acknowledged with its id"

out=$(sw --to user@test.example --pipeline --header "Subject: pipelining")
assert_status 0 $? "swaks --pipeline"
assert_contains "$out" "PIPELINING" "PIPELINING is offered"

out=$(sw --to user@test.example --tls --tls-verify --tls-ca-path "$T/ca/ca.pem" --header "Subject: tls")
assert_status 0 $? "swaks: STARTTLS with the test CA, verified"
assert_contains "$out" "220 2.0.0 ready to start TLS" "STARTTLS is accepted"

for mech in PLAIN LOGIN; do
	out=$(sw --to someone@remote.test --tls --tls-ca-path "$T/ca/ca.pem" --auth $mech \
		--auth-user alice --auth-password wonderland --header "Subject: auth $mech")
	assert_status 0 $? "swaks: AUTH $mech under TLS relays for alice"
	assert_contains "$out" "235 2.7.0" "AUTH $mech succeeds"
done
out=$(sw --to someone@remote.test --auth CRAM-MD5 --auth-user bob --auth-password "b0b secret" \
	--header "Subject: auth CRAM-MD5")
assert_status 0 $? "swaks: AUTH CRAM-MD5 without TLS"
assert_contains "$out" "235 2.7.0" "AUTH CRAM-MD5 succeeds"

out=$(sw --to someone@remote.test --tls --tls-ca-path "$T/ca/ca.pem" --auth PLAIN \
	--auth-user alice --auth-password wrong)
assert_contains "$out" "535 5.7.8" "a wrong password gets 535 5.7.8"

# loopback is in no relay network here: without AUTH a remote
# recipient is refused
out=$(sw --to someone@remote.test)
assert_contains "$out" "550 5.7.1" "no relaying without AUTH from outside the relay networks"

n=$(mm_queued_ids | wc -l)
assert_eq "$n" 6 "six messages accepted, six in the spool"
subjects=$(cat "$T"/spool/input/*-H | grep '^HD:Subject:' | sort | uniq -c | awk '$1 != 1' | wc -l)
assert_eq "$subjects" 0 "each message is in the spool once"
assert_contains "$(cat "$T"/spool/input/*-H)" "with ESMTPSA" "Received: names TLS and AUTH"
assert_contains "$(cat "$T"/spool/input/*-H)" "authenticated as alice" "Received: names the user"
mm_pass
