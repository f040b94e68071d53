# SPDX-License-Identifier: GPL-2.0-or-later
#
# The driver of the stress commands (crash.sh, hangup.sh, soak.sh) and
# of the suite's crash scenarios. It owns the load (SMTP sessions that
# record exactly which messages got their 250 after DATA, `sendmail`
# submissions that record exit 0), the daemon's life (start, SIGKILL
# of its whole process tree, restart), the link (a TUN dial-up through
# nd-dialer, cut by deleting its route or closing the device) and the
# final accounting: every accepted message delivered, duplicates
# explained, every spool entry readable, no crash but ours.
#
# The shell side (stress-lib.sh) makes the temporary directory, the
# configuration and the recording relay (tests/lib/relay.py); this
# reads its settings from the environment (STRESS_*; see main()).
#
# A second copy of a message at the relay is "unavoidable" when the
# connection that carried an earlier copy ended right after the relay's
# 250 for it (tests/lib/relay.py records that): the sender was killed
# or cut off before it could read the 250 or write down what it meant,
# and so must send again (RFC 5321 section 6.1). Any other second copy
# is a bug: a 250 the daemon had and forgot.
import collections
import ctypes
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time

PR_SET_CHILD_SUBREAPER = 36


def env(name, default=None):
    v = os.environ.get(name)
    return v if v not in (None, "") else default


def log(*args):
    print("stress:", *args, file=sys.stderr, flush=True)


