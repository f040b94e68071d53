#!/bin/sh
# Memory (issue 7, benchmark 6): the masqmail daemon's RSS idle and
# under S concurrent SMTP sessions (default 50), summed over all its
# processes (the daemon and its SMTP child, and whatever they started),
# next to a private Postfix's (master and all its processes). VmRSS from
# /proc/PID/status counts pages shared between the processes once per
# process; Pss from /proc/PID/smaps_rollup shares them out, so both are
# printed. The sessions come from a Python client that opens them all,
# sends each a message up to half its body and holds it there while the
# figures are sampled; R rounds (default 5). Idle is sampled once the
# daemon's SMTP child has ended (30 s without a session), before the
# sessions and once more after them. Needs root.
#
# The daemon is started as conf/masqmail.service starts it: -bd, which
# detaches (forks) once it is set up. MEMORY_FOREGROUND=1 starts it with
# -bD instead, which does not fork and so keeps the page table entries
# of everything its start-up touched (about 2 MB more RSS, no more Pss).
# MEMORY_LINKS=1 turns link detection on (below); LD_BIND_NOW=1 in the
# environment binds the libraries' symbols at start, as
# conf/masqmail.service does.
# The idle daemon's mappings are listed (Rss, Private_Dirty, Anonymous
# in kB), and, when cc and pkg-config are there, the floor that any
# process mapping the same libraries has (memory-floor.c).
#
#   cd BUILDDIR && SRCDIR/tests/bench/memory.sh [SESSIONS] [RUNS]
: "${MASQMAIL:=$PWD/masqmail}"
. "$(dirname "$0")/../lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/bench/bench-lib.sh"
bench_setup
S=${1:-50}
RUNS=${2:-5}

# $1 and its descendants
tree() {
	echo "$1"
	for _c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		tree "$_c"
	done
}

mm_conf "do_queue = true" "smtp_max_sessions = 200" "smtp_max_sessions_per_client = 200"
# MEMORY_LINKS=1: link detection on, a profile that any Ethernet-like
# link of this host fits (as the daemon runs for a dial-up user)
if [ -n "${MEMORY_LINKS:-}" ]; then
	printf 'mail_host = "127.0.0.1"\ndetect_interfaces = "eth*;en*;wl*;ppp*"\n' >"$T/isp.route"
	mm_conf "query_routes.isp = \"$T/isp.route\""
fi
if [ -n "${MEMORY_FOREGROUND:-}" ]; then
	mm_daemon
else
	MM_PORT=$(mm_free_port)
	mm_conf "listen_addresses = \"127.0.0.1:$MM_PORT\""
	"$MASQMAIL" -C "$MM_CONF" -bd 2>"$T/daemon.err" || mm_fail "the daemon did not start: $(cat "$T/daemon.err")"
	MM_DAEMON_PID=$(cat "$T/run/masqmail.pid")
	wait_port "$MM_PORT" || mm_fail "the daemon does not listen: $(tail "$T/log/masqmail.log")"
fi
pf_setup 25
postconf -c "$PF_CONF" -e "master_service_disable = qmgr/unix" "in_flow_delay = 0" \
	"smtpd_client_connection_count_limit = 0" "smtpd_client_connection_rate_limit = 0"
pf_start
PF_MASTER=$(tr -d ' \n' <"$PF/queue/pid/master.pid")
mm_wait_for "[ \$(tree '$PF_MASTER' | wc -l) -ge 3 ]" 5

# "RSS_KB PSS_KB NPROC" of $1's tree
mem() {
	for _p in $(tree "$1"); do
		_r=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$_p/status" 2>/dev/null)
		_s=$(sed -n 's/^Pss:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$_p/smaps_rollup" 2>/dev/null)
		echo "${_r:-0} ${_s:-0}"
	done | awk '{ r += $1; p += $2; n++ } END { print r, p, n }'
}

cat >"$T/hold.py" <<'PY'
import os, socket, sys, time
port, n, ready, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
body = b"Subject: held\r\n\r\n" + b"x" * 70 + b"\r\n"
socks = []
def expect(s, f, code):
    while True:
        line = f.readline()
        if not line.startswith(code):
            sys.exit("unexpected reply: %r" % line)
        if line[3:4] != b"-":
            return
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    expect(s, f, b"220")
    for cmd, code in ((b"EHLO client.example", b"250"), (b"MAIL FROM:<bench@client.example>", b"250"),
                      (b"RCPT TO:<rcpt@remote.example>", b"250"), (b"DATA", b"354")):
        s.sendall(cmd + b"\r\n")
        expect(s, f, code)
    s.sendall(body * 10)
    socks.append((s, f))
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.02)
for s, f in socks:
    s.sendall(body * 10 + b".\r\n")
    expect(s, f, b"250")
    s.sendall(b"QUIT\r\n")
    s.close()
PY

# the daemon's SMTP child, started for wait_port's probe, ends after
# 30 idle seconds (MM_DAEMON_SMTP_IDLE_SECS): idle is what is left then
mm_wait_for "[ \$(tree '$MM_DAEMON_PID' | wc -l) -eq 1 ]" 45 ||
	echo "# masqmail's SMTP child did not end within 45 s"
