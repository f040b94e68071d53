#!/bin/sh
# SIGHUP makes the daemon read its configuration again without closing
# the listening socket: a client that connects afterwards sees the new
# max_msg_size (SIZE) and the new local_hosts, while a client connected
# before keeps its session and finishes its transaction. A broken
# configuration changes nothing and the log says why, with file:line.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
BOX="$T/mail/$MM_USER"
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\"" "max_msg_size = 20000"
LOG="$T/log/masqmail.log"

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
pid=$MM_LAST_PID
mm_wait_for "grep -q 'smtp: serving' '$LOG' 2>/dev/null" 10 || mm_fail "the daemon did not start"
# the listening socket, by its inode
listener() { ss -Hltne "sport = :$port" 2>/dev/null | grep -o 'ino:[0-9]*'; }
ino=$(listener)

out=$(/usr/bin/python3 - "$port" "$pid" "$MM_CONF" "$LOG" "$MM_USER" <<'PY'
import os, signal, smtplib, sys, time
port, pid, conf, log, user = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

def wait_log(text, n=1):
    for _ in range(100):
        if open(log).read().count(text) >= n:
            return True
        time.sleep(0.1)
    return False

old = smtplib.SMTP("127.0.0.1", port, timeout=10)
old.ehlo("old.test")
print("before", old.esmtp_features["size"])
old.mail("a@elsewhere.test")
old.rcpt(user + "@test.example")

text = open(conf).read()
text = text.replace("max_msg_size = 20000", "max_msg_size = 30000")
text = text.replace('local_hosts = "localhost;test.example"', 'local_hosts = "localhost;test.example;other.test"')
open(conf, "w").write(text)
os.kill(pid, signal.SIGHUP)
print("reloaded", wait_log("configuration reloaded") and wait_log("not listening any more"))

new = smtplib.SMTP("127.0.0.1", port, timeout=10)
new.ehlo("new.test")
print("after", new.esmtp_features["size"])
new.sendmail("a@elsewhere.test", [user + "@other.test"], b"Subject: new\r\n\r\nto a new local host\r\n")
new.quit()

# the session from before the reload goes on
code, _ = old.data(b"Subject: old\r\n\r\nfrom the old session\r\n")
print("old data", code)
print("old noop", old.noop()[0])
old.quit()
print("old child ended", wait_log("ended"))

# a broken configuration is refused and the old one stays
open(conf, "a").write("no_such_option = 1\n")
lines = len(open(conf).read().splitlines())
os.kill(pid, signal.SIGHUP)
print("refused", wait_log("configuration not reloaded"))
print("where", "%s:%d:" % (conf, lines) in open(log).read())
again = smtplib.SMTP("127.0.0.1", port, timeout=10)
again.ehlo("again.test")
print("still", again.esmtp_features["size"])
again.quit()
PY
)
assert_status 0 $? "the smtplib client ran"
assert_contains "$out" "before 20000" "SIZE before the reload"
assert_contains "$out" "reloaded True" "the reload is logged"
assert_contains "$out" "after 30000" "a new connection sees the new max_msg_size"
assert_contains "$out" "old data 250" "the session from before the reload finishes its transaction"
assert_contains "$out" "old noop 250" "and goes on"
assert_contains "$out" "old child ended True" "the old SMTP child ends with its last session"
assert_contains "$out" "refused True" "a broken configuration is not taken"
assert_contains "$out" "where True" "the log names file:line of the error"
assert_contains "$out" "still 30000" "the configuration in use stays"
if command -v ss >/dev/null 2>&1; then
	assert_contains "$ino" "ino:" "the listening socket is seen"
	assert_eq "$(listener)" "$ino" "the listening socket is the same one"
fi
mm_wait_for "grep -q 'to a new local host' '$BOX' 2>/dev/null" 10
assert_status 0 $? "mail to the new local host is delivered locally"
mm_wait_for "grep -q 'from the old session' '$BOX' 2>/dev/null" 10
assert_status 0 $? "the message of the old session is delivered"
kill -0 "$pid"
assert_status 0 $? "the daemon still runs"
assert_eq "$(grep -c 'daemon started' "$T/log/masqmail.log")" "1" "the daemon itself was not restarted"
kill -TERM "$pid"
wait "$pid"
assert_status 0 $? "SIGTERM stops the daemon"
mm_pass
