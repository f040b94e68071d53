#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A scripted relay for tests/integration/queue-batch.sh: it offers
# PIPELINING (and CHUNKING with --chunking), takes what arrives one
# read at a time and notes per read whether it held the end of one
# message and the MAIL of the next (so the test sees pipelining), and
# stores each message it answers 250 as OUT/msg.N. On its first
# connection only it misbehaves as the messages and recipients ask:
#   RCPT TO:<t4-...>      451      RCPT TO:<t5-...>      550
#   a body with "X-Fail: body4" 451 after the end, "body5" 554,
#   "421" 421 and closes, "drop" closes without a reply, "hang" takes
#   the message (250) and then reads and answers nothing more.
#
#   queue-batch-relay.py PORT OUT [--chunking]
import os
import socket
import sys
import threading

port = int(sys.argv[1])
out = sys.argv[2]
chunking = "--chunking" in sys.argv[3:]
lock = threading.Lock()
state = {"conns": 0, "taken": 0}


def note(name, text):
    with lock:
        with open(os.path.join(out, name), "a") as f:
            f.write(text)


def session(c, conn_no):
    bad = conn_no == 1
    c.sendall(b"220 batch.example ESMTP\r\n")
    buf = b""
    mode = "cmd"
    need = 0
    last = False
    mail, rcpts, data = False, [], b""
    while True:
        chunk = c.recv(1 << 16)
        if not chunk:
            return
        ends = b"\r\n.\r\n" in chunk or b" LAST\r\n" in chunk
        note("reads", "read end=%d mail=%d\n" % (ends, chunk.count(b"MAIL FROM:")))
        buf += chunk
        replies = []
        close = False

        def finish(body):
            nonlocal close
            fail = None
            for word in (b"body4", b"body5", b"421", b"drop", b"hang"):
                if bad and b"X-Fail: " + word + b"\r\n" in body:
                    fail = word
            if not rcpts:
                replies.append(b"554 5.5.1 no valid recipients")
            elif fail == b"body4":
                replies.append(b"451 4.3.0 try again")
            elif fail == b"body5":
                replies.append(b"554 5.6.0 refused")
            elif fail == b"421":
                replies.append(b"421 4.3.2 going down")
                close = True
            elif fail == b"drop":
                close = True
            else:
                if fail == b"hang":
                    close = "hang"
                with lock:
                    state["taken"] += 1
                    n = state["taken"]
                with open(os.path.join(out, "msg.%05d" % n), "wb") as f:
                    f.write(b"".join(b"RCPT " + r + b"\n" for r in rcpts) + b"\n" + body)
                replies.append(b"250 2.0.0 taken as %d" % n)

        while not close:
            if mode == "data":
                i = buf.find(b"\r\n.\r\n")
                if i < 0:
                    break
                body, buf = buf[:i + 2], buf[i + 5:]
                finish(body)
                mode, mail, rcpts, data = "cmd", False, [], b""
                continue
            if mode == "bdat":
                if len(buf) < need:
                    break
                data, buf = data + buf[:need], buf[need:]
                if last:
                    finish(data)
                    mail, rcpts, data = False, [], b""
                else:
                    replies.append(b"250 2.0.0 chunk")
                mode = "cmd"
                continue
            i = buf.find(b"\r\n")
            if i < 0:
                break
            line, buf = buf[:i], buf[i + 2:]
            verb = line.split(b" ", 1)[0].upper()
            if verb == b"EHLO":
                replies.append(b"250-batch.example\r\n250-PIPELINING\r\n" +
                               (b"250-CHUNKING\r\n" if chunking else b"") + b"250 8BITMIME")
            elif verb == b"MAIL":
                mail, rcpts, data = True, [], b""
                replies.append(b"250 2.1.0 ok")
            elif verb == b"RCPT":
                addr = line.split(b":", 1)[1].strip()
                if bad and addr.startswith(b"<t4-"):
                    replies.append(b"451 4.2.1 busy")
                elif bad and addr.startswith(b"<t5-"):
                    replies.append(b"550 5.1.1 no such user")
                else:
                    rcpts.append(addr)
                    replies.append(b"250 2.1.5 ok")
            elif verb == b"DATA":
                if not rcpts:
                    replies.append(b"554 5.5.1 no valid recipients")
                else:
                    replies.append(b"354 go on")
                    mode = "data"
            elif verb == b"BDAT":
                words = line.split()
                need = int(words[1])
                last = len(words) > 2 and words[2].upper() == b"LAST"
                mode = "bdat"
            elif verb == b"RSET":
                mail, rcpts, data = False, [], b""
                replies.append(b"250 2.0.0 ok")
            elif verb == b"QUIT":
                replies.append(b"221 2.0.0 bye")
                close = True
            else:
                replies.append(b"500 5.5.2 what?")
        if replies:
            c.sendall(b"".join(r + b"\r\n" for r in replies))
        if close == "hang":
            threading.Event().wait()
        if close:
            return


def serve(c):
    with lock:
        state["conns"] += 1
        n = state["conns"]
    note("connections", "connection\n")
    try:
        session(c, n)
    finally:
        c.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
open(os.path.join(out, "ready"), "w").close()
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
