#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A small SMTP relay that offers PIPELINING and CHUNKING (RFC 3030) for
# tests/integration/smtpc-bdat.sh: aiosmtpd and smtp-sink know no BDAT.
# It stores each message it takes as OUT/msgN (the octets as received)
# and answers RCPT TO:<refused@...> with 550. With --close-after N it
# drops the connection, without a reply, after its Nth BDAT LAST.
#
#   smtpc-bdat-relay.py PORT OUT [--close-after N]
import asyncio
import os
import sys

port = int(sys.argv[1])
out = sys.argv[2]
close_after = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--close-after" else 0
taken = 0
lasts = 0


async def session(reader, writer):
    global taken, lasts
    writer.write(b"220 bdat.example ESMTP\r\n")
    rcpts = []
    mail = False
    data = b""
    failed = False
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = line.rstrip(b"\r\n").decode("ascii", "replace")
        verb = cmd.split(" ", 1)[0].upper()
        if verb == "EHLO":
            writer.write(b"250-bdat.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n")
        elif verb == "MAIL":
            if mail:
                writer.write(b"503 5.5.1 nested MAIL\r\n")
            else:
                mail, rcpts, data, failed = True, [], b"", False
                writer.write(b"250 2.1.0 ok\r\n")
        elif verb == "RCPT":
            if not mail:
                writer.write(b"503 5.5.1 need MAIL\r\n")
            elif "<refused@" in cmd:
                writer.write(b"550 5.1.1 no such user\r\n")
            else:
                rcpts.append(cmd)
                writer.write(b"250 2.1.5 ok\r\n")
        elif verb == "BDAT":
            words = cmd.split()
            size = int(words[1])
            last = len(words) > 2 and words[2].upper() == "LAST"
            chunk = await reader.readexactly(size)
            if not mail or not rcpts:
                failed = True
            data += chunk
            if last:
                lasts += 1
                if close_after and lasts >= close_after:
                    break
                if failed:
                    writer.write(b"554 5.5.1 no valid recipients\r\n")
                else:
                    taken += 1
                    with open(os.path.join(out, "msg%d" % taken), "wb") as f:
                        f.write(data)
                    writer.write(b"250 2.0.0 taken\r\n")
                mail, rcpts, data, failed = False, [], b"", False
            else:
                writer.write(b"250 2.0.0 chunk\r\n")
        elif verb == "RSET":
            mail, rcpts, data, failed = False, [], b"", False
            writer.write(b"250 2.0.0 ok\r\n")
        elif verb == "DATA":
            writer.write(b"503 5.5.1 use BDAT here\r\n")
        elif verb == "QUIT":
            writer.write(b"221 2.0.0 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"500 5.5.2 what?\r\n")
        await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
