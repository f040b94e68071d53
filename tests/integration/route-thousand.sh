#!/bin/sh
# A queue of 1000 messages flushed to Postfix's smtp-sink through one
# route: one connection carries them all, every message arrives once.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup
mm_require_cmd smtp-sink
N=1000

port=$(mm_free_port)
mkdir -p "$T/sink"
chmod 777 "$T/sink"
# -c: counters of sessions, QUITs and messages, one record per event
mm_bg sh -c "exec smtp-sink -c -u nobody -d '$T/sink/%M.' 127.0.0.1:$port 10 >'$T/counters'"
route_file sink "mail_host = \"127.0.0.1:$port\"
tls = off"
mm_conf "permanent_routes = \"$T/sink.route\""

i=1
while [ $i -le $N ]; do
	printf 'Subject: number %d\nX-Seq: %d\n\nmessage %d\n' $i $i $i |
		route_queue "$MM_USER@test.example" "r$i@remote.example" || mm_fail "queueing $i"
	i=$((i + 1))
done
assert_eq "$(mm_queued_ids | grep -c .)" "$N" "$N messages queued"

route_run
assert_status 0 $? "queue run"
assert_eq "$(grep -c ' => r[0-9]*@remote.example route=sink ' "$T/run.out")" "$N" "$N recipients delivered"
assert_eq "$(grep -c 'connected protocol' "$T/run.out")" "1" "one connection"
mm_wait_for "[ \$(ls '$T/sink' | wc -l) -ge $N ]" 20
assert_eq "$(ls "$T/sink" | wc -l | tr -d ' ')" "$N" "smtp-sink has $N messages"
assert_eq "$(cat "$T"/sink/* | sed -n 's/^X-Seq: //p' | sort -n | uniq | wc -l | tr -d ' ')" "$N" \
	"each message once"
assert_eq "$(cat "$T"/sink/* | sed -n 's/^X-Seq: //p' | sort -n | uniq -d | wc -l | tr -d ' ')" "0" \
	"no message twice"
mm_wait_for "tr '\\r' '\\n' <'$T/counters' | grep -q 'quit=1'" 10
assert_eq "$(tr '\r' '\n' <"$T/counters" | grep . | tail -n 1)" "sess=1 quit=1 mesg=$N" \
	"smtp-sink counted one session that ended with QUIT, $N messages"
assert_eq "$(mm_queued_ids)" "" "queue empty"
mm_pass
