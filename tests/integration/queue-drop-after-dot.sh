#!/bin/sh
# The relay's connection drops after the final dot, before any reply:
# the relay may or may not have taken the message, so it is deferred
# (never marked delivered) and the next run sends it again. One
# duplicate is allowed, no loss: every message arrives, none more than
# twice, and the queue ends empty.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup
port=$(mm_free_port)
mkdir -p "$T/relay"

# A relay that hangs up on its first connection right after the data's
# final dot, and answers properly on later ones.
cat >"$T/dropper.py" <<'PY'
import os, socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(5)
open(os.path.join(out, "ready"), "w").close()
conn_no = 0
seq = 0
while True:
    c, _ = srv.accept()
    conn_no += 1
    f = c.makefile("rb")
    def say(text):
        c.sendall(text.encode() + b"\r\n")
    say("220 dropper ESMTP")
    in_data = False
    body = []
    while True:
        line = f.readline()
        if not line:
            break
        if in_data:
            if line == b".\r\n":
                in_data = False
                seq += 1
                with open(os.path.join(out, "msg.%05d" % seq), "wb") as m:
                    m.write(b"".join(body))
                body = []
                if conn_no == 1:
                    # gone before the reply: the client cannot know
                    c.shutdown(socket.SHUT_RDWR)
                    break
                say("250 2.0.0 taken")
            else:
                body.append(line)
            continue
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            say("250 dropper")
        elif verb == b"DATA":
            in_data = True
            say("354 go on")
        elif verb == b"QUIT":
            say("221 bye")
            break
        else:
            say("250 ok")
    f.close()
    c.close()
PY
mm_bg "$ROUTE_PY" "$T/dropper.py" "$port" "$T/relay"
mm_wait_for "[ -e '$T/relay/ready' ]" 20 || mm_fail "the relay did not start"

route_file smart "mail_host = \"127.0.0.1:$port\"
tls = off"
mm_conf "permanent_routes = \"$T/smart.route\""
for n in 1 2 3; do
	printf 'Subject: %s\nX-Seq: %s\n\nnumber %s\n' $n $n $n | mm_submit_in_order mm -odq "r$n@remote.example"
done
first=$(mm_queued_ids | head -n 1)

route_run
assert_status 0 $? "first -q"
assert_contains "$(cat "$T/run.out")" "$first == r1@remote.example deferred: " "the first message deferred"
assert_not_contains "$(cat "$T/run.out")" "=> r1@remote.example" "not marked delivered"
assert_contains "$(cat "$T/spool/input/$first-H")" "RT: <r1@remote.example>" "still pending in the spool"

route_run
assert_status 0 $? "second -q"
assert_contains "$(cat "$T/run.out")" "$first => r1@remote.example route=smart " "delivered by the next run"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"
seqs=$(cat "$T"/relay/msg.* | sed -n 's/^X-Seq: //p' | tr -d '\r' | sort -n)
assert_eq "$(echo "$seqs" | uniq | tr '\n' ' ')" "1 2 3 " "every message arrived"
assert_eq "$(echo "$seqs" | uniq -c | awk '$1 > 2' | wc -l | tr -d ' ')" "0" "none more than twice"
assert_eq "$(echo "$seqs" | uniq -d | tr '\n' ' ')" "1 " "only the one that was cut off twice"
mm_pass
