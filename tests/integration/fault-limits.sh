#!/bin/sh
# Resource limits and an unwritable spool: the sendmail command line
# under RLIMIT_NOFILE from 3 to 20 descriptors and under a range of
# RLIMIT_AS sizes, and with the spool on a read-only mount, either
# queues the whole message (exit 0) or nothing (exit 75, a reason on
# stderr), and never crashes. The daemon with 24 descriptors and 30
# clients at once accepts what it can, refuses or defers the rest with a
# 4xx reply, queues exactly what it answered with 250, and serves a new
# session afterwards. Under RLIMIT_AS of 24 to 96 MiB the daemon either
# does not start, saying why, or queues exactly what it answered with
# 250.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/lib/fault-lib.sh"
mm_require_cmd prlimit
mm_setup
FAULT_BODY_END="end of the body"
printf 'Subject: limits\n\nsome text\nend of the body\n' >"$T/msg"
crashes=0
accepted=0
lost=0

# check_submit WHAT: the sendmail run's outcome ($status, $T/err) and
# the spool agree; the spool is emptied for the next run
check_submit() {
	if [ $status = 127 ] && grep -q 'error while loading shared libraries' "$T/err"; then
		echo "# $1: masqmail did not start (the dynamic loader gave up)"
		rm -rf "$T/spool/input"
		return
	fi
	crash=$(fault_crashed "$T/err")
	[ -z "$crash" ] && [ "$status" -lt 128 ] || crashes=$((crashes + 1))
	fault_case "$([ -z "$crash" ] && [ "$status" -lt 128 ] && echo 1)" "$1: crashed ($status): $crash"
	problems=$(fault_spool_problems "$T/spool/input")
	fault_case "$([ -z "$problems" ] && echo 1)" "$1: spool: $problems"
	queued=$(ls "$T/spool/input" 2>/dev/null | grep -c -- '-H$')
	case $status in
	0)
		accepted=$((accepted + 1))
		[ "$queued" = 1 ] || lost=$((lost + 1))
		fault_case "$([ "$queued" = 1 ] && echo 1)" "$1: exit 0, $queued queued"
		;;
	75)
		fault_case "$([ "$queued" = 0 ] && echo 1)" "$1: exit 75, $queued queued"
		fault_case "$(grep -q '^masqmail: ' "$T/err" && echo 1)" "$1: exit 75 without a reason"
		;;
	*) fault_case 0 "$1: exit $status: $(head -c 300 "$T/err")" ;;
	esac
	rm -rf "$T/spool/input"
}

# --- descriptors ------------------------------------------------------
nofile_ok=0
for n in 3 4 5 6 7 8 9 10 11 12 14 16 20; do
	# LeakSanitizer needs descriptors of its own at exit
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		prlimit --nofile=$n "$MASQMAIL" -C "$MM_CONF" -odq rcpt@remote.example <"$T/msg" >/dev/null 2>"$T/err"
	status=$?
	[ $status = 0 ] && nofile_ok=$((nofile_ok + 1))
	check_submit "RLIMIT_NOFILE=$n"
done
assert_eq "$([ $nofile_ok -ge 1 ] && echo yes)" yes "some descriptor limits are enough ($nofile_ok)"

# --- address space (not with AddressSanitizer: it maps terabytes) -----
if prlimit --as=$((512 * 1024 * 1024)) "$MASQMAIL" --version >/dev/null 2>&1; then
	for mb in 8 12 16 20 24 32 48 64 128; do
		prlimit --as=$((mb * 1024 * 1024)) "$MASQMAIL" -C "$MM_CONF" -odq rcpt@remote.example \
			<"$T/msg" >/dev/null 2>"$T/err"
		status=$?
		# g_malloc() aborts (SIGTRAP) when memory runs out: GLib's way,
		# with a clear message, and no loss while nothing was queued
		if { [ $status = 133 ] || [ $status = 134 ]; } && grep -q 'failed to allocate' "$T/err" &&
			[ -z "$(ls "$T/spool/input" 2>/dev/null)" ]; then
			echo "# RLIMIT_AS=${mb}M: out of memory, stopped by GLib, nothing queued"
			continue
		fi
		check_submit "RLIMIT_AS=${mb}M"
	done
	as_ok=1
