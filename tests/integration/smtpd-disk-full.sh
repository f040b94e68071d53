#!/bin/sh
# Disk full during DATA, through the real daemon. The spool is a small
# tmpfs; clients send messages until it is full. The message that does
# not fit gets 452 4.3.1 and leaves nothing behind (no -D without its
# -H, no temporary file), every message that got 250 is whole and
# listed by mailq, the session and the daemon go on, and once there is
# room again a new message is accepted.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_root
mm_require_cmd mount umount /usr/bin/python3
mm_setup
# the spool is a mount point now: unmount it before lib.sh removes $T
trap 'st=$?; umount -l "$T/spool" 2>/dev/null; (exit $st); mm_cleanup' EXIT
mount -t tmpfs -o size=200k,mode=0755 tmpfs "$T/spool" 2>/dev/null || mm_skip "cannot mount a tmpfs"
mm_conf "do_queue = true"
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\""

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "[ -f '$T/run/masqmail.pid' ]" 10 || mm_fail "the daemon did not start"
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log'" 10 || mm_fail "no SMTP child"
daemon=$(cat "$T/run/masqmail.pid")

# send MAX SIZE...: for each size, one session that sends messages of
# that many octets of body until one is refused (at most MAX), then a
# NOOP in the same session. Prints "250 UID", "452 4.3.1 ..." and "NOOP 250" lines.
send() {
	/usr/bin/python3 - "$port" "$@" <<'EOPY'
import smtplib, sys
port, most = int(sys.argv[1]), int(sys.argv[2])
n = 0
for size in map(int, sys.argv[3:]):
    c = smtplib.SMTP("127.0.0.1", port, timeout=60)
    c.ehlo("client.test")
    for _ in range(most):
        n += 1
        body = ("x" * 76 + "\r\n") * (size // 78) + "end\r\n"
        msg = "Subject: fill %d\r\n\r\n%s" % (n, body)
        c.mail("sender@elsewhere.test")
        c.rcpt("user@test.example")
        code, text = c.data(msg)
        text = text.decode()
        if code == 250:
            print("250 " + text.split("id=")[-1])
        else:
            print("%d %s" % (code, text))
            break
    code, _ = c.noop()
    print("NOOP %d" % code)
    c.quit()
EOPY
}

# big messages first, then small ones for the last pages: one of these
# finds room for its -D but not for its -H
out=$(send 100 30000 8000 200)
assert_status 0 $? "the clients ran"
printf '%s\n' "$out" | sed 's/^/# /'
accepted=$(printf '%s\n' "$out" | sed -n 's/^250 //p')
n_ok=$(printf '%s\n' "$accepted" | grep -c .)
n_full=$(printf '%s\n' "$out" | grep -c '^452 4\.3\.1 ')
assert_eq "$([ "$n_ok" -ge 3 ] && echo yes)" yes "several messages fitted ($n_ok)"
assert_eq "$n_full" 3 "each session's message that did not fit got 452 4.3.1"
assert_eq "$(printf '%s\n' "$out" | grep -c '^NOOP 250$')" 3 "each session goes on after the 452"

# nothing half-written: only pairs of -H and -D, no temporary files
stray=$(ls -A "$T/spool/input" | grep -v -e '-H$' -e '-D$')
assert_eq "$stray" "" "no temporary files in spool/input"
lonely=""
for d in "$T"/spool/input/*-D; do
	[ -f "${d%-D}-H" ] || lonely="$lonely $(basename "$d")"
done
assert_eq "$lonely" "" "no -D without its -H"
assert_eq "$(mm_queued_ids | sort | tr '\n' ' ')" "$(printf '%s\n' "$accepted" | sort | tr '\n' ' ')" \
	"exactly the messages that got 250 are in the spool"

# all of them readable, and listed by mailq
listing=$(mm -bp 2>&1)
missing=""
for id in $accepted; do
	case "$listing" in *"$id"*) ;; *) missing="$missing $id" ;; esac
	tail -n 1 "$T/spool/input/$id-D" | grep -q '^end$' || missing="$missing $id(body)"
done
assert_eq "$missing" "" "mailq lists every accepted message, each with its whole body"
assert_contains "$(cat "$T/log/masqmail.log")" "message not queued" "the log says why"
# with these sizes one message is refused while writing its envelope,
# after its -D was written: that -D must be gone as well
assert_eq "$(grep -c 'message not queued: .*-H[^ ]*: No space' "$T/log/masqmail.log")" 1 \
	"one message ran out of room in its -H"
kill -0 "$daemon" 2>/dev/null
assert_status 0 $? "the daemon still runs"

# room again: a new session, a new message
mount -o remount,size=2m "$T/spool" || mm_fail "cannot grow the tmpfs"
out=$(send 1 200)
assert_contains "$out" "250 " "with room again a new message is accepted"
new=$(printf '%s\n' "$out" | sed -n 's/^250 //p')
assert_eq "$([ -n "$new" ] && [ -f "$T/spool/input/$new-H" ] && [ -f "$T/spool/input/$new-D" ] && echo yes)" yes \
	"its files are in the spool"
assert_eq "$(mm_queued_ids | wc -l)" "$((n_ok + 1))" "the earlier messages are still there"
mm_pass