class Run:
    def __init__(self):
        self.masqmail = env("STRESS_MASQMAIL")
        self.conf = env("STRESS_CONF")
        self.t = env("STRESS_T")
        self.spool = os.path.join(env("STRESS_SPOOL"), "input")
        self.relay = env("STRESS_RELAY_DIR")
        self.port = int(env("STRESS_SMTP_PORT"))
        self.daemon_log = env("STRESS_LOG")
        os.makedirs(self.spool, mode=0o750, exist_ok=True)
        self.interval = env("STRESS_INTERVAL", "2s")
        self.lock = threading.Lock()
        self.next_id = 0
        self.accepted = set()
        self.attempted = 0
        self.crashes = []
        self.mine = set()  # pids of the load's own children, waited for by the load
        self.unreadable = []
        self.daemon = None
        self.daemon_err = open(os.path.join(self.t, "daemon.err"), "ab")
        self.stop_load = threading.Event()
        self.pause_load = threading.Event()
        self.start_time = time.time()
        # orphans of the daemon come to us, so that a kill finds them all
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

    # ---- tokens and load

    def new_token(self, kind):
        with self.lock:
            self.next_id += 1
            self.attempted += 1
            return "%s%d" % (kind, self.next_id)

    def message(self, token, size):
        body = "".join("%s line %d %s\r\n" % (token, i, "x" * 60) for i in range(size // 72 + 1))
        return ("From: stress@client.example\r\nTo: rcpt@remote.example\r\n"
                "Subject: stress %s\r\nX-Stress-Id: %s\r\n\r\n%s" % (token, token, body))

    def smtp_session(self, rate, per_session):
        """One client: sessions of up to per_session messages, rate
        messages a second at most; a message counts once its DATA got
        250."""
        while not self.stop_load.is_set():
            if self.pause_load.is_set():
                time.sleep(0.05)
                continue
            try:
                with smtplib.SMTP("127.0.0.1", self.port, "client.example", timeout=20) as s:
                    for _ in range(random.randint(1, per_session)):
                        if self.stop_load.is_set() or self.pause_load.is_set():
                            break
                        tok = self.new_token("s")
                        s.sendmail("stress@client.example", ["rcpt@remote.example"],
                                   self.message(tok, random.choice((300, 2000, 20000))))
                        with self.lock:
                            self.accepted.add(tok)
                        if rate:
                            time.sleep(random.expovariate(rate))
                    try:
                        s.quit()
                    except (OSError, smtplib.SMTPException):
                        pass
            except (OSError, smtplib.SMTPException):
                time.sleep(0.05)

    def sendmail_loop(self, rate):
        while not self.stop_load.is_set():
            if self.pause_load.is_set():
                time.sleep(0.05)
                continue
            tok = self.new_token("m")
            p = None
            try:
                p = subprocess.Popen([self.masqmail, "-C", self.conf, "-f", "stress@client.example",
                                      "rcpt@remote.example"], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                with self.lock:
                    self.mine.add(p.pid)
                _, err = p.communicate(self.message(tok, 1500).encode(), timeout=60)
                if p.returncode == 0:
                    with self.lock:
                        self.accepted.add(tok)
                elif p.returncode != 75:
                    log("sendmail %s: exit %d: %s" % (tok, p.returncode, err.decode(errors="replace").strip()))
            except subprocess.TimeoutExpired:
                log("sendmail %s: no exit within 60 s" % tok)
                p.kill()
                p.wait()
            finally:
                if p is not None:
                    with self.lock:
                        self.mine.discard(p.pid)
            time.sleep(random.expovariate(rate))

    def start_load(self, sessions, rate, per_session, sendmail_rate):
        self.threads = []
        for _ in range(sessions):
            self.threads.append(threading.Thread(target=self.smtp_session, args=(rate, per_session), daemon=True))
        if sendmail_rate:
            self.threads.append(threading.Thread(target=self.sendmail_loop, args=(sendmail_rate,), daemon=True))
        for th in self.threads:
            th.start()

    def end_load(self):
        self.stop_load.set()
        for th in self.threads:
            th.join(90)

    # ---- the daemon

    def start_daemon(self):
        self.daemon = subprocess.Popen([self.masqmail, "-C", self.conf, "-bD", "-q", self.interval],
                                       stdout=subprocess.DEVNULL, stderr=self.daemon_err)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.daemon.poll() is not None:
                self.crash("the daemon exited at start with %s" % self.status(self.daemon.returncode))
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return True
            except OSError:
                time.sleep(0.01)
        self.crash("the daemon did not listen within 20 s")
        return False

    @staticmethod
    def status(rc):
        return "signal %d" % -rc if rc < 0 else "status %d" % rc

    def crash(self, what):
        log("CRASH: " + what)
        self.crashes.append(what)

    def tree(self, root):
        """root and every process below it."""
        kids = collections.defaultdict(list)
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % p) as f:
                    st = f.read()
            except OSError:
                continue
            ppid = int(st[st.rindex(")") + 2:].split()[1])
            kids[ppid].append(int(p))
        out, todo = [], [root]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(kids.get(p, []))
        return out

    @staticmethod
    def state(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read()
            return st[st.rindex(")") + 2]
        except (OSError, ValueError, IndexError):
            return "X"

    def kill_daemon(self):
        """SIGKILL to the daemon and everything below it. Each process is
        stopped first, and the tree read again once all of them are, so
        that nothing forks or is orphaned in between."""
        d = self.daemon
        if d.poll() is not None:
            self.crash("the daemon exited by itself with %s" % self.status(d.returncode))
            return
        seen = set()
        while True:
            procs = set(self.tree(d.pid)) - seen
            if not procs:
                break
            for p in procs:
                try:
                    os.kill(p, signal.SIGSTOP)
                except ProcessLookupError:
                    pass
            seen |= procs
            deadline = time.time() + 5
            while time.time() < deadline and any(self.state(p) not in "TtZX" for p in seen):
                time.sleep(0.001)
        for p in seen:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        rc = d.wait()
        if rc != -signal.SIGKILL:
            self.crash("the daemon ended with %s before our SIGKILL" % self.status(rc))
        # the others are ours to reap now (subreaper), or were reaped by
        # their parents before
        for p in seen - {d.pid}:
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    if os.waitpid(p, os.WNOHANG)[0] == p:
                        break
                except ChildProcessError:
                    if self.state(p) == "X":
                        break
                time.sleep(0.002)
        self.reap_orphans()

    def reap_orphans(self):
        """Reaps what became ours as a subreaper (a `sendmail`'s delivery
        in the background), never a child the load waits for itself."""
        me = os.getpid()
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            pid = int(p)
            try:
                with open("/proc/%d/stat" % pid) as f:
                    st = f.read()
            except OSError:
                continue
            rest = st[st.rindex(")") + 2:].split()
            if rest[0] == "Z" and int(rest[1]) == me:
                with self.lock:
                    if pid in self.mine:
                        continue
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass

    def stop_daemon(self):
        self.daemon.send_signal(signal.SIGTERM)
        try:
            rc = self.daemon.wait(60)
        except subprocess.TimeoutExpired:
            self.crash("the daemon did not stop within 60 s of SIGTERM")
            self.kill_daemon()
            return
        if rc != 0:
            self.crash("the daemon stopped with %s on SIGTERM" % self.status(rc))

    # ---- what the relay and the spool hold

    def received(self):
        """The relay's copies: token -> [(epoch, conn, cut)], where cut
        says the connection ended right after this copy's 250."""
        copies = collections.defaultdict(list)
        last, cut = {}, set()
        try:
            with open(os.path.join(self.relay, "received")) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) != 3:
                        continue
                    if parts[0] == "cut":
                        cut.add(parts[2])
                    else:
                        last.setdefault(parts[2], []).append((parts[0], len(copies[parts[0]])))
                        copies[parts[0]].append([float(parts[1]), parts[2], False])
        except FileNotFoundError:
            pass
        # A pipelining client is one message ahead of the replies and
        # writes each message down after reading its 250, so a cut can
        # come after the relay's 250s for the last two messages of the
        # connection and before the client wrote either down.
        for conn in cut:
            for tok, i in last.get(conn, [])[-2:]:
                copies[tok][i][2] = True
        return copies

    def check_spool(self, why):
        r = subprocess.run([self.masqmail, "-C", self.conf, "-bp"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=60)
        # a -D without its -H is what a kill during intake leaves by
        # design (the rename of the -H is the commit): counted apart
        lines = r.stderr.decode(errors="replace").splitlines()
        err = "\n".join(l for l in lines if not l.endswith(": data file without header file")).strip()
        if r.returncode != 0 or err:
            self.unreadable.append("%s: mailq exit %d: %s" % (why, r.returncode, err))
            log("UNREADABLE after %s: mailq exit %d: %s" % (why, r.returncode, err))

    def queued(self):
        return len([n for n in os.listdir(self.spool) if n.endswith("-H")])

    def drain(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.queued() == 0:
                return True
            time.sleep(0.2)
        return False

    def scan_logs(self):
        """Sanitizer reports and crash signals in what the daemon wrote."""
        self.daemon_err.flush()
        bad = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer",
               "CRITICAL **", "ERROR:", "dumped core")
        for path in (os.path.join(self.t, "daemon.err"), self.daemon_log):
            try:
                with open(path, errors="replace") as f:
                    for line in f:
                        if any(b in line for b in bad):
                            self.crash("%s: %s" % (os.path.basename(path), line.strip()))
                        elif "killed by signal" in line and not line.rstrip().endswith(("signal 9", "signal 15", "signal 10")):
                            self.crash("%s: %s" % (os.path.basename(path), line.strip()))
            except FileNotFoundError:
                pass
        for d in (self.t, os.getcwd()):
            for n in os.listdir(d):
                if n == "core" or n.startswith("core."):
                    self.crash("core dump %s" % os.path.join(d, n))

    def orphans(self):
        """Leftovers of interrupted writes that the queue's collection
        should have removed. An empty -D (killed between its create and
        its lock) is kept for MM_QUEUE_ORPHAN_GRACE_SECS: counted apart."""
        names = set(os.listdir(self.spool))
        out = []
        self.young_empty = []
        for n in names:
            if n.endswith("-D") and n[:-2] + "-H" not in names:
                try:
                    empty = os.path.getsize(os.path.join(self.spool, n)) == 0
                except FileNotFoundError:
                    continue
                (self.young_empty if empty else out).append(n)
            elif n.endswith(".tmp"):
                out.append(n)
        return out

    def report(self, extra=()):
        self.scan_logs()
        got = self.received()
        with self.lock:
            accepted = set(self.accepted)
        ours = {t for t in got if t[:1] in ("s", "m") and t[1:].isdigit()}
        lost = sorted(accepted - set(got))
        dups = sum(len(got[t]) - 1 for t in ours)
        # a copy is one too many when its connection was cut right after
        # its 250 (in any order: a killed sender's last data may reach
        # the relay after the next daemon sent the message again)
        bad = [t for t in ours if len(got[t]) - 1 > sum(1 for c in got[t] if c[2])]
        unexplained = sum(len(got[t]) - 1 - sum(1 for c in got[t] if c[2]) for t in bad)
        orphans = self.orphans()
        self.check_spool("the end")
        print("attempted %d (messages offered; those without a 250 or exit 0 may or may not arrive)" % self.attempted)
        print("delivered without acknowledgement %d" % len(ours - accepted))
        print("duplicates of the unavoidable kind %d (an earlier copy's connection was cut right after the"
              " relay's 250), others %d" % (dups - unexplained, unexplained))
        print("spool entries unreadable %d, orphan files left %d%s" % (
            len(self.unreadable), len(orphans), (": " + " ".join(sorted(orphans)[:10])) if orphans else ""))
        print("empty data files kept for the grace period %d" % len(self.young_empty))
        for t in sorted(bad)[:20]:
            print("duplicate not explained: %s copies at %s" % (t, " ".join(
                "%.3fs(conn %s%s)" % (c[0] - self.start_time, c[1], ", cut" if c[2] else "") for c in got[t])))
        print("still queued %d" % self.queued())
        for line in extra:
            print(line)

        if lost:
            print("lost tokens: " + " ".join(lost[:50]))
        for c in self.crashes[:20]:
            print("crash: " + c)
        for u in self.unreadable[:20]:
            print("unreadable: " + u)
        print("accepted %d" % len(accepted))
        print("delivered %d" % len(ours & accepted))
        print("lost %d" % len(lost))
        print("duplicated %d" % dups)
        print("crashes %d" % len(self.crashes))
        sys.stdout.flush()
        return 0 if not lost and not self.crashes and not self.unreadable and not unexplained else 1


# ---- the link (hangup and soak, inside the namespace)

class Link:
    def __init__(self, run):
        self.run = run
        self.dialer = env("STRESS_DIALER")
        self.proc = None
        self.how = []

    def sh(self, *cmd):
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up(self):
        if self.proc is None:
            self.proc = subprocess.Popen([self.dialer, "ppp0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            line = self.proc.stdout.readline()
            if b"dialed" not in line:
                raise SystemExit("nd-dialer: %r" % line)
            self.sh("ip", "link", "set", "ppp0", "up")
            self.sh("ip", "addr", "add", "10.0.0.1", "peer", "10.0.0.2", "dev", "ppp0")
        self.sh("ip", "route", "add", "default", "dev", "ppp0")

    def down(self):
        """Cuts the link as a modem does: the route goes, or the device."""
        how = random.choice(("route", "device"))
        self.how.append(how)
        if how == "route":
            self.sh("ip", "route", "del", "default", "dev", "ppp0")
        else:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            self.proc = None

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def quiet(run, timeout=10):
    """Waits until the daemon has no child but its SMTP one: no
    delivery of any kind is under way."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(run.tree(run.daemon.pid)) <= 2:
            return True
        time.sleep(0.01)
    return False


def log_count(run, text):
    try:
        with open(run.daemon_log, errors="replace") as f:
            return f.read().count(text)
    except FileNotFoundError:
        return 0


# ---- the modes

def crash_mode(run):
    kills = int(env("STRESS_KILLS", "200"))
    window = float(env("STRESS_WINDOW", "0.6"))
    run.start_load(int(env("STRESS_SESSIONS", "4")), float(env("STRESS_RATE", "0")), 5,
                   float(env("STRESS_SENDMAIL_RATE", "2")))
    busy = os.path.join(run.relay, "busy")
    moments = collections.Counter()
    t0 = time.time()
    for k in range(kills):
        # a third of the cycles the relay defers everything, so that a
        # backlog builds up for the next cycles' runs to flush
        if random.random() < 0.3:
            open(busy, "w").close()
        elif os.path.exists(busy):
            os.unlink(busy)
        if not run.start_daemon():
            break
        time.sleep(random.uniform(0.0, window))
        n = len(run.tree(run.daemon.pid))
        moments["flush" if n > 2 else "intake"] += 1
        run.kill_daemon()
        run.check_spool("kill %d" % (k + 1))
    elapsed = time.time() - t0
    run.end_load()
    if os.path.exists(busy):
        os.unlink(busy)
    extra = ["kills %d in %.0f s: %d while deliveries ran, %d while only taking mail in" % (
        sum(moments.values()), elapsed, moments["flush"], moments["intake"])]
    if run.start_daemon():
        if not run.drain(float(env("STRESS_DRAIN", "180"))):
            extra.append("the queue did not drain: %d left" % run.queued())
        run.stop_daemon()
    return run.report(extra)


def hangup_mode(run):
    cuts = int(env("STRESS_CUTS", "100"))
    window = float(env("STRESS_WINDOW", "0.5"))
    link = Link(run)
    if not run.start_daemon():
        return run.report()
    run.start_load(int(env("STRESS_SESSIONS", "2")), float(env("STRESS_RATE", "5")), 5, 0)
    t0 = time.time()
    stopped = 0
    for k in range(cuts):
        # some mail queued while offline, then a dial-up flushes it
        time.sleep(random.uniform(0.2, 1.0))
        before = log_count(run, "run: isp started")
        link.up()
        deadline = time.time() + 10
        while log_count(run, "run: isp started") == before and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(random.uniform(0.0, window))
        s0 = log_count(run, "run: isp stopped: the link went down")
        link.down()
        run.pause_load.set()
        quiet(run)
        stopped += log_count(run, "run: isp stopped: the link went down") - s0
        run.pause_load.clear()
        if k % 10 == 9:
            run.check_spool("cut %d" % (k + 1))
    elapsed = time.time() - t0
    run.end_load()
    link.up()
    extra = ["hang-ups %d in %.0f s (%d by deleting the route, %d by closing the device), %d runs stopped by them" % (
        cuts, elapsed, link.how.count("route"), link.how.count("device"), stopped)]
    if not run.drain(float(env("STRESS_DRAIN", "180"))):
        extra.append("the queue did not drain: %d left" % run.queued())
    run.stop_daemon()
    link.close()
    return run.report(extra)


def sample(run, out):
    procs = run.tree(run.daemon.pid)
    rss = fds = 0
    for p in procs:
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
            fds += len(os.listdir("/proc/%d/fd" % p))
        except OSError:
            pass
    size = 0
    names = os.listdir(run.spool)
    for n in names:
        try:
            size += os.stat(os.path.join(run.spool, n)).st_size
        except OSError:
            pass
    row = (time.time() - run.start_time, rss, fds, len(procs), len([n for n in names if n.endswith("-H")]), size)
    out.write("%.1f %d %d %d %d %d\n" % row)
    out.flush()
    return row


# The harmless: what the load itself makes the daemon say
SOAK_EXPECTED = ("the link went down", "stopped: the link went down", "connection", "timed out", "timeout",
                 "deferred", "not online", "no route", "lost", "reset by peer", "broken pipe", "busy, try later",
                 "451", "handed over", "delivering here")


def soak_mode(run):
    seconds = float(env("STRESS_SECONDS", "3600"))
    every = float(env("STRESS_SAMPLE", "5"))
    sessions = int(env("STRESS_SESSIONS", "50"))
    rate = float(env("STRESS_RATE", "0.1"))
    link = Link(run)
    if not run.start_daemon():
        return run.report()
    samples_path = os.path.join(env("STRESS_OUT", run.t), "soak-samples")
    out = open(samples_path, "w")
    out.write("# seconds rss_kb fds processes queued spool_bytes\n")
    # the baseline: the daemon idle, its SMTP child up
    quiet(run)
    time.sleep(1)
    rows = [sample(run, out)]
    run.start_load(sessions, rate, 20, float(env("STRESS_SENDMAIL_RATE", "0.5")))
    t0 = time.time()
    flaps = 0
    next_sample = t0 + every
    online = False
    next_flap = t0
    while time.time() - t0 < seconds:
        now = time.time()
        if now >= next_flap:
            if online:
                link.down()
                flaps += 1
                next_flap = now + random.uniform(1, 3)
            else:
                link.up()
                next_flap = now + random.uniform(2, 6)
            online = not online
        if now >= next_sample:
            rows.append(sample(run, out))
            run.reap_orphans()
            next_sample += every
            if run.daemon.poll() is not None:
                run.crash("the daemon exited with %s" % run.status(run.daemon.returncode))
                break
        time.sleep(0.05)
    run.end_load()
    link.up()
    drained = run.drain(float(env("STRESS_DRAIN", "300")))
    time.sleep(every)
    rows.append(sample(run, out))
    out.close()
    run.stop_daemon()
    link.close()

    def mm(i, scale=1):
        v = [r[i] for r in rows]
        return "min %d max %d last %d" % (min(v) / scale, max(v) / scale, v[-1] / scale)
    extra = ["soak %.0f s, %d sessions at %.2f msg/s each, sendmail %.2f/s, %d link flaps, %d samples in %s" % (
        seconds, sessions, rate, float(env("STRESS_SENDMAIL_RATE", "0.5")), flaps, len(rows), samples_path),
        "rss_kb %s" % mm(1), "fds %s" % mm(2), "processes %s" % mm(3), "queued %s" % mm(4),
        "spool_bytes %s" % mm(5)]
    if not drained:
        extra.append("the queue did not drain: %d left" % run.queued())
    # bounds: after the first quarter (warm-up: sessions opened, caches
    # filled) RSS may not grow by more than STRESS_RSS_GROWTH_KB, and
    # the fds at the end (idle) may not exceed those at the start by
    # more than 4
    q = max(1, len(rows) // 4)
    early = max(r[1] for r in rows[1:q + 1]) if len(rows) > 2 else rows[0][1]
    late = max(r[1] for r in rows[-q:])
    bound = int(env("STRESS_RSS_GROWTH_KB", "8192"))
    failed = False
    extra.append("rss growth %d kB from the first quarter's peak to the last quarter's (bound %d kB)" % (late - early, bound))
    if late - early > bound:
        extra.append("FAIL: RSS grew beyond the bound")
        failed = True
    extra.append("fds idle at the start %d, at the end %d (bound: +4)" % (rows[0][2], rows[-1][2]))
    if rows[-1][2] > rows[0][2] + 4:
        extra.append("FAIL: descriptors grew")
        failed = True
    unexplained = collections.Counter()
    with open(run.daemon_log, errors="replace") as f:
        for line in f:
            low = line.lower()
            if any(w in low for w in ("error", "cannot", "fail", "corrupt", "damaged", "warning")):
                if "0 damaged, 0 errors" in low:
                    continue
                if not any(x in low for x in SOAK_EXPECTED):
                    msg = line.split(": ", 1)[-1].strip()
                    unexplained[msg[:100]] += 1
    for msg, n in unexplained.most_common(10):
        extra.append("log line not caused by the load (%dx): %s" % (n, msg))
    if unexplained:
        failed = True
    rc = run.report(extra)
    return 1 if failed else rc


def main():
    mode = sys.argv[1]
    seed = int(env("STRESS_SEED", str(int(time.time()))))
    random.seed(seed)
    print("seed %d (STRESS_SEED=%d repeats the random choices)" % (seed, seed))
    run = Run()
    rc = {"crash": crash_mode, "hangup": hangup_mode, "soak": soak_mode}[mode](run)
    sys.exit(rc)


if __name__ == "__main__":
    main()
