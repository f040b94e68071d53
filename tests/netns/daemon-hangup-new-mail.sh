#!/bin/sh
# A hang-up while the daemon delivers a message that just came in over
# SMTP (not a queue run): the transfer to the relay stops at once,
# without waiting for TCP; the local recipient has the message; the
# remote one stays pending and the relay has nothing; a local delivery
# running at the same moment finishes undisturbed; the next dial-up
# sends the message exactly once and delivers nothing locally again.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/netns/daemon-lib.sh"
nd_enter_netns "$@"
dl_setup

BOX="$T/mail/$MM_USER"
dl_relay isp 10.0.0.2
dl_route isp "mail_host = \"10.0.0.2:$DL_PORT\""
mm_conf "query_routes.isp = \"$T/isp.route\""

# A local delivery that takes its time: it is under way when the line
# is cut, and must neither be cut off nor repeated.
mkdir -m 777 "$T/out"
cat >"$T/slowpipe" <<EOS
#!/bin/sh
: >"$T/out/started"
sleep 2
cat >>"$T/out/slow-msg"
EOS
chmod 755 "$T/slowpipe"
printf 'slow: |%s\n' "$T/slowpipe" >"$T/aliases"
mm_conf "alias_file = \"$T/aliases\""

# As daemon-hangup.sh: the relay is on lo, where cutting the link does
# not cut the wire; small socket buffers keep the client writing until
# it is stopped, as over a real line.
sysctl -q -w net.ipv4.tcp_wmem='4096 16384 65536' net.ipv4.tcp_rmem='4096 16384 65536' ||
	mm_fail "cannot set the socket buffers"
dl_daemon

dl_dial ppp0 10.0.0.1 10.0.0.2
ip route add default dev ppp0
mm_wait_for "grep -q 'run: isp finished' '$DL_LOG'" 10 || mm_fail "no run on the dial-up"

# $1: the recipients, comma-separated; $2: the size in lines of 79
# bytes (about 2 MB for 26000: far more than the socket buffers hold
# while the relay reads slowly)
smtp_send() {
	"$DL_PY" - "$DL_SMTP_PORT" "$MM_USER@test.example" "$1" "$2" <<'EOF'
import smtplib, sys
port, sender, rcpts, lines = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
body = "".join("%05d %s\r\n" % (i, "x" * 72) for i in range(lines))
msg = "Subject: %d lines\r\n\r\n%s" % (lines, body)
with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
    s.sendmail(sender, rcpts, msg)
EOF
}

touch "$T/isp/slow"
smtp_send "far@remote.example,$MM_USER@test.example" 26000
assert_status 0 $? "the daemon accepts a large message for a remote and a local recipient"
uid=$(mm_queued_ids)
assert_eq "$(echo "$uid" | grep -c .)" 1 "it is in the queue while it is delivered"
mm_wait_for "grep -q connect '$T/isp/connections'" 10 || mm_fail "the delivery did not connect to the relay"
# local results come first, remote ones after them
mm_wait_for "grep -q '^Subject: 26000 lines' '$BOX' 2>/dev/null" 10
assert_eq "$(grep -c '^Subject: 26000 lines' "$BOX" 2>/dev/null)" 1 "the local recipient has it before the line is cut"

smtp_send slow@test.example 10
assert_status 0 $? "a message for the slow pipe"
mm_wait_for "[ -e '$T/out/started' ]" 10 || mm_fail "the slow pipe did not start"

# well into the message data, with the relay reading slowly
sleep 1
assert_eq "$(dl_count isp)" 0 "the relay is still reading"
ip route del default dev ppp0
mm_wait_for "grep -q '$uid == far@remote.example deferred: the link went down' '$DL_LOG'" 3
assert_contains "$(dl_log)" "$uid == far@remote.example deferred: the link went down" \
	"the transfer stops within seconds of the hang-up, with the reason"
assert_contains "$(dl_log)" "$uid: delivery child pid=" "the delivery child was told"
mm_wait_for "[ \"\$(mm_queued_ids)\" = '$uid' ]" 10
assert_eq "$(mm_queued_ids)" "$uid" "the message stays queued, the other one is done"
h=$(cat "$T/spool/input/$uid-H")
assert_contains "$h" "RT: <far@remote.example>" "the remote recipient is still pending"
assert_contains "$h" "RT:X<$MM_USER@test.example>" "the local one is marked delivered"
assert_eq "$(dl_count isp)" 0 "the relay has no message"
assert_eq "$(grep -c '^Subject: 26000 lines' "$BOX")" 1 "the local recipient has it once"
assert_eq "$(grep -c '^00009 x' "$T/out/slow-msg" 2>/dev/null)" 1 \
	"the local delivery under way finished undisturbed"
assert_not_contains "$(dl_log)" "killed by signal" "no delivery child was killed"

# the next dial-up, at full speed: out exactly once
rm -f "$T/isp/slow"
ip route add default dev ppp0
mm_wait_for "[ \$(dl_count isp) -ge 1 ]" 20
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 5
assert_eq "$(mm_queued_ids)" "" "after the next dial-up the queue is empty"
assert_eq "$(dl_count isp)" 1 "the message arrived exactly once"
assert_contains "$(dl_received isp)" "25999 xxxx" "and whole"
assert_contains "$(dl_received isp)" "RCPT TO:<far@remote.example>" "for the remote recipient"
assert_not_contains "$(dl_received isp)" "RCPT TO:<$MM_USER@test.example>" "not for the local one"
assert_contains "$(dl_log)" "run: isp finished messages=1 delivered=1 deferred=0 failed=0" "the run says so"
assert_eq "$(grep -c '^Subject: 26000 lines' "$BOX")" 1 "the local recipient still has it once"
dl_stop_daemon
mm_pass
