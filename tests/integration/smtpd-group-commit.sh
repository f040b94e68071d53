#!/bin/sh
# Group commit in the daemon: several sessions end their DATA at the
# same time, and each gets its 250 only after its message is durable:
# its -D and -H temporary files fsynced before the rename of the -H,
# and after the rename an fsync of input/, all before the 250 is
# written. strace -f follows the daemon, its SMTP child and the child's
# commit threads; -y names the file behind each descriptor.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"

mm_require_cmd strace
[ -x /usr/bin/python3 ] || mm_skip "needs /usr/bin/python3"
mm_setup
strace -o /dev/null true 2>/dev/null || mm_skip "strace cannot trace here (ptrace not permitted)"
# LeakSanitizer cannot run under ptrace
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

SESSIONS=6
port=$(mm_free_port)
mm_conf "do_queue = true" "listen_addresses = \"127.0.0.1:$port\""
mm_bg strace -f -y -qq -e trace=fsync,fdatasync,rename,renameat,renameat2,write,writev,sendto,sendmsg \
	-o "$T/trace" "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' 2>/dev/null" 20 || mm_fail "the daemon did not start"

# Every session greeted and past MAIL, RCPT and DATA, then all the
# message texts with their final dots in one burst.
/usr/bin/python3 - "$port" "$SESSIONS" >"$T/replies" <<'PY' || mm_fail "the client failed"
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])

def reply(f):
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("connection closed")
        if line[3:4] == b" ":
            return line.decode().strip()

conns = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    assert reply(f).startswith("220"), "greeting"
    s.sendall(b"EHLO client.example\r\nMAIL FROM:<a@sender.example>\r\n"
              b"RCPT TO:<u@test.example>\r\nDATA\r\n")
    for code in ("250", "250", "250", "354"):
        r = reply(f)
        assert r.startswith(code), r
    conns.append((s, f))
for i, (s, f) in enumerate(conns):
    s.sendall(b"Subject: %d\r\n\r\nmessage %d\r\n.\r\n" % (i, i))
for s, f in conns:
    print(reply(f))
    s.sendall(b"QUIT\r\n")
    reply(f)
    s.close()
PY
kill "$(cat "$T/run/masqmail.pid" 2>/dev/null)" 2>/dev/null
mm_wait_for "! kill -0 $MM_LAST_PID 2>/dev/null" 10

assert_eq "$(grep -c '^250 2.0.0 OK id=' "$T/replies")" "$SESSIONS" "every session got its 250"
assert_eq "$(mm_queued_ids | wc -l)" "$SESSIONS" "every message is in the spool"

# For each message: the line numbers (in order of completion, with
# strace's unfinished/resumed pairs joined) of the fsync of its -D and
# -H.tmp files, the rename, the first fsync of input/ after the rename,
# and the start of the write of its 250.
/usr/bin/python3 - "$T/trace" "$T/replies" >"$T/order" <<'PY'
import re, sys
trace, replies = sys.argv[1], sys.argv[2]
uids = [l.split("id=")[1].strip() for l in open(replies) if "id=" in l]
pending = {}
done = []      # (index, pid, text of the whole call, result)
started = []   # (index, text) of calls as they start
for i, line in enumerate(open(trace, errors="replace")):
    m = re.match(r"(\d+) +(.*)", line.rstrip("\n"))
    if not m:
        continue
    pid, rest = m.groups()
    if rest.endswith("<unfinished ...>"):
        pending[pid] = rest[: -len("<unfinished ...>")].rstrip()
        started.append((i, rest))
        continue
    r = re.match(r"<\.\.\. (\w+) resumed>(.*)", rest)
    if r:
        call = pending.pop(pid, r.group(1) + "(") + r.group(2)
        done.append((i, call))
        continue
    started.append((i, rest))
    done.append((i, rest))

def first(seq, pattern, after=-1):
    for i, text in seq:
        if i > after and re.search(pattern, text):
            return i
    return None

bad = 0
dir_syncs = [i for i, t in done if re.match(r"fsync\(\d+</[^>]*/spool/input>\) += 0", t)]
for uid in uids:
    u = re.escape(uid)
    d = first(done, r"fsync\(\d+<[^>]*/%s-D>\) += 0" % u)
    h = first(done, r"fsync\(\d+<[^>]*/%s-H\.tmp>\) += 0" % u)
    rn_start = first(started, r"rename\w*\(.*%s-H\.tmp\", .*%s-H\"" % (u, u))
    rn = first(done, r"rename\w*\(.*%s-H\.tmp\", .*%s-H\".*\) += 0" % (u, u))
    ds = first(done, r"fsync\(\d+</[^>]*/spool/input>\) += 0", rn if rn is not None else -1)
    w = first(started, r"write\(\d+<.*?>, \"250 2\.0\.0 OK id=%s" % u)
    ok = None not in (d, h, rn_start, rn, ds, w) and d < rn_start and h < rn_start and rn < ds < w
    bad += not ok
    print("%s %s: fsync -D %s, fsync -H.tmp %s, rename %s-%s, fsync input/ %s, 250 %s"
          % ("ok" if ok else "BAD", uid, d, h, rn_start, rn, ds, w))
print("messages %d, fsyncs of input/ %d" % (len(uids), len(dir_syncs)))
sys.exit(1 if bad else 0)
PY
status=$?
cat "$T/order"
assert_status 0 $status "each 250 after the fsyncs of its files, the rename and the fsync of input/"
syncs=$(sed -n 's/.*fsyncs of input\/ \([0-9]*\)$/\1/p' "$T/order")
mm_log "$SESSIONS messages, $syncs fsyncs of input/ (the batches)"
mm_pass
