#!/bin/sh
# Many messages over several concurrent sessions with postfix's
# smtp-source, with and without PIPELINING: every message arrives in
# the spool exactly once, and the daemon keeps serving.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
command -v smtp-source >/dev/null 2>&1 || [ -x /usr/sbin/smtp-source ] ||
	mm_skip "needs postfix's smtp-source (build-aux/deps installs it)"
PATH=$PATH:/usr/sbin
mm_setup
# the spool is checked after each session: keep what the daemon accepts there
mm_conf "do_queue = true"
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\"" "smtp_max_sessions_per_client = 20"
mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' 2>/dev/null" 10 || mm_fail "the daemon did not start"

# 200 messages over 8 sessions at a time, one message per connection,
# then 100 over 5 sessions that each send several (-C 10)
smtp-source -s 8 -m 200 -l 2000 -f sender@elsewhere.test -t user@test.example -M client.test \
	127.0.0.1:$port
assert_status 0 $? "smtp-source: 200 messages, 8 sessions"
smtp-source -s 5 -m 100 -C 10 -r 3 -f sender@elsewhere.test -t user@test.example -M client.test \
	127.0.0.1:$port
assert_status 0 $? "smtp-source: 100 messages, 5 sessions, 3 recipients each"
smtp-source -d -s 4 -m 40 -f sender@elsewhere.test -t user@test.example -M client.test 127.0.0.1:$port
assert_status 0 $? "smtp-source -d (no PIPELINING): 40 messages"

assert_eq "$(mm_queued_ids | wc -l)" 340 "340 messages in the spool"
assert_eq "$(mm_queued_ids | sort | uniq -d | wc -l)" 0 "no message id twice"
queued=$(grep -c ' queued from=' "$T/log/masqmail.log")
assert_eq "$queued" 340 "340 messages logged as queued, none twice"
assert_eq "$(ls "$T/spool/input" | grep -c -- '-D$')" 340 "every envelope has its data"
mm_pass