else
	echo "# RLIMIT_AS not checked: the program does not start under a limit of 512M (a sanitizer build)"
	as_ok=0
fi

# --- a read-only spool -------------------------------------------------
if [ "$(id -u)" = 0 ] && mount --bind "$T/spool" "$T/spool" 2>/dev/null; then
	trap 'st=$?; umount "$T/spool" 2>/dev/null; (exit $st); mm_cleanup' EXIT
	mount -o remount,bind,ro "$T/spool" || mm_fail "cannot make the spool read-only"
	"$MASQMAIL" -C "$MM_CONF" -odq rcpt@remote.example <"$T/msg" >/dev/null 2>"$T/err"
	status=$?
	assert_status 75 $status "a read-only spool is a temporary failure"
	assert_contains "$(cat "$T/err")" "Read-only file system" "stderr says why"
	umount "$T/spool"
	trap mm_cleanup EXIT
else
	echo "# a read-only spool not checked: needs root and bind mounts"
fi

# --- the daemon, short of descriptors, 30 clients at once --------------
port=$(mm_free_port)
mm_conf "do_queue = true" "listen_addresses = \"127.0.0.1:$port\"" "smtp_max_sessions = 50" \
	"smtp_max_sessions_per_client = 50"
mm_bg sh -c 'exec prlimit --nofile=24 "$0" -C "$1" -bD 2>"$2"' "$MASQMAIL" "$MM_CONF" "$T/daemon.err"
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' 2>/dev/null" 10 || mm_fail "the daemon did not start"
daemon=$MM_LAST_PID
out=$(/usr/bin/python3 - "$port" <<'EOPY'
import smtplib, sys, threading
port = int(sys.argv[1])
results = []
def client(i):
    try:
        c = smtplib.SMTP("127.0.0.1", port, timeout=30)
        c.ehlo("client%d.test" % i)
        c.mail("sender@elsewhere.test")
        c.rcpt("user@test.example")
        code, text = c.data("Subject: %d\r\n\r\nsome text\r\nend of the body\r\n" % i)
        results.append("%d %s" % (code, text.decode().split("id=")[-1] if code == 250 else ""))
        c.quit()
    except (smtplib.SMTPException, OSError) as e:
        results.append("refused %s" % type(e).__name__)
ts = [threading.Thread(target=client, args=(i,)) for i in range(30)]
for t in ts: t.start()
for t in ts: t.join()
print("\n".join(results))
EOPY
)
ok=$(printf '%s\n' "$out" | sed -n 's/^250 //p')
n_ok=$(printf '%s\n' "$ok" | grep -c .)
n_bad=$(printf '%s\n' "$out" | grep -v -c '^250 ')
echo "# 30 clients: $n_ok accepted, $n_bad refused or deferred"
printf '%s\n' "$out" | grep -v '^250 ' | sort | uniq -c | sed 's/^/# /'
assert_eq "$(printf '%s\n' "$out" | grep -c -E '^(250|4[0-9][0-9]) |^refused ')" 30 "every client got 250, a 4xx or a closed connection"
assert_eq "$(printf '%s\n' "$out" | grep -c -E '^5')" 0 "no permanent refusal"
problems=$(fault_spool_problems "$T/spool/input")
assert_eq "$problems" "" "the spool holds whole messages only"
assert_eq "$(mm_queued_ids | sort | tr '\n' ' ')" "$(printf '%s\n' "$ok" | grep . | sort | tr '\n' ' ')" \
	"exactly the messages answered with 250 are queued"
