#!/bin/sh
# -qo NAME sends remote mail through the routes of query_routes.NAME
# only: of two connections, the one named; no permanent route, no
# local delivery (masqmail 1.0's -qo). -qo without a name and -q take
# the connection online_query names, and the permanent routes. A name
# the configuration does not know and a route file that does not load
# stop the run with EX_CONFIG (78) and leave the queue alone.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup
route_smtpd A
route_smtpd B
route_smtpd P
BOX="$T/mail/$MM_USER"

# the providers' relays do not take the LAN
route_file a "mail_host = \"127.0.0.1:$A_PORT\"
tls = off
denied_recipients = \"*@lan.example\""
route_file b "mail_host = \"127.0.0.1:$B_PORT\"
tls = off
denied_recipients = \"*@lan.example\""
# the permanent route takes the LAN only
route_file lan "mail_host = \"127.0.0.1:$P_PORT\"
tls = off
allowed_recipients = \"*@lan.example\""
printf '#!/bin/sh\ncat "%s/online" 2>/dev/null || exit 1\n' "$T" >"$T/query"
chmod 755 "$T/query"
mm_conf "query_routes.a = \"$T/a.route\"" "query_routes.b = \"$T/b.route\"" \
	"permanent_routes = \"$T/lan.route\"" "online_query = \"$T/query\""

printf 'Subject: one\n\nfirst\n' | mm -odq "$MM_USER@localhost" x@remote.example l@lan.example
id=$(mm_queued_ids)

# -qo b: through b only, whatever online_query would say
echo a >"$T/online"
route_run -qo b
assert_status 0 $? "-qo b"
assert_contains "$(cat "$T/run.out")" "$id => x@remote.example route=b " "x went through b"
assert_eq "$(route_count B)" "1" "B got it"
assert_eq "$(route_count A)" "0" "A did not"
assert_eq "$(route_count P)" "0" "no permanent route with -qo NAME"
assert_eq "$(test -e "$BOX" && echo delivered)" "" "no local delivery with -qo"
h=$(cat "$T/spool/input/$id-H")
assert_contains "$h" "RT:X<x@remote.example>" "x marked delivered"
assert_contains "$h" "RT: <$MM_USER@localhost>" "the local recipient still pending"
assert_contains "$h" "RT: <l@lan.example>" "the LAN recipient still pending"

# -qo without a name: online_query says a; the permanent route is online
printf 'Subject: two\n\nsecond\n' | mm -odq y@remote.example
route_run -qo
assert_status 0 $? "-qo"
assert_contains "$(cat "$T/run.out")" "=> y@remote.example route=a " "y went through a"
assert_contains "$(cat "$T/run.out")" "=> l@lan.example route=lan " "the LAN part through the permanent route"
assert_eq "$(route_count A)" "1" "A got y"
assert_eq "$(route_count P)" "1" "P got the LAN part"
assert_eq "$(route_count B)" "1" "B nothing more"
assert_eq "$(test -e "$BOX" && echo delivered)" "" "still no local delivery"
assert_eq "$(mm_queued_ids)" "$id" "only the first message is left, for its local recipient"

# nothing online: -qo and -q leave remote mail alone and exit 0
rm -f "$T/online"
printf 'Subject: three\n\nthird\n' | mm -odq z@remote.example
route_run -qo
assert_status 0 $? "-qo while offline"
assert_not_contains "$(cat "$T/run.out")" "z@remote.example" "z waits without a word"

# -q: the local recipient and, online_query saying b, z through b
echo b >"$T/online"
route_run
assert_status 0 $? "-q"
assert_contains "$(cat "$T/run.out")" "$id => $MM_USER@localhost with mbox" "local delivery by -q"
assert_contains "$(cat "$T/run.out")" "=> z@remote.example route=b " "z through b"
assert_eq "$(grep -c '^From ' "$BOX")" "1" "one local copy"
assert_eq "$(route_count B)" "2" "B got z"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"

# errors stop the run before it starts
printf 'Subject: four\n\nfourth\n' | mm -odq "$MM_USER@localhost" w@remote.example
id=$(mm_queued_ids)
before=$(cat "$T/spool/input/$id-H")
route_run -qo nosuch
assert_status 78 $? "-qo with an unknown name"
assert_contains "$(cat "$T/run.err")" "query_routes.nosuch" "the error names it"
route_file b "mail_host = \"127.0.0.1:$B_PORT\"
no_such_option = 1"
route_run -qo b
assert_status 78 $? "-qo with a route file that does not load"
assert_contains "$(cat "$T/run.err")" "b.route:2" "the error names the file and line"
route_run
assert_status 78 $? "-q with a route file that does not load"
assert_eq "$(cat "$T/spool/input/$id-H")" "$before" "the message was not touched"
assert_eq "$(test -e "$BOX" && grep -c '^From ' "$BOX")" "1" "not even delivered locally"
mm_pass
