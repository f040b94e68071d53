#!/bin/sh
# The relay refuses one recipient with a 5xx and holds off another
# with a 4xx: the others are delivered in the same transaction, the
# refused one fails and only it is named in the RFC 3464 failure
# notice, with the relay's reply as Diagnostic-Code; the held one stays
# queued and goes out by the next run, the others not again.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup
route_smtpd relay --refuse 'bad@*' --busy 'busy@*'
BOX="$T/mail/$MM_USER"

route_file smart "mail_host = \"127.0.0.1:$relay_PORT\"
tls = off"
mm_conf "permanent_routes = \"$T/smart.route\""

printf 'Subject: some refused\n\nto four\n' |
	mm -odq one@remote.example bad@remote.example busy@remote.example two@remote.example
id=$(mm_queued_ids)
route_run
assert_status 0 $? "-q"
out=$(cat "$T/run.out")
assert_contains "$out" "$id => one@remote.example route=smart " "one delivered"
assert_contains "$out" "$id => two@remote.example route=smart " "two delivered"
assert_contains "$out" "$id !! bad@remote.example failed: 550 5.1.1 no such user here" "bad failed"
assert_contains "$out" "$id == busy@remote.example deferred: 450 4.2.1 mailbox busy" "busy deferred"
assert_eq "$(route_count relay)" "1" "one transaction"
m="$T/relay/msg.00001"
assert_contains "$(cat "$m")" "RCPT TO:<one@remote.example>" "one in it"
assert_contains "$(cat "$m")" "RCPT TO:<two@remote.example>" "two in it"
assert_eq "$(grep -c '^RCPT' "$m")" "2" "only those two"

h=$(cat "$T/spool/input/$id-H")
assert_contains "$h" "RT:X<one@remote.example>" "one marked delivered"
assert_contains "$h" "RT:F<bad@remote.example>" "bad marked failed"
assert_contains "$h" "RT: <busy@remote.example>" "busy pending"

# the notice went to the (local) sender at once
assert_eq "$(grep -c '^From ' "$BOX")" "1" "one notice"
"$ROUTE_PY" - "$BOX" >"$T/dsn" <<'PY'
import mailbox, sys
msg = next(iter(mailbox.mbox(sys.argv[1])))
print("type", msg.get_content_type(), msg.get_param("report-type"))
for part in msg.walk():
    if part.get_content_type() == "message/delivery-status":
        blocks = part.get_payload()
        for b in blocks[1:]:
            print("block", b["Final-Recipient"], "|", b["Action"], "|", b["Status"], "|",
                  b["Remote-MTA"], "|", " ".join(b["Diagnostic-Code"].split()))
PY
assert_contains "$(cat "$T/dsn")" "type multipart/report delivery-status" "an RFC 3464 report"
assert_eq "$(grep -c '^block' "$T/dsn")" "1" "one recipient in it"
assert_eq "$(grep '^block' "$T/dsn")" \
	"block rfc822; bad@remote.example | failed | 5.1.1 | dns; 127.0.0.1 | smtp; 550 5.1.1 no such user here" \
	"the refused recipient, with the relay's reply"

# the relay takes busy now: only busy goes out
route_stop relay
route_smtpd again --port "$relay_PORT"
route_run
assert_status 0 $? "second -q"
assert_contains "$(cat "$T/run.out")" "$id => busy@remote.example route=smart " "busy delivered"
assert_eq "$(route_count again)" "1" "one more transaction"
assert_eq "$(grep '^RCPT' "$T/again/msg.00001")" "RCPT TO:<busy@remote.example>" "with busy alone"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"
assert_eq "$(grep -c '^From ' "$BOX")" "1" "no second notice"
mm_pass
