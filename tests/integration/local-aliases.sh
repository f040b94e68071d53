#!/bin/sh
# An alias with a local user, a pipe and a remote address: the user and
# the pipe get the message at once, the remote address stays queued,
# and later runs deliver nothing twice. The pipe never runs as root.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
BOX="$T/mail/$MM_USER"
mkdir -m 777 "$T/out"
cat >"$T/pipe" <<EOS
#!/bin/sh
id -un >"$T/out/pipe-user"
cat >>"$T/out/pipe-msg"
EOS
chmod 755 "$T/pipe"
cat >"$T/aliases" <<EOA
# a team of three
team: $MM_USER, |$T/pipe, friend@remote.example
EOA
mm_conf "alias_file = \"$T/aliases\""

printf 'Subject: team\n\nhello team\n' | mm team@localhost
assert_status 0 $? "sendmail"
assert_eq "$(grep -c '^From ' "$BOX")" "1" "the user got it"
assert_eq "$(grep -c '^Subject: team' "$T/out/pipe-msg")" "1" "the pipe got it"
assert_contains "$(cat "$T/out/pipe-msg")" "Envelope-to: <team@localhost>" "the pipe sees the original address"
if [ "$(id -u)" -eq 0 ]; then
	assert_eq "$(cat "$T/out/pipe-user")" "mail" "the pipe ran as the mail user, not root"
else
	assert_eq "$(cat "$T/out/pipe-user")" "$MM_USER" "the pipe ran as the caller (run_as_user)"
fi

id=$(mm_queued_ids)
assert_eq "$(echo "$id" | grep -c .)" "1" "queued for the remote address"
h=$(cat "$T/spool/input/$id-H")
assert_contains "$h" "RT: <team@localhost>" "the alias stays pending"
assert_contains "$h" "RT:X<$MM_USER@test.example>" "the delivered user is remembered"
assert_contains "$h" "RT:X|$T/pipe" "the delivered pipe is remembered"
assert_contains "$(mm -bp)" "team@localhost" "mailq lists it"
log=$(cat "$T/log/masqmail.log")
assert_contains "$log" "=> $MM_USER@test.example <team@localhost> with mbox" "log: user"
assert_contains "$log" "=> |$T/pipe <team@localhost> with pipe" "log: pipe"
assert_contains "$log" "remote recipients stay queued: no online route" "log: remote"

mm -q
assert_status 0 $? "queue run"
assert_eq "$(grep -c '^From ' "$BOX")" "1" "the user still has one copy"
assert_eq "$(grep -c '^Subject: team' "$T/out/pipe-msg")" "1" "the pipe still has one copy"
assert_eq "$(mm_queued_ids)" "$id" "still queued for the remote address"
mm_pass
