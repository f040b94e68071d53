#!/bin/sh
# As root, remote deliveries run in a worker that is the mail user: the
# relay sees the client's socket owned by the mail user, for -q and for
# the sendmail command line's delivery at once, while local mail is
# still delivered by root. What happens to the recipients (RT:X, a
# bounce for a 5xx, a deferral for a 4xx) is the same as with
# run_as_user, where nothing changes ids and no worker runs.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/queue-root-lib.sh"
qr_setup
qr_relay relay --refuse 'bad@*' --busy 'busy@*'
BOX="$T/mail/$MM_USER"

route_file smart "mail_host = \"127.0.0.1:$relay_PORT\"
tls = off"
mm_conf "permanent_routes = \"$T/smart.route\""

# sendmail, delivered before the command returns
printf 'Subject: at once\n\nright now\n' | mm far@remote.example
assert_status 0 $? "sendmail as root"
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"
assert_eq "$(route_count relay)" "1" "the relay has it"
assert_eq "$(qr_uids relay)" "$MAIL_UID" "sendmail's SMTP client ran as the mail user"
assert_contains "$(cat "$T/log/masqmail.log")" "remote worker pid=" "through the worker"
assert_contains "$(cat "$T/log/masqmail.log")" "started uid=$MAIL_UID" "which said who it is"

# One message to a recipient the relay takes, one it refuses, one it
# cannot take now, and a local one; summed up as the states of the -H
# file, what the relay stored, root's mailbox (the local copy and the
# bounce) and the log.
mixed() {
	rm -rf "$T/spool/input" "$T/relay"/msg.* "$T/relay/uids" "$BOX"
	qr_run_as_user "$1"
	printf 'Subject: mixed\n\nfour ways\n' |
		mm -odq ok@remote.example bad@remote.example busy@remote.example "$MM_USER@localhost"
	route_run >/dev/null
	echo "status=$?"
	id=$(mm_queued_ids)
	echo "queued=$(echo "$id" | grep -c .)"
	sed -n 's/^RT:\(.\)<\(.*\)>$/rt \1 \2/p' "$T/spool/input/$id-H" | tr ' ' _
	echo "relay=$(cat "$T/relay"/msg.* 2>/dev/null | grep '^RCPT TO' | sort | tr '\n' ' ')"
	echo "mbox=$(grep -c '^From ' "$BOX")"
	echo "bounce=$(grep -c 'Final-Recipient: rfc822; bad@remote.example' "$BOX")"
	echo "deferred=$(grep -c "== busy@remote.example deferred: 450 4.2.1" "$T/run.out")"
}

worker=$(mixed false)
worker_uids=$(qr_uids relay)
inline=$(mixed true)
inline_uids=$(qr_uids relay)
assert_eq "$worker" "$inline" "the same results with and without the worker"
assert_eq "$worker" "status=0
queued=1
rt_X_ok@remote.example
rt_F_bad@remote.example
rt___busy@remote.example
rt_X_$MM_USER@localhost
relay=RCPT TO:<ok@remote.example> 
mbox=2
bounce=1
deferred=1" "RT:X, a bounce for the 5xx, a deferral for the 4xx"
assert_eq "$worker_uids" "$MAIL_UID" "-q's SMTP client ran as the mail user"
assert_eq "$inline_uids" "0" "with run_as_user it runs as root itself (the check can tell)"

# the deferred recipient goes out with the next run, to a relay that
# takes it, again from the mail user
qr_run_as_user false
id=$(mm_queued_ids)
route_stop relay
qr_relay relay2
route_file smart "mail_host = \"127.0.0.1:$relay2_PORT\"
tls = off"
route_run
assert_status 0 $? "-q"
assert_contains "$(cat "$T/run.out")" "$id => busy@remote.example route=smart" "the 4xx one goes out later"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"
assert_eq "$(qr_uids relay2)" "$MAIL_UID" "as the mail user again"
# A batch: the messages of one queue run go to the worker together and
# out over one connection; per message and recipient the same results
# as without the worker.
qr_relay relay3 --refuse 'bad@*' --busy 'busy@*'
route_file smart "mail_host = \"127.0.0.1:$relay3_PORT\"
tls = off"
batch() {
	rm -rf "$T/spool/input" "$T/relay3"/msg.* "$T/relay3/uids" "$BOX"
	qr_run_as_user "$1"
	for n in 1 2 3 4 5 6 7 8; do
		case $n in
		3) r=bad@remote.example ;;
		6) r=busy@remote.example ;;
		*) r=ok$n@remote.example ;;
		esac
		printf 'Subject: batch %s\n\nnumber %s\n' $n $n | mm -odq "$r" "also$n@remote.example"
	done
	route_run >/dev/null
	echo "status=$?"
	echo "queued=$(mm_queued_ids | grep -c .)"
	for id in $(mm_queued_ids); do
		sed -n 's/^RT:\(.\)<\(.*\)>$/rt \1 \2/p' "$T/spool/input/$id-H" | tr ' ' _
	done
	echo "relay=$(cat "$T/relay3"/msg.* 2>/dev/null | grep '^RCPT TO' | sort | tr '\n' ' ')"
	# one line per connection in the relay's record of the clients' uids
	echo "connections=$(wc -l <"$T/relay3/uids" | tr -d ' ')"
	echo "bounce=$(grep -c 'Final-Recipient: rfc822; bad@remote.example' "$BOX")"
	echo "completed=$(grep -c ' completed$' "$T/run.out")"
}
worker=$(batch false)
worker_uids=$(qr_uids relay3)
assert_contains "$(cat "$T/run.out")" "remote worker pid=" "the batch went through the worker"
inline=$(batch true)
assert_eq "$worker" "$inline" "a batch: the same results with and without the worker"
assert_eq "$worker" "status=0
queued=1
rt___busy@remote.example
rt_X_also6@remote.example
relay=RCPT TO:<also1@remote.example> RCPT TO:<also2@remote.example> RCPT TO:<also3@remote.example> RCPT TO:<also4@remote.example> RCPT TO:<also5@remote.example> RCPT TO:<also6@remote.example> RCPT TO:<also7@remote.example> RCPT TO:<also8@remote.example> RCPT TO:<ok1@remote.example> RCPT TO:<ok2@remote.example> RCPT TO:<ok4@remote.example> RCPT TO:<ok5@remote.example> RCPT TO:<ok7@remote.example> RCPT TO:<ok8@remote.example> 
connections=1
bounce=1
completed=8" "a batch: one connection, each message's own results"
assert_eq "$worker_uids" "$MAIL_UID" "the batch's SMTP client ran as the mail user"
mm_pass
