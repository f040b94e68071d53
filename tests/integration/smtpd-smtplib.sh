#!/bin/sh
# The SMTP server against Python's smtplib: a message with 8-bit text
# (BODY=8BITMIME), several recipients, RSET and a second transaction in
# one session, a message over max_msg_size (552 5.3.4 at MAIL, from
# SIZE), and VRFY (252).
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
# the spool is checked after each session: keep what the daemon accepts there
mm_conf "do_queue = true"
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\"" "max_msg_size = 20000"
mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' 2>/dev/null" 10 || mm_fail "the daemon did not start"

out=$(/usr/bin/python3 - "$port" <<'PY'
import smtplib, sys
port = int(sys.argv[1])
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("client.test")
assert s.has_extn("8bitmime") and s.has_extn("pipelining") and s.has_extn("enhancedstatuscodes")
print("size", s.esmtp_features["size"])
msg = "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nGr\u00fc\u00dfe aus der Testsuite\r\n".encode()
refused = s.sendmail("a@elsewhere.test", ["u1@test.example", "u2@test.example"], msg,
                     mail_options=["BODY=8BITMIME"])
print("refused", len(refused))
print("vrfy", s.verify("u1")[0])
s.rset()
s.sendmail("", ["postmaster"], b"Subject: bounce\r\n\r\nnull sender\r\n")
try:
    s.sendmail("a@elsewhere.test", ["u1@test.example"], b"Subject: big\r\n\r\n" + b"x" * 30000 + b"\r\n")
except smtplib.SMTPSenderRefused as e:
    print("big", e.smtp_code, e.smtp_error.decode().split(" ")[0])
s.quit()
PY
)
assert_status 0 $? "the smtplib client ran"
assert_contains "$out" "size 20000" "SIZE announces max_msg_size"
assert_contains "$out" "refused 0" "both recipients accepted"
assert_contains "$out" "vrfy 252" "VRFY gets 252"
assert_contains "$out" "big 552 5.3.4" "a message over max_msg_size is refused at MAIL"
assert_eq "$(mm_queued_ids | wc -l)" 2 "two messages in the spool"
assert_contains "$(cat "$T"/spool/input/*-H)" "RT: <u2@test.example>" "the second recipient is in the envelope"
assert_contains "$(cat "$T"/spool/input/*-D)" "Grüße aus der Testsuite" "8-bit text arrives unchanged"
mm_pass
