#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A scripted SMTP relay that fails on purpose, for the fault scenarios.
# It speaks enough ESMTP for the masqmail client (EHLO, optional
# PIPELINING and CHUNKING, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT) and
# at one step of the transaction does what --fault says instead of the
# normal reply.
#
#   fault-relay.py --port P --dir D [--pipelining] [--chunking]
#                  [--fault STEP:ACTION[:WHICH]] [--fault-conns N]
#
# STEP is greeting, ehlo, mail, rcpt, data (the reply to DATA or to the
# first BDAT), text (hang up in the middle of the message text) or dot
# (the reply after the end of the message text).
# ACTION is a reply code (421, 451, 452, 550, 552, 554: that reply with
# a fitting enhanced code), close (hang up without a reply), slow (the
# normal reply, one byte a second), dribble (a reply that never ends,
# one byte a second), nocode (a line without a code),
# wrongcode (a code that does not belong there), endless (continuation
# lines without end), long (a line far beyond any limit) or binary
# (junk bytes). WHICH says which messages of a connection (1, 2, ...;
# default all) or, for rcpt, which recipients (a glob) get it. The fault
# is done on the first N connections only (--fault-conns, default all),
# so that a later queue run can deliver.
#
# Each message the relay answers with 250 after its text is written to
# D/msg.NNNNN (envelope lines, an empty line, the text); D/events gets
# one line per connection and per fault done; D/ready says it listens.
import argparse
import fnmatch
import os
import socket
import socketserver
import threading
import time

ENHANCED = {
    "421": "4.3.0", "451": "4.3.0", "452": "4.3.1",
    "550": "5.7.1", "552": "5.3.4", "554": "5.3.0",
}

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--pipelining", action="store_true")
ap.add_argument("--chunking", action="store_true")
ap.add_argument("--fault", default=None)
ap.add_argument("--fault-conns", type=int, default=0)
args = ap.parse_args()

fault_step = fault_action = fault_which = None
if args.fault:
    parts = args.fault.split(":", 2)
    fault_step, fault_action = parts[0], parts[1]
    fault_which = parts[2] if len(parts) > 2 else None

lock = threading.Lock()
counters = {"conn": 0, "msg": 0}


def event(text):
    with lock:
        with open(os.path.join(args.dir, "events"), "a") as f:
            f.write(text + "\n")


class Hangup(Exception):
    pass