bench_machine
echo "# idle daemon pid $MM_DAEMON_PID ($([ -n "${MEMORY_FOREGROUND:-}" ] && echo -bD || echo -bd)), its mappings: Rss Private_Dirty Anonymous (kB)"
awk '/^[0-9a-f]+-[0-9a-f]+ / { n = $6 == "" ? "[anon]" : $6 }
	/^Rss:/ { r[n] += $2 } /^Private_Dirty:/ { d[n] += $2 } /^Anonymous:/ { a[n] += $2 }
	END { for (n in r) if (r[n] > 0) printf "#   %6d %6d %6d %s\n", r[n], d[n], a[n], n }' \
	"/proc/$MM_DAEMON_PID/smaps" | sort -rn -k2
grep -E '^(RssAnon|RssFile|Threads):' "/proc/$MM_DAEMON_PID/status" | sed 's/^/#   /'
if command -v "${CC:-cc}" >/dev/null && pkg-config --exists gio-2.0 libnl-route-3.0 2>/dev/null; then
	for f in glib:glib-2.0: netlink:"glib-2.0 libnl-route-3.0":-DFLOOR_NETLINK \
		gio:"gio-2.0 libnl-route-3.0":"-DFLOOR_NETLINK -DFLOOR_GIO"; do
		name=${f%%:*} rest=${f#*:}
		# shellcheck disable=SC2046,SC2086
		"${CC:-cc}" -O2 ${rest#*:} -o "$T/floor-$name" "$MM_TOP_SRCDIR/tests/bench/memory-floor.c" \
			$(pkg-config --cflags --libs ${rest%%:*}) || continue
		echo "# floor, $name: $("$T/floor-$name" | awk '{ print "RSS " $1 " kB, Pss " $2 " kB after the fork (" $3 " kB before)" }')"
	done
fi
: >"$T/mm.idle"; : >"$T/pf.idle"; : >"$T/mm.load"; : >"$T/pf.load"
# idle first: Postfix's smtpd processes stay after sessions (max_idle)
run=0
while [ $run -lt "$RUNS" ]; do
	run=$((run + 1))
	sleep 0.5
	mem "$MM_DAEMON_PID" >>"$T/mm.idle"
	mem "$PF_MASTER" >>"$T/pf.idle"
	echo "idle $run: masqmail $(tail -n 1 "$T/mm.idle"), Postfix $(tail -n 1 "$T/pf.idle") (RSS kB, PSS kB, processes)"
done
run=0
while [ $run -lt "$RUNS" ]; do
	run=$((run + 1))
	for side in mm pf; do
		port=$([ $side = mm ] && echo "$MM_PORT" || echo "$PF_PORT")
		top=$([ $side = mm ] && echo "$MM_DAEMON_PID" || echo "$PF_MASTER")
		rm -f "$T/ready" "$T/go"
		"$BENCH_PY" "$T/hold.py" "$port" "$S" "$T/ready" "$T/go" &
		hold=$!
		mm_wait_for "[ -e '$T/ready' ]" 60 || mm_fail "$side: $S sessions not open"
		sleep 0.3
		mem "$top" >>"$T/$side.load"
		touch "$T/go"
		wait $hold || mm_fail "$side: the held sessions did not end well"
	done
	echo "run $run: $S sessions masqmail $(tail -n 1 "$T/mm.load") Postfix $(tail -n 1 "$T/pf.load") (RSS kB, PSS kB, processes)"
done
# idle again once the sessions' SMTP child has ended: what the parent
# keeps of the code it ran meanwhile (forks, child watches, the log)
mm_wait_for "[ \$(tree '$MM_DAEMON_PID' | wc -l) -eq 1 ]" 45 ||
	echo "# masqmail's SMTP child did not end within 45 s of the sessions"
mem "$MM_DAEMON_PID" >"$T/mm.after"
for f in mm.idle pf.idle mm.load pf.load; do
	cut -d' ' -f1 "$T/$f" | awk '{ print $1 / 1024 }' >"$T/$f.rss"
	cut -d' ' -f2 "$T/$f" | awk '{ print $1 / 1024 }' >"$T/$f.pss"
	cut -d' ' -f3 "$T/$f" >"$T/$f.n"
done
echo "memory idle, masqmail: RSS MB $(stats "$T/mm.idle.rss"), PSS MB $(stats "$T/mm.idle.pss"), processes $(median "$T/mm.idle.n") (target RSS <= 3 MB)"
echo "memory idle after the sessions, masqmail: RSS MB $(awk '{ print $1 / 1024 }' "$T/mm.after"), PSS MB $(awk '{ print $2 / 1024 }' "$T/mm.after"), processes $(cut -d' ' -f3 "$T/mm.after")"
echo "memory idle, Postfix: RSS MB $(stats "$T/pf.idle.rss"), PSS MB $(stats "$T/pf.idle.pss"), processes $(median "$T/pf.idle.n")"
echo "memory $S sessions, masqmail: RSS MB $(stats "$T/mm.load.rss"), PSS MB $(stats "$T/mm.load.pss"), processes $(median "$T/mm.load.n") (target <= 16 MB)"
echo "memory $S sessions, Postfix: RSS MB $(stats "$T/pf.load.rss"), PSS MB $(stats "$T/pf.load.pss"), processes $(median "$T/pf.load.n")"
exit 0
