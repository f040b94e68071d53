#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks one case of tests/integration/fault-relay.sh: what the first
# queue run did against a relay that failed at one step (the log, the
# spool afterwards), and what the second run against the healthy relay
# did. Prints one line per thing that is wrong, nothing when all is
# right.
#
#   fault-check-relay.py FAULT SEQS LOG1 SPOOL1 LOG SPOOL RELAYDIR S1 S2
#
# FAULT_CHUNKING=1 in the environment: the relay offered CHUNKING.
# FAULT is the relay's --fault; SEQS has "SEQ UID" lines (the X-Seq of
# each queued message); LOG1
# and SPOOL1 are the log and spool input directory after the first run,
# LOG and SPOOL after the second; S1 and S2 the runs' exit statuses.
import glob
import os
import re
import sys

fault, seqs_file, log1, spool1, log_all, spool, relay_dir, s1, s2 = sys.argv[1:10]
step, action, *rest = fault.split(":")
which = rest[0] if rest else None
RCPTS = ["a@r.example", "b@r.example", "c@r.example"]
problems = []

by_seq = {}
for line in open(seqs_file):
    seq, uid = line.split()
    by_seq[int(seq)] = uid
# A queue run takes the messages in the order of their ids, which is the
# order of submission only across seconds: within one second it is that
# of the submitting processes' ids, and those wrap around (pid_max). A
# message's number k below is its place in the connection.
place = {seq: i + 1 for i, (seq, _) in enumerate(sorted(by_seq.items(), key=lambda e: e[1]))}
seqs = {place[seq]: uid for seq, uid in by_seq.items()}
n = len(seqs)

# A reply the client cannot go on after: the session is over.
breaks = action in ("421", "close", "nocode", "wrongcode", "endless", "long", "binary", "dribble")
code = action if action.isdigit() else None
# With CHUNKING the client sends a message's text in the same write as
# its RCPTs (BDAT LAST), and the next message's behind it, as RFC 3030
# allows. When a reply is junk the client cannot read on, so it never
# sees the relay's 250s for the text it had already sent, which the
# relay may have taken: the same kind of duplicate as a 250 lost on the
# way, for any recipient still pending after the first run.
junk_reply = (os.environ.get("FAULT_CHUNKING") == "1"
              and action in ("nocode", "long", "binary", "endless", "dribble"))
permanent = code is not None and code.startswith("5")


def expected(k, rcpt):
    """The outcomes allowed for message k (1-based), recipient rcpt,
    after the first run: a set of D (delivered), F (failed), P (pending)."""
    if action == "slow":
        return {"D"}
    if step in ("greeting", "ehlo"):
        if step == "ehlo" and code in ("550", "552"):
            return {"D"}  # the client says HELO instead
        # nothing was sent; a new connection of the same run may deliver
        return {"P", "D"} if k > 1 else {"P"}
    if step == "rcpt":
        hit = rcpt == "b@r.example"
        if action == "wrongcode":
            # no positive reply: that recipient waits, the others go
            return {"P"} if hit else {"D"}
        if breaks:
            return {"P"} if k == 1 else {"P", "D"}
        if not hit:
            return {"D"}
        return {"F"} if permanent else {"P"}
    # mail, data, text, dot on message `which`
    w = int(which)
    if k < w:
        return {"D"}
    if k > w:
        return {"P", "D"} if breaks or step == "text" else {"D"}
    if step == "text" or breaks:
        return {"P"}
    return {"F"} if permanent else {"P"}


def read_log(path):
    events = {}
    notices = {}
    for line in open(path, errors="replace"):
        m = re.search(r" (\S+) (=>|==|!!) (\S+) ", line)
        if m and m.group(1) in seqs.values():
            kind = {"=>": "D", "==": "P", "!!": "F"}[m.group(2)]
            events.setdefault((m.group(1), m.group(3)), []).append(kind)
        m = re.search(r" (\S+): failure notice ", line)
        if m:
            notices[m.group(1)] = notices.get(m.group(1), 0) + 1
    return events, notices


