# Shared code of the queue-root-* scenarios (sourced after
# tests/lib/lib.sh and tests/integration/route-lib.sh): runs as root,
# where remote deliveries go through a worker that is the mail user.
#
# qr_setup                route_setup as root, run_as_user off; $MAIL_UID
# qr_run_as_user BOOL     sets run_as_user (true: no worker)
# qr_relay NAME [OPT]     an aiosmtpd relay as route_smtpd starts it (the
#                         same files: $T/NAME/msg.*, ${NAME}_PORT), which
#                         also writes the uid that owns each client
#                         socket (from /proc/net/tcp) to $T/NAME/uids.
#                         OPT: --refuse PATTERN (550 at RCPT), --busy
#                         PATTERN (450 at RCPT), --hang-once PATTERN
#                         (the first message for a matching recipient
#                         gets no reply after its data: $T/NAME/hung
#                         appears, nothing is stored)
# qr_uids NAME            the distinct uids of NAME's clients, sorted

qr_setup() {
	route_setup
	mm_require_root
	MAIL_UID=$(id -u mail 2>/dev/null) || mm_skip "needs the mail user"
	[ "$MAIL_UID" -ne 0 ] || mm_skip "the mail user is root"
	[ -r /proc/net/tcp ] || mm_skip "needs /proc/net/tcp"
	qr_run_as_user false
	cat >"$T/qrelay.py" <<'PYEOF'
import argparse, asyncio, fnmatch, os, socket, struct
from aiosmtpd.smtp import SMTP

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--refuse", default=None)
ap.add_argument("--busy", default=None)
ap.add_argument("--hang-once", default=None)
args = ap.parse_args()
count = [0]

def hexaddr(addr):
    ip = struct.unpack("<I", socket.inet_aton(addr[0]))[0]
    return "%08X:%04X" % (ip, addr[1])

def owner(peer, ours):
    # the client's socket is the one from its address to ours
    want = (hexaddr(peer), hexaddr(ours))
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            if (p[1], p[2]) == want:
                return int(p[7])
    return -1

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, options):
        if args.refuse and fnmatch.fnmatch(address, args.refuse):
            return "550 5.1.1 no such user here"
        if args.busy and fnmatch.fnmatch(address, args.busy):
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 ok"

    async def handle_DATA(self, server, session, envelope):
        hung = os.path.join(args.dir, "hung")
        if args.hang_once and not os.path.exists(hung) and \
                any(fnmatch.fnmatch(r, args.hang_once) for r in envelope.rcpt_tos):
            open(hung, "w").close()
            await asyncio.sleep(3600)
            return "451 4.3.0 too late"
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

class Recording(SMTP):
    def connection_made(self, transport):
        uid = owner(transport.get_extra_info("peername"), transport.get_extra_info("sockname"))
        with open(os.path.join(args.dir, "uids"), "a") as f:
            f.write("%d\n" % uid)
        super().connection_made(transport)

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Recording(Handler(), hostname="relay.test"),
                                      "127.0.0.1", args.port)
    open(os.path.join(args.dir, "ready"), "w").close()
    await server.serve_forever()

asyncio.run(main())
PYEOF
}

qr_run_as_user() {
	sed -i '/^run_as_user *=/d' "$MM_CONF"
	mm_conf "run_as_user = $1"
}

qr_relay() {
	_qr_name=$1
	shift
	_qr_port=$(mm_free_port)
	mkdir -p "$T/$_qr_name"
	rm -f "$T/$_qr_name/ready"
	set -f
	# shellcheck disable=SC2068
	mm_bg "$ROUTE_PY" "$T/qrelay.py" --port "$_qr_port" --dir "$T/$_qr_name" $@
	set +f
	eval "${_qr_name}_PID=$MM_LAST_PID"
	eval "${_qr_name}_PORT=$_qr_port"
	mm_wait_for "[ -e '$T/$_qr_name/ready' ]" 20 || mm_fail "relay $_qr_name did not start"
}

qr_uids() {
	[ -e "$T/$1/uids" ] && sort -u "$T/$1/uids" | tr '\n' ' ' | sed 's/ $//'
}
