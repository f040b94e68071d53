#!/bin/sh
# Relay control over real connections. With relay_networks set to
# 127.0.0.1/32, a client on 127.0.0.2 is outside: it may send to local
# recipients only, and every classic open-relay trick gets 550 5.7.1
# (501 5.1.3 where the address does not even parse). A client on
# 127.0.0.1 is inside and may relay.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\"" 'relay_networks = "127.0.0.1/32"'
mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' 2>/dev/null" 10 || mm_fail "the daemon did not start"

# rcpt SOURCE ADDRESS: the reply to RCPT TO:<ADDRESS> from SOURCE
rcpt() {
	/usr/bin/python3 - "$port" "$1" "$2" <<'PY'
import smtplib, sys
port, source, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP(source_address=(source, 0), timeout=10)
s.connect("127.0.0.1", port)
s.ehlo("client.test")
s.mail("sender@elsewhere.test")
code, text = s.docmd("RCPT TO:<%s>" % rcpt)
print(code, text.decode().split(" ")[0])
s.quit()
PY
}

/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
	mm_skip "cannot bind 127.0.0.2"

while IFS='|' read -r rcpt expected; do
	got=$(rcpt 127.0.0.2 "$rcpt")
	assert_eq "$got" "$expected" "from outside: RCPT TO:<$rcpt>"
done <<'EOC'
user@test.example|250 2.1.5
USER@TEST.EXAMPLE|250 2.1.5
user@localhost|250 2.1.5
user@remote.test|550 5.7.1
USER@REMOTE.TEST|550 5.7.1
user%remote.test@test.example|550 5.7.1
USER%REMOTE.TEST@TEST.EXAMPLE|550 5.7.1
"user@remote.test"@test.example|550 5.7.1
remote.test!user@test.example|550 5.7.1
@test.example:user@remote.test|550 5.7.1
user@remote.test@test.example|501 5.1.3
user@[192.0.2.1]|550 5.7.1
user@[127.0.0.1]|550 5.7.1
EOC

while IFS='|' read -r rcpt expected; do
	got=$(rcpt 127.0.0.1 "$rcpt")
	assert_eq "$got" "$expected" "from inside: RCPT TO:<$rcpt>"
done <<'EOC'
user@test.example|250 2.1.5
user@remote.test|250 2.1.5
user%remote.test@test.example|250 2.1.5
EOC
assert_contains "$(cat "$T/log/masqmail.log")" "relay denied client=127.0.0.2" "refusals are logged with the client"
mm_pass