kill -0 "$daemon" 2>/dev/null
assert_status 0 $? "the daemon still runs"
out=$(/usr/bin/python3 -c '
import smtplib, sys
c = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
print(c.sendmail("sender@elsewhere.test", ["user@test.example"], "Subject: after\r\n\r\nend of the body\r\n"))
' "$port" 2>&1)
assert_eq "$out" "{}" "a new session afterwards is served"
crash=$(fault_crashed "$T/log/masqmail.log" "$T/daemon.err")
assert_eq "$crash" "" "nothing crashed"

missing=0
for id in $ok; do [ -f "$T/spool/input/$id-H" ] || missing=$((missing + 1)); done
[ -n "$crash" ] && crashes=$((crashes + 1))
# --- the daemon under memory limits --------------------------------
# It starts or says why it cannot; once serving, what it answers with
# 250 is queued whole and nothing else.
if [ $as_ok = 1 ]; then
	for mb in 24 32 48 96; do
		rm -rf "$T/spool/input" "$T/run"/* && : >"$T/log/masqmail.log"
		port=$(mm_free_port)
		sed -i "s/^listen_addresses = .*/listen_addresses = \"127.0.0.1:$port\"/" "$MM_CONF"
		sh -c 'exec prlimit --as=$(($3 * 1024 * 1024)) "$0" -C "$1" -bD 2>"$2"' \
			"$MASQMAIL" "$MM_CONF" "$T/daemon-as.err" $mb &
		pid=$!
		if ! mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' || ! kill -0 $pid 2>/dev/null" 10; then
			kill $pid
			mm_fail "RLIMIT_AS=${mb}M: the daemon neither serves nor ends"
		fi
		# its SMTP child, for the clean-up in case it outlives it
		MM_PIDS="$MM_PIDS $(sed -n 's/.*smtp: serving pid=\([0-9]*\) .*/\1/p' "$T/log/masqmail.log")"
		if ! kill -0 $pid 2>/dev/null; then
			wait $pid
			echo "# RLIMIT_AS=${mb}M: the daemon did not start (status $?): $(grep -m 1 'ERROR' "$T/daemon-as.err" || grep -m 1 'masqmail:' "$T/daemon-as.err")"
			fault_case "$(grep -q -E 'GLib-ERROR|masqmail: ' "$T/daemon-as.err" && echo 1)" \
				"RLIMIT_AS=${mb}M: the daemon ended without a word: $(head -c 300 "$T/daemon-as.err")"
			continue
		fi
		out=$(/usr/bin/python3 - "$port" <<'EOPY'
import smtplib, sys
body = "".join("line %05d of a bigger message, to use some memory\r\n" % i for i in range(4000))
try:
    c = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
    c.ehlo("client.test")
    for i in range(5):
        c.mail("sender@elsewhere.test")
        c.rcpt("user@test.example")
        code, text = c.data("Subject: %d\r\n\r\n%send of the body\r\n" % (i, body))
        print("%d %s" % (code, text.decode().split("id=")[-1] if code == 250 else ""))
    c.quit()
except (smtplib.SMTPException, OSError) as e:
    print("refused %s" % type(e).__name__)
EOPY
)
		ok=$(printf '%s\n' "$out" | sed -n 's/^250 //p')
		kill $pid 2>/dev/null
		wait $pid
		st=$?
		echo "# RLIMIT_AS=${mb}M: $(printf '%s\n' "$ok" | grep -c .) of 5 accepted; $(printf '%s\n' "$out" | grep -v '^250' | tr '\n' ' ')"
		problems=$(fault_spool_problems "$T/spool/input")
		fault_case "$([ -z "$problems" ] && echo 1)" "RLIMIT_AS=${mb}M: spool: $problems"
		fault_case "$([ "$(mm_queued_ids | sort | tr '\n' ' ')" = "$(printf '%s\n' "$ok" | grep . | sort | tr '\n' ' ')" ] && echo 1)" \
			"RLIMIT_AS=${mb}M: queued [$(mm_queued_ids | tr '\n' ' ')], answered 250 [$ok]"
		crash=$(fault_crashed "$T/daemon-as.err" "$T/log/masqmail.log")
		fault_case "$([ -z "$crash" ] && echo 1)" "RLIMIT_AS=${mb}M: crashed: $crash"
		[ -n "$crash" ] && crashes=$((crashes + 1))
		accepted=$((accepted + $(printf '%s\n' "$ok" | grep -c .)))
	done
fi

echo "# $FAULT_CASES cases checked, $crashes crashes"
fault_counts $((accepted + n_ok + 1)) 0 $((lost + missing)) 0 $crashes
mm_pass
