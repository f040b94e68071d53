#!/bin/sh
# What a caller controls does not break the command line: closed
# standard descriptors, a tiny file size limit (the message is refused
# cleanly and nothing is left in the spool), -d (debug output goes to
# debug.log in log_dir, nowhere else), an argument with a newline.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup

# stdin from a file, stdout and stderr closed: the message is queued and
# no file the program opened took the place of descriptors 1 and 2
printf 'Subject: closed\n\nbody\n' >"$T/msg"
mm -odq a@remote.example <"$T/msg" >&- 2>&-
assert_status 0 $? "queued with stdout and stderr closed"
id=$(mm_queued_ids)
assert_eq "$(printf '%s\n' "$id" | grep -c .)" "1" "one message queued"
assert_eq "$(head -n 1 "$T/spool/input/$id-H")" "$id" "its -H file is intact"
assert_not_contains "$(cat "$T/spool/input/$id-H" "$T/spool/input/$id-D")" "masqmail:" "no log line in the spool files"
rm -f "$T"/spool/input/*

# a file size limit smaller than the message: refused with a temporary
# error (75), nothing half-written left behind
head -c 200000 /dev/zero | tr '\0' 'x' | fold -w 70 >"$T/big"
(ulimit -f 8; mm -odq a@remote.example <"$T/big" 2>"$T/err")
assert_status 75 $? "a file size limit gives EX_TEMPFAIL"
assert_contains "$(cat "$T/err")" "not queued" "the reason is given"
assert_eq "$(ls -A "$T/spool/input")" "" "nothing left in the spool"

# -d: debug output in log_dir/debug.log
mm -d 5 -odq a@remote.example <"$T/msg"
assert_status 0 $? "queued with -d 5"
assert_contains "$(cat "$T/log/debug.log" 2>/dev/null)" "starting: mode=accept" "debug.log has the debug output"

# an argument with a newline never becomes a recipient or a spool line
rm -f "$T"/spool/input/*
mm -odq "$(printf 'a@remote.example\nRT: <evil@x.example>')" <"$T/msg" 2>/dev/null
assert_status 64 $? "an argument with a newline is a usage error"
assert_eq "$(ls -A "$T/spool/input")" "" "nothing queued"
mm_pass
