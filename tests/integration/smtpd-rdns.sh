#!/bin/sh
# The client's name in Received:. The daemon runs in a mount namespace
# with its own /etc/hosts (127.0.0.1 is localhost) and resolv.conf,
# whose name server is a small one on loopback that knows no PTR for
# 127.0.0.2 and never answers for 127.0.0.3. Clients connect from each
# of these addresses: the first gets its name, forward-confirmed through
# /etc/hosts; the second "unknown"; the third "unknown" too, after the
# lookup's time limit, and the greeting does not wait for it.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_root
mm_require_cmd unshare mount /usr/bin/python3
unshare -m true 2>/dev/null || mm_skip "cannot make a mount namespace"
mm_setup
mm_conf "do_queue = true"
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\""

printf '127.0.0.1 localhost\n' >"$T/hosts"
printf 'nameserver 127.0.0.9\noptions timeout:30 attempts:1\n' >"$T/resolv.conf"

# A name server for the reverse zone of 127.0.0.0/8: NXDOMAIN for
# 127.0.0.2, silence for 127.0.0.3.
cat >"$T/dns.py" <<'EOPY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.9", 53))
except OSError as e:
    print("cannot bind 127.0.0.9:53:", e, file=sys.stderr)
    sys.exit(1)
open(sys.argv[1], "w").write("ready\n")
while True:
    q, peer = s.recvfrom(512)
    labels, i = [], 12
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    name = ".".join(labels).lower()
    with open(sys.argv[2], "a") as log:
        log.write(name + "\n")
    if name.startswith("3.0.0.127."):
        continue
    # the question back, flags: response, recursion available, NXDOMAIN
    s.sendto(q[:2] + b"\x81\x83" + q[4:6] + b"\0\0\0\0\0\0" + q[12:i + 5], peer)
EOPY
mm_bg /usr/bin/python3 "$T/dns.py" "$T/dns.ready" "$T/dns.log"
mm_wait_for "[ -f '$T/dns.ready' ]" 10 || mm_skip "no name server on 127.0.0.9:53 for the test"

mm_bg unshare -m sh -c 'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && exec "$3" -C "$4" -bD' \
	sh "$T/hosts" "$T/resolv.conf" "$MASQMAIL" "$MM_CONF"
mm_wait_for "[ -f '$T/run/masqmail.pid' ]" 10 || mm_fail "the daemon did not start"
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log'" 10 || mm_fail "no SMTP child"

# send SOURCE SUBJECT: prints the seconds to the greeting and to the 250
send() {
	/usr/bin/python3 - "$port" "$1" "$2" <<'EOPY'
import smtplib, sys, time
port, source, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t0 = time.monotonic()
c = smtplib.SMTP("127.0.0.1", port, source_address=(source, 0), timeout=60)
greeted = time.monotonic() - t0
c.ehlo("client.test")
c.sendmail("sender@elsewhere.test", ["user@test.example"],
           "Subject: %s\r\n\r\nbody\r\n" % subject)
done = time.monotonic() - t0
c.quit()
print("%.1f %.1f" % (greeted, done))
EOPY
}

# the -H file of the message with subject $1
spool_of() {
	grep -l "^HD:Subject: $1\$" "$T"/spool/input/*-H 2>/dev/null | head -n 1
}

out=$(send 127.0.0.1 named)
assert_status 0 $? "a message from 127.0.0.1"
h=$(spool_of named)
assert_contains "$(cat "$h")" "HD:Received: from client.test (localhost [127.0.0.1])" \
	"127.0.0.1 is localhost in Received:, confirmed by /etc/hosts"
assert_contains "$(cat "$T/log/masqmail.log")" "client=127.0.0.1 name=localhost" "the connect line names it"

out=$(send 127.0.0.2 nameless)
assert_status 0 $? "a message from 127.0.0.2"
h=$(spool_of nameless)
assert_contains "$(cat "$h")" "HD:Received: from client.test (unknown [127.0.0.2])" \
	"an address without PTR record is unknown"
assert_contains "$(cat "$T/dns.log")" "2.0.0.127.in-addr.arpa" "the name server was asked"

out=$(send 127.0.0.3 silence)
assert_status 0 $? "a message from 127.0.0.3, whose lookup never ends"
greeted=${out% *}
done=${out#* }
assert_eq "$(awk -v g="$greeted" 'BEGIN { print (g < 2) ? "prompt" : "late " g }')" "prompt" \
	"the greeting does not wait for the lookup"
assert_eq "$(awk -v d="$done" 'BEGIN { print (d < 15) ? "bounded" : "held " d }')" "bounded" \
	"the message waits no longer than the lookup's limit"
h=$(spool_of silence)
assert_contains "$(cat "$h")" "HD:Received: from client.test (unknown [127.0.0.3])" \
	"a lookup without answer gives unknown"
assert_contains "$(cat "$T/log/masqmail.log")" "client=127.0.0.3 name=unknown" "the connect line says unknown"
assert_eq "$(mm_queued_ids | wc -l)" 3 "three messages queued"
mm_pass
