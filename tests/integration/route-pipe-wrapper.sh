#!/bin/sh
# A pipe route (the message on a command's stdin, MDA variables in its
# arguments, pipe_fromline and pipe_fromhack) and a wrapper route (SMTP
# spoken over a command's stdin and stdout, its stderr to the log).
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup

cat >"$T/gateway" <<EOS
#!/bin/sh
# \$1 is the recipient, \$2 the sender
cat >"$T/out.\$1"
echo "\$2" >"$T/sender.\$1"
EOS
chmod 755 "$T/gateway"
route_file gw "pipe = \"$T/gateway \${rcpt} \${return_path}\"
pipe_fromline = true
pipe_fromhack = true
allowed_recipients = \"*@uucp.example\""
mm_conf "permanent_routes = \"$T/gw.route\""
printf 'Subject: pipe\n\nFrom the start\nbody\n' | route_queue "$MM_USER@test.example" 'gus@uucp.example'
route_run
assert_status 0 $? "queue run"
assert_contains "$(cat "$T/run.out")" "=> gus@uucp.example route=gw" "delivered by the pipe"
out="$T/out.gus@uucp.example"
assert_eq "$(head -c 5 "$out")" "From " "From line first"
assert_contains "$(cat "$out")" ">From the start" "From hack in the body"
assert_contains "$(cat "$out")" "Subject: pipe" "the header"
assert_eq "$(cat "$T/sender.gus@uucp.example")" "$MM_USER@test.example" "\${return_path} expanded"

# a pipe that fails for good: 5xx-like exit status fails the recipient
printf '#!/bin/sh\necho no such user >&2\nexit 67\n' >"$T/gateway"
printf 'Subject: pipe 2\n\nx\n' | route_queue "$MM_USER@test.example" 'hal@uucp.example'
route_run
assert_contains "$(cat "$T/run.out")" "!! hal@uucp.example failed: " "exit 67 fails"

# wrapper: a relay reached through a command that copies stdin and
# stdout to its socket, the way a TLS tunnel does
route_smtpd relay
cat >"$T/tunnel.py" <<EOS
import socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
sys.stderr.write("tunnel up\n"); sys.stderr.flush()
def up():
    while True:
        d = sys.stdin.buffer.raw.read(65536)
        if not d:
            s.shutdown(socket.SHUT_WR); return
        s.sendall(d)
threading.Thread(target=up, daemon=True).start()
while True:
    d = s.recv(65536)
    if not d:
        break
    sys.stdout.buffer.write(d); sys.stdout.buffer.flush()
EOS
route_file tun "wrapper = \"$ROUTE_PY $T/tunnel.py $relay_PORT\"
tls = off"
mm_conf "permanent_routes = \"$T/tun.route\""
printf 'Subject: wrapped\n\nthrough the tunnel\n' | route_queue "$MM_USER@test.example" ian@remote.example jo@remote.example
route_run
assert_status 0 $? "queue run"
assert_contains "$(cat "$T/run.out")" "=> ian@remote.example route=tun " "ian through the wrapper"
assert_contains "$(cat "$T/run.out")" "=> jo@remote.example route=tun " "jo through the wrapper"
assert_contains "$(cat "$T/run.out")" "stderr: tunnel up" "the wrapper's stderr is logged"
assert_eq "$(route_count relay)" "1" "the relay got it"
assert_contains "$(cat "$T/relay/msg.00001")" "through the tunnel" "body"
assert_eq "$(mm_queued_ids)" "" "queue empty"
mm_pass
