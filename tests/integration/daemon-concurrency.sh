#!/bin/sh
# 50 messages over 10 concurrent SMTP sessions to local users: the
# daemon delivers each exactly once (at most MM_DAEMON_DELIVERIES_MAX
# delivery children at a time, the others waiting), and nothing stays
# in the queue.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
port=$(mm_free_port)
ALIASES="$T/aliases"
# three local names (two of them aliases) that all end in the one real
# user's mailbox, so that deliveries compete for its lock
printf 'alice: %s\nbob: %s\n' "$MM_USER" "$MM_USER" >"$ALIASES"
mm_conf "listen_addresses = \"127.0.0.1:$port\"" "alias_file = \"$ALIASES\""
LOG="$T/log/masqmail.log"

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
pid=$MM_LAST_PID
mm_wait_for "grep -q 'smtp: serving' '$LOG' 2>/dev/null" 10 || mm_fail "the daemon did not start"

out=$(/usr/bin/python3 - "$port" "$MM_USER" <<'PY'
import smtplib, sys, threading
port, user = int(sys.argv[1]), sys.argv[2]
names = [user, "alice", "bob"]
errors = []
def session(k):
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        s.ehlo("client%d.test" % k)
        for i in range(5):
            n = k * 5 + i
            rcpt = "%s@test.example" % names[n % len(names)]
            s.sendmail("sender%d@elsewhere.test" % k, [rcpt],
                       ("Subject: msg-%02d\r\n\r\nbody of msg-%02d\r\n" % (n, n)).encode())
        s.quit()
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=session, args=(k,)) for k in range(10)]
for t in threads: t.start()
for t in threads: t.join()
print("errors", len(errors), errors[:3])
PY
)
assert_status 0 $? "the client ran"
assert_contains "$out" "errors 0" "all 50 messages were accepted"
BOX="$T/mail/$MM_USER"
mm_wait_for "[ \$(grep -c '^Subject: msg-' '$BOX' 2>/dev/null || echo 0) -ge 50 ]" 60
assert_status 0 $? "50 messages arrive"
sleep 1
assert_eq "$(grep -c '^Subject: msg-' "$BOX")" "50" "no more than 50"
assert_eq "$(grep '^Subject: msg-' "$BOX" | sort -u | wc -l)" "50" "each message exactly once"
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 10
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"
assert_eq "$(grep -c ' completed$' "$LOG")" "50" "50 deliveries completed"
assert_eq "$(grep -c 'delivery child pid=' "$LOG")" "50" "one delivery child per message"
kill -TERM "$pid"
wait "$pid"
assert_status 0 $? "the daemon stops with 0"
mm_pass
