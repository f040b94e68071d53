#!/bin/sh
# Local delivery as root on behalf of an ordinary user: the mailbox is
# written with the user's ids, never root's; symbolic links, hard links
# and mailboxes of others are refused and the message deferred (75);
# an MDA runs as the user, and an address cannot run a command.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"

mm_require_root
TOOL="$MM_TOP_BUILDDIR/tests/unit/deliver-tool"
[ -x "$TOOL" ] || mm_skip "deliver-tool not built"
mm_setup

uid=$(id -u nobody 2>/dev/null || echo 65534)
gid=$(id -g nobody 2>/dev/null || echo 65534)
as="--user $uid:$gid"
M="$T/mail"
chmod 1777 "$M"
printf 'Subject: safety\n\nFrom the body\nbye\n' >"$T/msg"
printf 'secret\n' >"$T/secret"
chmod 644 "$T/secret"

# a new mailbox belongs to the user, mode 0600, in mbox format
"$TOOL" mbox $as "$M/user" <"$T/msg"
assert_status 0 $? "delivery into a new mailbox"
assert_eq "$(stat -c '%u %a' "$M/user")" "$uid 600" "new mailbox owner and mode"
assert_eq "$(head -n 1 "$M/user" | cut -d' ' -f1-2)" "From sender@example.net" "From line"
assert_contains "$(cat "$M/user")" ">From the body" "body quoted"
assert_eq "$(tail -c 2 "$M/user" | od -An -c | tr -d ' ')" '\n\n' "ends with an empty line"

# a symbolic link to root's file: refused, deferred, target untouched
ln -s "$T/secret" "$M/victim"
"$TOOL" mbox $as "$M/victim" <"$T/msg" 2>"$T/err"
assert_status 75 $? "symlinked mailbox as the user"
assert_contains "$(cat "$T/err")" "symbolic link" "symlink reason"
"$TOOL" mbox "$M/victim" <"$T/msg" 2>"$T/err"
assert_status 75 $? "symlinked mailbox as root"
assert_eq "$(cat "$T/secret")" "secret" "symlink target unchanged"

# a hard link to root's file
ln "$T/secret" "$M/hardlinked"
"$TOOL" mbox "$M/hardlinked" <"$T/msg" 2>"$T/err"
assert_status 75 $? "hard-linked mailbox"
assert_contains "$(cat "$T/err")" "hard links" "hard link reason"
assert_eq "$(cat "$T/secret")" "secret" "hard link target unchanged"

# a mailbox of root's, writable by everyone, is still not the user's
printf 'root mail\n' >"$M/rootbox"
chmod 666 "$M/rootbox"
"$TOOL" mbox $as "$M/rootbox" <"$T/msg" 2>"$T/err"
assert_status 75 $? "foreign mailbox"
assert_contains "$(cat "$T/err")" "belongs to uid 0" "foreign owner reason"
assert_eq "$(cat "$M/rootbox")" "root mail" "foreign mailbox unchanged"

# maildir as the user
"$TOOL" maildir $as "$M/Maildir" <"$T/msg"
assert_status 0 $? "maildir delivery"
assert_eq "$(stat -c '%u' "$M/Maildir/new/"*)" "$uid" "maildir file owner"

# the MDA runs as the user, with variables as whole arguments
"$TOOL" mda $as --mda "/bin/sh -c 'id -u >\"\$1\"; cat >\"\$2\"' sh $M/mda-id $M/mda-msg" "$M" <"$T/msg"
assert_status 0 $? "mda delivery"
assert_eq "$(cat "$M/mda-id")" "$uid" "mda ran as the user"
assert_eq "$(head -n 1 "$M/mda-msg")" "Return-path: <sender@example.net>" "mda input"

# addresses that try to run commands or pass options
for local in 'a;touch canary' '$(touch canary)' '`touch canary`' 'a b|touch canary'; do
	(cd "$M" && "$TOOL" mda $as --rcpt "\"$local\"@localhost" \
		--mda '/usr/bin/printf %s ${rcpt_local}' "$M" <"$T/msg" 2>/dev/null)
	assert_status 0 $? "mda for the local part [$local]"
done
# the MDA runs in /, the shell in $M: a command run either way leaves a canary
assert_eq "$(ls / "$M" | grep -c canary)" "0" "no command ran from an address"
"$TOOL" mda $as --rcpt '"-oQ/tmp"@localhost' --mda '/usr/bin/printf %s ${rcpt_local}' "$M" <"$T/msg" 2>"$T/err"
assert_status 69 $? "address as an option fails for good"
assert_contains "$(cat "$T/err")" "would become the option" "option reason"

# a time limit that kills
"$TOOL" mda --timeout 1 --mda '/bin/sleep 30' "$M" <"$T/msg" 2>"$T/err"
assert_status 75 $? "mda over its time limit is deferred"

mm_pass
