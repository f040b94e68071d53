#!/bin/sh
# Delivery through a smarthost: an aiosmtpd relay reached through a
# query route that online_query names, with the route's rewriting
# applied to what leaves (From:, Reply-To:, the return path) and not to
# the queue; then Postfix's smtp-sink through a permanent route.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup
route_smtpd relay

route_file isp "mail_host = \"127.0.0.1:$relay_PORT\"
tls = off
map_h_from_addresses = \"$MM_USER: Test Person <person@isp.example>\"
map_outgoing_addresses = \"*: *@isp.example\""
printf '#!/bin/sh\necho " isp "\n' >"$T/query"
chmod 755 "$T/query"
mm_conf "query_routes.isp = \"$T/isp.route\"" "online_query = \"$T/query\""

printf 'From: %s\nReply-To: Me <%s@test.example>, other@elsewhere.example\nSubject: via relay\n\n.leading dot\nbody\n' \
	"$MM_USER" "$MM_USER" | route_queue "$MM_USER@test.example" alice@a.example bob@b.example
assert_status 0 $? "queued"
id=$(mm_queued_ids)

route_run
assert_status 0 $? "queue run"
assert_contains "$(cat "$T/run.out")" "=> alice@a.example route=isp " "alice delivered through isp"
assert_contains "$(cat "$T/run.out")" "=> bob@b.example route=isp " "bob delivered through isp"
assert_eq "$(route_count relay)" "1" "one transaction for both recipients"
assert_eq "$(route_connections relay)" "1" "one connection"
m="$T/relay/msg.00001"
assert_contains "$(cat "$m")" "MAIL FROM:<$MM_USER@isp.example>" "return path rewritten (domain only)"
assert_contains "$(cat "$m")" "RCPT TO:<alice@a.example>" "first recipient"
assert_contains "$(cat "$m")" "RCPT TO:<bob@b.example>" "second recipient"
assert_contains "$(cat "$m")" "From: Test Person <person@isp.example>" "From: by its own map, with its display name"
assert_contains "$(cat "$m")" "Reply-To: Me <$MM_USER@isp.example>, other@elsewhere.example" \
	"Reply-To: by map_outgoing_addresses, the foreign address untouched"
assert_contains "$(cat "$m")" ".leading dot" "a line with a leading dot arrives whole"
assert_eq "$(mm_queued_ids)" "" "the message left the queue"

# -qo names a connection that does not exist: a configuration error
route_run -qo nosuch
assert_status 78 $? "-qo with an unknown name"
assert_contains "$(cat "$T/run.err")" "query_routes.nosuch" "the error names it"

# Postfix's smtp-sink through a permanent route
if command -v smtp-sink >/dev/null 2>&1; then
	port=$(mm_free_port)
	mkdir -p "$T/sink"
	chmod 777 "$T/sink"
	mm_bg smtp-sink -u nobody -d "$T/sink/%M." "127.0.0.1:$port" 10
	mm_wait_for "printf 'QUIT\r\n' | $ROUTE_PY -c 'import socket,sys; s=socket.create_connection((\"127.0.0.1\", $port)); s.close()' 2>/dev/null" 10
	route_file perm "mail_host = \"127.0.0.1:$port\"
tls = off"
	mm_conf "permanent_routes = \"$T/perm.route\"" "online_query = /bin/false"
	printf 'Subject: to the sink\n\nhello sink\n' | route_queue "$MM_USER@test.example" carol@c.example
	route_run
	assert_contains "$(cat "$T/run.out")" "=> carol@c.example route=perm " "delivered to smtp-sink"
	mm_wait_for "[ \$(ls '$T/sink' | wc -l) -ge 1 ]" 5
	assert_contains "$(cat "$T"/sink/*)" "X-Rcpt-Args: <carol@c.example>" "smtp-sink has the recipient"
	assert_contains "$(cat "$T"/sink/*)" "hello sink" "smtp-sink has the body"
	assert_eq "$(mm_queued_ids)" "" "queue empty again"
else
	echo "# smtp-sink not installed: that half skipped"
fi
mm_pass
