# Shared code of the route scenarios (sourced after tests/lib/lib.sh).
#
# route_setup             mm_setup, and the relay servers' program
# route_smtpd NAME [OPT]  starts an aiosmtpd relay on a free loopback
#                         port: $NAME_PORT, messages in $T/NAME/msg.*,
#                         one line per connection in $T/NAME/connections.
#                         OPT: --refuse PATTERN (550 for matching RCPT),
#                         --busy PATTERN (450 for matching RCPT),
#                         --port PORT (a given port)
# route_stop NAME         stops it
# route_file NAME TEXT    writes $T/NAME.route
# route_queue FROM RCPT.. queues stdin with -odq
# route_run [ARGS]        one queue run of the masqmail binary (-q unless
#                         ARGS say otherwise, e.g. -qo NAME); the log
#                         lines it wrote in $T/run.out, its standard
#                         output and error in $T/run.err; returns its
#                         exit status
# route_count NAME        messages NAME received
# route_connections NAME  connections NAME accepted

ROUTE_PY=/usr/bin/python3

route_setup() {
	mm_setup
	"$ROUTE_PY" -c 'import aiosmtpd' 2>/dev/null || mm_skip "needs python3-aiosmtpd"
	cat >"$T/smtpd.py" <<'EOF'
import argparse, asyncio, fnmatch, os
from aiosmtpd.smtp import SMTP

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--refuse", default=None)
ap.add_argument("--busy", default=None)
args = ap.parse_args()
count = [0]

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, options):
        if args.refuse and fnmatch.fnmatch(address, args.refuse):
            return "550 5.1.1 no such user here"
        if args.busy and fnmatch.fnmatch(address, args.busy):
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 ok"

    async def handle_DATA(self, server, session, envelope):
        count[0] += 1
        name = os.path.join(args.dir, "msg.%05d" % count[0])
        with open(name + ".tmp", "wb") as f:
            f.write(("MAIL FROM:<%s>\n" % envelope.mail_from).encode())
            for r in envelope.rcpt_tos:
                f.write(("RCPT TO:<%s>\n" % r).encode())
            f.write(b"\n")
            f.write(envelope.original_content)
        os.rename(name + ".tmp", name)
        return "250 2.0.0 queued as %d" % count[0]

class Counting(SMTP):
    def connection_made(self, transport):
        with open(os.path.join(args.dir, "connections"), "a") as f:
            f.write("connection\n")
        super().connection_made(transport)

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Counting(Handler(), hostname="relay.test"),
                                      "127.0.0.1", args.port)
    open(os.path.join(args.dir, "ready"), "w").close()
    await server.serve_forever()

asyncio.run(main())
EOF
}

route_smtpd() {
	_name=$1
	shift
	_port=""
	_opts=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--port) _port=$2; shift 2 ;;
		--refuse | --busy) _opts="$_opts $1 $2"; shift 2 ;;
		*) mm_fail "route_smtpd: unknown option $1" ;;
		esac
	done
	[ -n "$_port" ] || _port=$(mm_free_port)
	mkdir -p "$T/$_name"
	rm -f "$T/$_name/ready"
	# $_opts holds options and glob patterns: split, never expanded
	set -f
	# shellcheck disable=SC2086
	mm_bg "$ROUTE_PY" "$T/smtpd.py" --port "$_port" --dir "$T/$_name" $_opts
	set +f
	eval "${_name}_PID=$MM_LAST_PID"
	eval "${_name}_PORT=$_port"
	mm_wait_for "[ -e '$T/$_name/ready' ]" 20 || mm_fail "relay $_name did not start"
}

route_stop() {
	eval "_pid=\$${1}_PID"
	kill "$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
	return 0
}

route_file() {
	printf '%s\n' "$2" >"$T/$1.route"
}

route_queue() {
	_from=$1
	shift
	mm -odq -f "$_from" "$@"
}

route_run() {
	_log="$T/log/masqmail.log"
	_before=0
	[ -e "$_log" ] && _before=$(wc -l <"$_log")
	[ $# -gt 0 ] || set -- -q
	mm "$@" >"$T/run.err" 2>&1
	_status=$?
	: >"$T/run.out"
	[ -e "$_log" ] && tail -n +$((_before + 1)) "$_log" >"$T/run.out"
	cat "$T/run.out" "$T/run.err" | sed -n '1,200s/^/# /p'
	return $_status
}

route_count() {
	ls "$T/$1" 2>/dev/null | grep -c '^msg\.[0-9]*$'
}

route_connections() {
	if [ -e "$T/$1/connections" ]; then wc -l <"$T/$1/connections" | tr -d ' '; else echo 0; fi
}
