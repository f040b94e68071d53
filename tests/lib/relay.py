# SPDX-License-Identifier: GPL-2.0-or-later
#
# A recording SMTP relay for the tests and the stress commands: it
# takes any message and appends its identifying token to DIR/received,
# one line per message it answered with a final 250, written and
# flushed before that 250 is sent (so a line with no 250 behind it is
# the kind of message a sender must retry: the duplicate SMTP cannot
# avoid, RFC 5321 section 6.1). Only the standard library, so that it
# runs under any python3.
#
#   /usr/bin/python3 relay.py ADDR PORT DIR
#
# The token is the value of the first X-Stress-Id header, else the
# Subject, else "-". DIR/received lines are "TOKEN EPOCH CONN" (CONN
# numbers the connections), and "cut EPOCH CONN" when connection CONN
# ended without QUIT after a final 250: the sender may never have read
# the last 250s (a pipelining sender is a message ahead), so those
# messages are ones it may rightly send again. DIR/ready
# appears once it listens. How it behaves is read from files in DIR
# at each step, so a test can change it while it runs:
#   DIR/delay    seconds (a float) to wait before the final reply
#   DIR/slow     read the message data a line per 50 ms
#   DIR/busy     answer every RCPT with 451
#   DIR/drop     a probability (0..1): after the final dot, close the
#                connection without a reply (nothing recorded)
#   DIR/keep     also store each message as DIR/msg.N
import os
import random
import socket
import sys
import threading
import time

MAX_LINE = 1000 + 2  # RFC 5321 section 4.5.3.1.6, with the CRLF

addr, port, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
count = [0]


def knob(name):
    try:
        with open(os.path.join(d, name)) as f:
            return f.read().strip() or "1"
    except OSError:
        return None


def token_of(data):
    subject = None
    for raw in data:
        if raw in (b"\r\n", b"\n"):
            break
        line = raw.decode(errors="replace").rstrip("\r\n")
        name, _, value = line.partition(":")
        if name.lower() == "x-stress-id":
            return value.strip()
        if name.lower() == "subject" and subject is None:
            subject = value.strip()
    return subject if subject else "-"


def note(text):
    with lock:
        with open(os.path.join(d, "received"), "a") as log:
            log.write(text)


def record(data, mail, rcpts, conn_id):
    tok = token_of(data)
    with lock:
        count[0] += 1
        n = count[0]
        with open(os.path.join(d, "received"), "a") as log:
            log.write("%s %.6f %d\n" % (tok, time.time(), conn_id))
    if knob("keep"):
        with open(os.path.join(d, "msg.%05d" % n), "wb") as out:
            out.write(("MAIL FROM:%s\n" % mail).encode())
            for r in rcpts:
                out.write(("RCPT TO:%s\n" % r).encode())
            out.write(b"\n" + b"".join(data))


def serve(conn, conn_id, state):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = conn.makefile("rb")

    def say(text):
        conn.sendall((text + "\r\n").encode())

    say("220 relay ready")
    mail, rcpts = None, []
    while True:
        line = f.readline(MAX_LINE)
        if not line:
            return
        cmd = line.decode(errors="replace").strip()
        verb = cmd[:4].upper()
        if verb == "EHLO":
            say("250-relay\r\n250-PIPELINING\r\n250 8BITMIME")
        elif verb == "HELO":
            say("250 relay")
        elif verb == "MAIL":
            mail, rcpts = cmd[10:], []
            say("250 ok")
        elif verb == "RCPT":
            if knob("busy"):
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
                if knob("slow"):
                    time.sleep(0.05)
                l = f.readline(MAX_LINE)
                if not l:
                    return
                if l in (b".\r\n", b".\n"):
                    break
                data.append(l[1:] if l.startswith(b".") else l)
            drop = knob("drop")
            if drop and random.random() < float(drop):
                return
            delay = knob("delay")
            if delay:
                time.sleep(random.uniform(0, float(delay)))
            record(data, mail, rcpts, conn_id)
            state["after_250"] = True
            say("250 2.0.0 queued")
            mail, rcpts = None, []
        elif verb == "RSET":
            mail, rcpts = None, []
            say("250 ok")
        elif verb == "NOOP":
            say("250 ok")
        elif verb == "QUIT":
            # only a session that ends in order has every 250 read
            state["after_250"] = False
            say("221 bye")
            return
        else:
            say("502 5.5.1 not here")


def run(c, conn_id):
    state = {"after_250": False}
    try:
        serve(c, conn_id, state)
    except OSError:
        pass
    finally:
        c.close()
        if state["after_250"]:
            note("cut %.6f %d\n" % (time.time(), conn_id))


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(64)
open(os.path.join(d, "ready"), "w").close()
conns = 0
while True:
    c, _ = s.accept()
    conns += 1
    threading.Thread(target=run, args=(c, conns), daemon=True).start()
