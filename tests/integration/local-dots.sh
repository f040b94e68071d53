#!/bin/sh
# Dots on the sendmail command line. Without -i/-oi a line with a lone
# "." ends the message and a leading ".." loses one dot; with -oi (and
# -i) every line, dots included, arrives as it was written.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
BOX="$T/mail/$MM_USER"

bodies() {
	/usr/bin/python3 -c '
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    sys.stdout.write("[" + m.get_payload() + "]")
' "$BOX"
}

input='Subject: dots

first
..two dots
.leading dot
.
after the dot
'
printf '%s' "$input" | mm "$MM_USER@localhost"
assert_status 0 $? "without -oi"
assert_eq "$(bodies)" "[first
.two dots
.leading dot
]" "a lone dot ends the message, .. is unstuffed"

rm -f "$BOX"
printf '%s' "$input" | mm -oi "$MM_USER@localhost"
assert_status 0 $? "with -oi"
printf '%s' "$input" | mm -i "$MM_USER@localhost"
assert_status 0 $? "with -i"
assert_eq "$(bodies)" "[first
..two dots
.leading dot
.
after the dot
][first
..two dots
.leading dot
.
after the dot
]" "with -oi and -i the dots stay"
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"
mm_pass
