# Shared code of the daemon's link scenarios (sourced after
# tests/lib/lib.sh and tests/netns/netns.sh, inside the namespace).
#
# The relays are small SMTP servers (Python, no modules beyond the
# standard library) bound to the peer address of a link: that address
# is also put on lo, so the relay can listen before the link exists and
# connections to it are as quick as the daemon makes them.
#
#   dl_setup                     mm_setup, relay program, daemon options
#   dl_relay NAME ADDR           relay NAME on ADDR:$DL_PORT; messages in
#                                $T/NAME/msg.*, one line per connection in
#                                $T/NAME/connections ("connect EPOCH",
#                                and "message EPOCH" for each message);
#                                while $T/NAME/slow exists it reads the
#                                message data slowly (a line per 50 ms);
#                                while $T/NAME/busy exists it defers
#                                every recipient (451)
#   dl_route NAME TEXT           writes $T/NAME.route
#   dl_queue FROM RCPT           queues stdin with -odq
#   dl_daemon                    starts the daemon (SMTP on loopback)
#   dl_dial IF LOCAL PEER        a dial-up on TUN device IF, up to the
#                                addresses (the default route is the
#                                caller's step)
#   dl_count NAME                messages NAME received
#   dl_log                       the daemon's log

DL_PY=/usr/bin/python3
DL_PORT=2525

dl_setup() {
	mm_require_cmd "$DL_PY"
	mm_setup
	DL_LOG="$T/log/masqmail.log"
	cat >"$T/relay.py" <<'EOF'
import os, socket, sys, threading, time

addr, port, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = [0]
lock = threading.Lock()

def serve(conn):
    # replies to pipelined commands go in separate writes: without
    # this, Nagle would hold each one for the client's delayed ACK
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = conn.makefile("rb")
    def say(text):
        conn.sendall((text + "\r\n").encode())
    say("220 relay ready")
    mail, rcpts = None, []
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.decode(errors="replace").strip()
        verb = cmd[:4].upper()
        if verb in ("EHLO", "HELO"):
            say("250-relay\r\n250 PIPELINING" if verb == "EHLO" else "250 relay")
        elif verb == "MAIL":
            mail, rcpts = cmd[10:], []
            say("250 ok")
        elif verb == "RCPT":
            if os.path.exists(os.path.join(d, "busy")):
                say("451 4.3.0 busy, try later")
                continue
            rcpts.append(cmd[8:])
            say("250 ok")
        elif verb == "DATA" and not rcpts:
            say("554 5.5.1 no valid recipients")
        elif verb == "DATA":
            say("354 go on")
            data = []
            while True:
                if os.path.exists(os.path.join(d, "slow")):
                    time.sleep(0.05)
                l = f.readline()
                if not l:
                    return
                if l in (b".\r\n", b".\n"):
                    break
                data.append(l)
            with lock:
                count[0] += 1
                name = os.path.join(d, "msg.%05d" % count[0])
            with open(name + ".tmp", "wb") as out:
                out.write(("MAIL FROM:%s\n" % mail).encode())
                for r in rcpts:
                    out.write(("RCPT TO:%s\n" % r).encode())
                out.write(b"\n")
                out.write(b"".join(data))
            os.rename(name + ".tmp", name)
            with open(os.path.join(d, "connections"), "a") as log:
                log.write("message %.6f\n" % time.time())
            say("250 queued")
        elif verb == "RSET":
            mail, rcpts = None, []
            say("250 ok")
        elif verb == "NOOP":
            say("250 ok")
        elif verb == "QUIT":
            say("221 bye")
            return
        else:
            say("502 not here")

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
# small buffers, so that a slow relay slows the sender at once
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s.bind((addr, port))
s.listen(16)
open(os.path.join(d, "ready"), "w").close()
while True:
    c, _ = s.accept()
    with open(os.path.join(d, "connections"), "a") as log:
        log.write("connect %.6f\n" % time.time())
    threading.Thread(target=lambda c=c: (serve(c), c.close()), daemon=True).start()
EOF
}

dl_relay() {
	mkdir -p "$T/$1"
	: >"$T/$1/connections"
	ip addr add "$2/32" dev lo 2>/dev/null
	mm_bg "$DL_PY" "$T/relay.py" "$2" "$DL_PORT" "$T/$1" 2>"$T/$1.err"
	mm_wait_for "[ -e '$T/$1/ready' ]" 10 || mm_fail "relay $1 did not start: $(cat "$T/$1.err")"
}

dl_route() {
	printf '%s\n' "$2" >"$T/$1.route"
}

dl_queue() {
	mm -odq -f "$1" "$2"
}

dl_daemon() {
	DL_SMTP_PORT=$(mm_free_port)
	mm_conf "listen_addresses = \"127.0.0.1:$DL_SMTP_PORT\""
	mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
	DL_DAEMON_PID=$MM_LAST_PID
	mm_wait_for "grep -q 'daemon started' '$DL_LOG' 2>/dev/null" 10 || mm_fail "the daemon did not start"
}

dl_stop_daemon() {
	kill -TERM "$DL_DAEMON_PID"
	wait "$DL_DAEMON_PID"
	assert_status 0 $? "the daemon stops on SIGTERM"
}

dl_dial() {
	nd_dial "$1"
	ip link set "$1" up
	ip addr add "$2" peer "$3" dev "$1"
}

dl_count() {
	ls "$T/$1" 2>/dev/null | grep -c '^msg\.[0-9]*$'
}

dl_log() {
	cat "$DL_LOG"
}

# The message files relay $1 received, concatenated.
dl_received() {
	cat "$T/$1"/msg.[0-9]* 2>/dev/null
}

# Asserts that `masqmail --status` says $1; where this build has no
# status mode yet, the daemon's log must say $2 instead.
dl_assert_status() {
	dl_status=$(mm --status 2>&1)
	case "$dl_status" in
	*"not available"*)
		assert_contains "$(dl_log)" "$2" "$3 (the log; no --status in this build)" ;;
	*)
		assert_contains "$dl_status" "$1" "$3" ;;
	esac
}
