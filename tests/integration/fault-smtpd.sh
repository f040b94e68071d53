#!/bin/sh
# A fault at every write of an SMTP intake into the daemon: strace,
# attached to the daemon's SMTP child for one session, fails the Nth
# write, open, rename or fsync of that session (N = 1, 2, ... until the
# session no longer makes an Nth call). Each session's message either
# gets 250 and is then whole in the spool, or gets a 4xx reply (or the
# connection ends) and leaves nothing in the spool; never a 5xx. After
# each case the daemon still runs and a new session's message is
# accepted. FAULT_SMTPD_SPECS chooses the system calls.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/lib/fault-lib.sh"
fault_strace_ok
mm_require_cmd ps
mm_setup
SPECS=${FAULT_SMTPD_SPECS:-"write:error=ENOSPC openat:error=ENOSPC rename:error=EIO
fsync:error=EIO fdatasync:error=EIO"}
FAULT_BODY_END="end of the body"
port=$(mm_free_port)
mm_conf "do_queue = true" "listen_addresses = \"127.0.0.1:$port\""
mm_bg sh -c 'exec "$0" -C "$1" -bD 2>"$2"' "$MASQMAIL" "$MM_CONF" "$T/daemon.err"
daemon=$MM_LAST_PID
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' 2>/dev/null" 10 || mm_fail "the daemon did not start"

cat >"$T/client.py" <<'EOPY'
import smtplib, sys
port, n = int(sys.argv[1]), sys.argv[2]
try:
    c = smtplib.SMTP("127.0.0.1", port, timeout=30)
    c.ehlo("client.test")
    c.mail("sender@elsewhere.test")
    c.rcpt("user@test.example")
    body = "".join("line %05d of the message\r\n" % i for i in range(200))
    code, text = c.data("Subject: %s\r\n\r\n%send of the body\r\n" % (n, body))
    print("%d %s" % (code, text.decode().split("id=")[-1] if code == 250 else text.decode()))
    try:
        c.quit()
    except (smtplib.SMTPException, OSError):
        pass
except smtplib.SMTPServerDisconnected as e:
    print("disconnected %s" % e)
except (smtplib.SMTPException, OSError) as e:
    print("error %s %s" % (type(e).__name__, e))
EOPY

smtp_child() {
	for p in $(ps -o pid= --ppid "$daemon"); do
		grep -q "smtp: serving pid=$p " "$T/log/masqmail.log" && echo "$p"
	done | tail -n 1
}

accepted=0
refused=0
crashes=0
lost=0
duplicates=0
for spec in $SPECS; do
	n=0
	while :; do
		n=$((n + 1))
		what="$spec when=$n"
		rm -f "$T"/spool/input/*
		child=$(smtp_child)
		[ -n "$child" ] || mm_fail "$what: no SMTP child"
		set=${spec%%:*}
		strace -f -y -qq -p "$child" -e "trace=$set" -e "inject=$spec:when=$n" -o "$T/trace" 2>"$T/strace.err" &
		tracer=$!
		mm_wait_for "grep -q '^TracerPid:[[:space:]]*[1-9]' /proc/$child/status" 10 ||
			mm_fail "$what: strace did not attach"
		out=$(/usr/bin/python3 "$T/client.py" "$port" "$what")
		kill "$tracer" 2>/dev/null
		wait "$tracer" 2>/dev/null
		grep -q '(INJECTED)' "$T/trace" || break
		crash=$(fault_crashed "$T/trace" "$T/daemon.err")
		if [ -n "$crash" ]; then
			crashes=$((crashes + 1))
			fault_case 0 "$what: crashed: $crash"
			break
		fi
		problems=$(fault_spool_problems "$T/spool/input")
		fault_case "$([ -z "$problems" ] && echo 1)" "$what: spool: $problems"
		queued=$(mm_queued_ids)
		case "$out" in
		"250 "*)
			accepted=$((accepted + 1))
			[ "$queued" = "${out#250 }" ] || lost=$((lost + 1))
			fault_case "$([ "$queued" = "${out#250 }" ] && echo 1)" "$what: 250 for [${out#250 }], queued [$queued]"
			;;
		4[0-9][0-9]" "* | disconnected* | "error ConnectionResetError"*)
			refused=$((refused + 1))
			hit=$(grep '(INJECTED)' "$T/trace" | head -n 1)
			if [ -n "$queued" ]; then
				case "$out $hit" in
				disconnected*socket:*"250 "*)
					# the 250 itself could not be sent: queued,
					# and the client will send it again
					duplicates=$((duplicates + 1))
					echo "# $what: queued, its 250 lost on the way"
					;;
				*) fault_case 0 "$what: [$out], yet queued [$queued]: $hit" ;;
				esac
			fi
			;;
		*) fault_case 0 "$what: [$out]" ;;
		esac
		kill -0 "$daemon" 2>/dev/null || mm_fail "$what: the daemon is gone: $(tail -n 5 "$T/daemon.err")"
		rm -f "$T"/spool/input/*
		mm_wait_for '[ -n "$(smtp_child)" ]' 10 || mm_fail "$what: no SMTP child afterwards"
		again=$(/usr/bin/python3 "$T/client.py" "$port" "after $what")
		fault_case "$(case "$again" in "250 "*) echo 1 ;; esac)" "$what: the next session got [$again]"
	done
done
echo "# $FAULT_CASES cases checked: $accepted accepted, $refused refused, $duplicates 250s lost, $crashes crashes"
fault_counts $accepted 0 $lost $duplicates $crashes
assert_eq "$([ "$FAULT_CASES" -ge 10 ] && echo yes)" yes "the faults hit ($FAULT_CASES cases)"
mm_pass
