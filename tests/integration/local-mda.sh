#!/bin/sh
# Delivery through an MDA (mbox_default = mda): the command is split as
# sh(1) would and its ${variables} expanded into whole arguments, but
# no shell runs it; it gets the environment of masqmail(8) and nothing
# else, the message on stdin (with a From line for mda_fromline). Exit
# status 75 defers, another failure bounces.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
BOX="$T/mail/$MM_USER"
mkdir -m 777 "$T/out"

cat >"$T/mda" <<EOS
#!/bin/sh
# records how it was called
for a in "\$@"; do printf '%s\n' "\$a"; done >"$T/out/argv"
env | sort >"$T/out/env"
cat >"$T/out/msg"
exit \$(cat "$T/out/status" 2>/dev/null || echo 0)
EOS
chmod 755 "$T/mda"
mm_conf 'mbox_default = mda' 'mda_fromline = true' \
	"mda = \"$T/mda \${rcpt_local} \${rcpt_domain} --from=\${return_path} 'a b' '\${rcpt}' \\\\\$literal \${uid}\""

printf 'Subject: mda\n\nvia the mda\n' | mm "$MM_USER@localhost"
assert_status 0 $? "sendmail"
uid=$(grep -o '^[^ ]* [^ ]* masqmail\[[0-9]*\]: [^ ]* <=' "$T/log/masqmail.log" | awk '{print $4}')
assert_eq "$(cat "$T/out/argv")" "$MM_USER
localhost
--from=$MM_USER@test.example
a b
\${rcpt}
\$literal
$uid" "arguments split and expanded as sh(1) would"

env_names=$(cut -d= -f1 "$T/out/env" | grep -v -x -e PWD -e SHLVL -e _ | tr '\n' ' ')
assert_eq "$env_names" "DOMAIN HOME LOCAL_PART LOGNAME MESSAGE_ID PATH QUALIFY_DOMAIN RECEIVED_HOST RETURN_PATH SENDER SENDER_DOMAIN SENDER_LOCAL USER " "only the documented environment"
e=$(cat "$T/out/env")
assert_contains "$e" "LOCAL_PART=$MM_USER" "LOCAL_PART"
assert_contains "$e" "DOMAIN=localhost" "DOMAIN"
assert_contains "$e" "SENDER=$MM_USER@test.example" "SENDER"
assert_contains "$e" "MESSAGE_ID=$uid" "MESSAGE_ID"
assert_contains "$e" "QUALIFY_DOMAIN=test.example" "QUALIFY_DOMAIN"
assert_contains "$e" "PATH=/usr/bin:/bin" "PATH"
assert_eq "$(head -n 1 "$T/out/msg" | cut -d' ' -f1-2)" "From $MM_USER@test.example" "mda_fromline"
assert_eq "$(sed -n 2p "$T/out/msg")" "Return-path: <$MM_USER@test.example>" "Return-path: added"
assert_eq "$(tail -n 1 "$T/out/msg")" "via the mda" "body"
assert_contains "$(cat "$T/log/masqmail.log")" "$uid => $MM_USER@localhost with mda" "log line"
assert_eq "$(mm_queued_ids)" "" "nothing queued"

echo 75 >"$T/out/status"
printf 'Subject: later\n\nlater\n' | mm "$MM_USER@localhost"
assert_status 0 $? "sendmail with a deferring mda"
assert_eq "$(mm_queued_ids | grep -c .)" "1" "deferred: still queued"
assert_contains "$(cat "$T/log/masqmail.log")" "== $MM_USER@localhost deferred:" "deferred in the log"
assert_contains "$(cat "$T/log/masqmail.log")" "EX_TEMPFAIL" "why"
echo 0 >"$T/out/status"
mm -q
assert_eq "$(mm_queued_ids)" "" "delivered by the next run"
assert_eq "$(tail -n 1 "$T/out/msg")" "later" "the deferred message"
mm_pass