def spool_marks(path, uid):
    try:
        text = open(os.path.join(path, uid + "-H"), errors="replace").read()
    except FileNotFoundError:
        return None
    marks = {}
    for m in re.finditer(r"^RT:(.)<([^>]*)>", text, re.M):
        marks[m.group(2)] = {" ": "P", "X": "D", "F": "F"}.get(m.group(1), "?")
    return marks


if s1 not in ("0",) or s2 not in ("0",):
    problems.append("queue runs exited %s and %s" % (s1, s2))

ev1, notices1 = read_log(log1)
ev_all, notices_all = read_log(log_all)
outcome = {}
for k, uid in seqs.items():
    marks = spool_marks(spool1, uid)
    failed_here = False
    for r in RCPTS:
        kinds = ev1.get((uid, r), [])
        got = "D" if "D" in kinds else "F" if "F" in kinds else "P"
        outcome[(k, r)] = got
        failed_here |= got == "F"
        if got not in expected(k, r):
            problems.append("message %d %s: %s after the first run, expected %s (log: %s)"
                            % (k, r, got, "/".join(sorted(expected(k, r))), kinds))
        if len([x for x in kinds if x in "DF"]) > 1:
            problems.append("message %d %s: marked more than once: %s" % (k, r, kinds))
        if marks is None:
            if got == "P":
                problems.append("message %d %s: pending, but its -H is gone" % (k, r))
        elif marks.get(r) != got:
            problems.append("message %d %s: %s in the log, %s in the spool"
                            % (k, r, got, marks.get(r)))
    want_notice = 1 if failed_here else 0
    if notices1.get(uid, 0) != want_notice:
        problems.append("message %d: %d failure notices after the first run, expected %d"
                        % (k, notices1.get(uid, 0), want_notice))
    if notices_all.get(uid, 0) != want_notice:
        problems.append("message %d: %d failure notices in all, expected %d"
                        % (k, notices_all.get(uid, 0), want_notice))

# The relay's record: every recipient not failed got the message once.
copies = {}
for f in glob.glob(os.path.join(relay_dir, "msg.[0-9]*")):
    if f.endswith(".tmp"):
        continue
    text = open(f, "rb").read().decode("latin-1")
    env, _, body = text.partition("\n\n")
    m = re.search(r"^X-Seq: (\d+)", body, re.M)
    if not m:
        problems.append("%s: no X-Seq" % f)
        continue
    k = place.get(int(m.group(1)))
    if k is None:
        problems.append("%s: X-Seq %s was not queued" % (f, m.group(1)))
        continue
    for r in re.findall(r"^RCPT TO:<([^>]*)>", env, re.M):
        copies[(k, r)] = copies.get((k, r), 0) + 1
for k in seqs:
    for r in RCPTS:
        want = 0 if outcome[(k, r)] == "F" else 1
        got = copies.get((k, r), 0)
        if junk_reply and want == 1 and got == 2 and outcome[(k, r)] == "P":
            continue
        if got != want:
            problems.append("message %d %s: the relay has it %d times, expected %d"
                            % (k, r, copies.get((k, r), 0), want))

# After the second run nothing is left, nothing half-written.
for f in sorted(os.listdir(spool)) if os.path.isdir(spool) else []:
    problems.append("left in the spool after the second run: %s" % f)

# The figures tests/stress/faults.sh adds up, one line per case, in
# the file $FAULT_COUNTS when set: accepted (messages queued), delivered
# (recipients the relay took), lost (recipients neither delivered nor
# failed in the end), duplicated (extra copies), crashes (runs ended by
# a signal).
counts_file = os.environ.get("FAULT_COUNTS")
if counts_file:
    delivered = sum(1 for k in seqs for r in RCPTS if copies.get((k, r), 0) >= 1)
    lost = sum(1 for k in seqs for r in RCPTS
               if outcome[(k, r)] != "F" and copies.get((k, r), 0) == 0)
    dups = sum(max(0, copies.get((k, r), 0) - 1) for k in seqs for r in RCPTS)
    crashes = sum(1 for s in (s1, s2) if int(s) >= 128)
    with open(counts_file, "a") as f:
        f.write("accepted %d delivered %d lost %d duplicated %d crashes %d cases 1\n"
                % (n, delivered, lost, dups, crashes))

for p in problems:
    print(p)
