#!/bin/sh
# Route conditions choose between two relays: by sender (alice's mail
# through relay A, everybody else's through B) and by recipient
# (*@lan.example through A); last_route keeps deferred mail for its
# own route instead of letting the next route take it.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup
[ "$(id -u)" -eq 0 ] || mm_skip "needs root to queue with other senders (-f)"
route_smtpd A
route_smtpd B

route_file a "mail_host = \"127.0.0.1:$A_PORT\"
tls = off
allowed_senders = alice
denied_senders = \"<>\""
route_file b "mail_host = \"127.0.0.1:$B_PORT\"
tls = off"
mm_conf "permanent_routes = \"$T/a.route;$T/b.route\""

printf 'Subject: 1\n\nfrom alice\n' | route_queue alice@test.example x@remote.example
printf 'Subject: 2\n\nfrom bob\n' | route_queue bob@test.example y@remote.example
route_run
assert_status 0 $? "queue run"
assert_contains "$(cat "$T/run.out")" "=> x@remote.example route=a " "alice's mail through a"
assert_contains "$(cat "$T/run.out")" "=> y@remote.example route=b " "bob's mail through b"
assert_eq "$(route_count A)" "1" "A got one"
assert_eq "$(route_count B)" "1" "B got one"
assert_contains "$(cat "$T"/A/msg.*)" "MAIL FROM:<alice@test.example>" "A got alice's"

# by recipient
route_file a "mail_host = \"127.0.0.1:$A_PORT\"
tls = off
allowed_recipients = \"*@lan.example\""
printf 'Subject: 3\n\nsplit\n' | route_queue bob@test.example p@lan.example q@remote.example
route_run
assert_contains "$(cat "$T/run.out")" "=> p@lan.example route=a " "lan recipient through a"
assert_contains "$(cat "$T/run.out")" "=> q@remote.example route=b " "other recipient through b"
assert_eq "$(route_count A)" "2" "A got the lan part"
assert_eq "$(route_count B)" "2" "B got the rest"

# last_route: the first route is down; without last_route the second
# takes the recipient, with it the recipient waits
dead=$(mm_free_port)
route_file a "mail_host = \"127.0.0.1:$dead\"
tls = off"
printf 'Subject: 4\n\nfalls through\n' | route_queue bob@test.example r@remote.example
route_run
assert_contains "$(cat "$T/run.out")" "=> r@remote.example route=b " "deferred by a, delivered by b"
assert_eq "$(route_count B)" "3" "B took it"

route_file a "mail_host = \"127.0.0.1:$dead\"
tls = off
last_route = true"
printf 'Subject: 5\n\nheld\n' | route_queue bob@test.example s@remote.example
route_run
assert_contains "$(cat "$T/run.out")" ": route=a recipients=1" "tried through a"
assert_contains "$(cat "$T/run.out")" "== s@remote.example deferred: " "deferred there"
assert_not_contains "$(cat "$T/run.out")" ": route=b recipients" "held for a"
assert_eq "$(route_count B)" "3" "B did not get it"
assert_eq "$(mm_queued_ids | grep -c .)" "1" "it waits in the queue"
mm_pass