class Session(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        with lock:
            counters["conn"] += 1
            self.conn_no = counters["conn"]
        self.msg_no = 0
        self.reset()
        event("connection %d" % self.conn_no)

    def reset(self):
        self.mail_from = None
        self.rcpts = []
        self.chunks = []

    def faulty(self, step, which=None):
        if step != fault_step:
            return False
        if args.fault_conns and self.conn_no > args.fault_conns:
            return False
        if fault_which is None:
            return True
        if step == "rcpt":
            return fnmatch.fnmatch(which or "", fault_which)
        return str(self.msg_no) == fault_which

    def send(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def reply(self, step, normal, which=None):
        if not self.faulty(step, which):
            self.send(normal.encode() + b"\r\n")
            return True
        event("fault %s %s conn=%d msg=%d %s" % (step, fault_action, self.conn_no, self.msg_no,
                                                 which or ""))
        a = fault_action
        if a == "close":
            raise Hangup()
        if a.isdigit():
            self.send(("%s %s fault injected at %s\r\n" % (a, ENHANCED.get(a, "4.0.0"), step)).encode())
            if a == "421":
                raise Hangup()
            return False
        if a == "slow":
            # the code and a word: the client waits some seconds
            for b in normal[:3].encode() + b" ok\r\n":
                self.send(bytes([b]))
                time.sleep(1)
            return True
        if a == "nocode":
            self.send(b"this line has no reply code\r\n")
        elif a == "wrongcode":
            # 354 belongs to DATA only
            wrong = b"250" if step == "data" else b"354"
            self.send(wrong + b" a code that does not belong here\r\n")
        elif a == "endless":
            try:
                for i in range(200000):
                    self.send(b"250-and there is more, line %d\r\n" % i)
            except OSError:
                pass
            raise Hangup()
        elif a == "dribble":
            # a reply that never ends, one byte a second: only the
            # client's time limit for the reply ends it
            try:
                self.send(b"220-")
                while True:
                    time.sleep(1)
                    self.send(b"x")
            except OSError:
                pass
            raise Hangup()
        elif a == "long":
            try:
                self.send(b"250 " + b"x" * 100000 + b"\r\n")
            except OSError:
                pass
        elif a == "binary":
            self.send(bytes(range(256)) * 4 + b"\r\n")
        return False

    def read_text(self):
        lines = []
        while True:
            line = self.rfile.readline(100000)
            if not line:
                raise Hangup()
            if line in (b".\r\n", b".\n"):
                return b"".join(lines)
            if line.startswith(b"."):
                line = line[1:]
            lines.append(line)
            if self.faulty("text") and len(lines) == 3:
                event("fault text close conn=%d msg=%d" % (self.conn_no, self.msg_no))
                raise Hangup()

    def store(self, text):
        with lock:
            counters["msg"] += 1
            n = counters["msg"]
        name = os.path.join(args.dir, "msg.%05d" % n)
        with open(name + ".tmp", "wb") as f:
            f.write(("MAIL FROM:<%s>\n" % self.mail_from).encode())
            for r in self.rcpts:
                f.write(("RCPT TO:<%s>\n" % r).encode())
            f.write(b"\n")
            f.write(text)
        os.rename(name + ".tmp", name)
        return n

    def end_of_text(self, text):
        if not self.rcpts:
            self.send(b"554 5.5.1 no valid recipients\r\n")
        elif self.reply("dot", "250 2.0.0 ok"):
            self.store(text)
        self.reset()

    def handle(self):
        try:
            if not self.reply("greeting", "220 relay.test ESMTP fault relay"):
                return
            while True:
                line = self.rfile.readline(10000)
                if not line:
                    return
                cmd = line.decode("latin-1").rstrip("\r\n")
                verb = cmd[:4].upper()
                if verb == "EHLO":
                    ext = ["250-relay.test", "250-SIZE 10000000", "250-8BITMIME"]
                    if args.pipelining:
                        ext.append("250-PIPELINING")
                    if args.chunking:
                        ext.append("250-CHUNKING")
                    ext.append("250 HELP")
                    if self.faulty("ehlo"):
                        if self.reply("ehlo", "250 relay.test"):
                            continue
                    else:
                        self.send(("\r\n".join(ext) + "\r\n").encode())
                elif verb == "HELO":
                    self.send(b"250 relay.test\r\n")
                elif verb == "MAIL":
                    self.msg_no += 1
                    self.reset()
                    addr = cmd[cmd.find("<") + 1:cmd.find(">")] if "<" in cmd else ""
                    if self.reply("mail", "250 2.1.0 sender ok"):
                        self.mail_from = addr
                elif verb == "RCPT":
                    addr = cmd[cmd.find("<") + 1:cmd.find(">")] if "<" in cmd else ""
                    if self.mail_from is None:
                        self.send(b"503 5.5.1 MAIL first\r\n")
                    elif self.reply("rcpt", "250 2.1.5 recipient ok", addr):
                        self.rcpts.append(addr)
                elif verb == "DATA":
                    if self.mail_from is None or not self.rcpts:
                        self.send(b"554 5.5.1 no valid recipients\r\n")
                        self.reset()
                        continue
                    if not self.reply("data", "354 go ahead"):
                        self.reset()
                        continue
                    self.end_of_text(self.read_text())
                elif verb == "BDAT":
                    words = cmd.split()
                    size = int(words[1])
                    last = len(words) > 2 and words[2].upper() == "LAST"
                    chunk = self.rfile.read(size)
                    if len(chunk) < size:
                        return
                    if self.mail_from is None or not self.rcpts:
                        self.send(b"554 5.5.1 no valid recipients\r\n")
                        continue
                    first = not self.chunks
                    self.chunks.append(chunk)
                    if first and self.faulty("data") and fault_action != "slow":
                        self.reply("data", "")
                        self.reset()
                        continue
                    if self.faulty("text"):
                        event("fault text close conn=%d msg=%d" % (self.conn_no, self.msg_no))
                        raise Hangup()
                    if last:
                        self.end_of_text(b"".join(self.chunks))
                    else:
                        self.send(b"250 2.0.0 %d octets\r\n" % size)
                elif verb == "RSET":
                    self.reset()
                    self.send(b"250 2.0.0 reset\r\n")
                elif verb == "NOOP":
                    self.send(b"250 2.0.0 ok\r\n")
                elif verb == "QUIT":
                    self.send(b"221 2.0.0 bye\r\n")
                    return
                else:
                    self.send(b"500 5.5.2 unknown command\r\n")
        except (Hangup, ConnectionError, BrokenPipeError):
            return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


srv = Server(("127.0.0.1", args.port), Session)
open(os.path.join(args.dir, "ready"), "w").close()
srv.serve_forever()
