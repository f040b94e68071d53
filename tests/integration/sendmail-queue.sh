#!/bin/sh
# The sendmail command line with -odq: the message is in the spool, in
# masqmail 1.0's format, when the command returns 0; mailq lists it.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup

printf 'Subject: hello\n\nfirst line\n' | mm -odq -F 'Test User' someone@remote.example
assert_status 0 $? "sendmail -odq"
id=$(mm_queued_ids)
assert_eq "$(printf '%s\n' "$id" | grep -c .)" "1" "one message queued"
h="$T/spool/input/$id-H"
d="$T/spool/input/$id-D"
assert_eq "$(head -n 1 "$h")" "$id" "the -H file starts with the id"
assert_eq "$(head -n 1 "$d")" "$id" "the -D file starts with the id"
assert_contains "$(cat "$h")" "MF:<$MM_USER@test.example>" "return path of the caller"
assert_contains "$(cat "$h")" "RT: <someone@remote.example>" "pending recipient"
assert_contains "$(cat "$h")" "PR:local" "protocol"
assert_contains "$(cat "$h")" "ID:$MM_USER" "ident"
assert_contains "$(cat "$h")" "HD:Subject: hello" "header kept"
assert_contains "$(cat "$h")" "HD:From: \"Test User\" <$MM_USER@test.example>" "From: added with -F"
assert_contains "$(cat "$h")" "HD:Message-ID: <$id@test.example>" "Message-ID: added"
assert_contains "$(cat "$h")" "HD:Received: by test.example" "Received: added"
assert_eq "$(tail -n +2 "$d")" "first line" "body"

list=$(mm -bp)
assert_status 0 $? "mailq"
assert_contains "$list" "$id" "mailq lists the message"
assert_contains "$list" "someone@remote.example" "mailq lists the recipient"

printf 'Subject: x\n\nx\n' | mm -odq -t 2>/dev/null
assert_status 64 $? "no recipients at all"
mm_pass
