#!/bin/sh
# -odq only queues; -q and the invocation name runq deliver the queue
# in one run; do_queue acts as -odq; a remote recipient stays queued.
# Two runners started together deliver each message exactly once: a
# message being delivered is locked and the other runner skips it.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
BOX="$T/mail/$MM_USER"

printf 'Subject: queued\n\nqueued body\n' | mm -odq "$MM_USER@localhost"
assert_status 0 $? "sendmail -odq"
assert_eq "$(mm_queued_ids | grep -c .)" "1" "queued"
assert_eq "$(test -e "$BOX" && echo delivered)" "" "not delivered by -odq"
mm -q
assert_status 0 $? "-q"
assert_eq "$(mm_queued_ids)" "" "the queue is empty after -q"
assert_eq "$(grep -c '^From ' "$BOX")" "1" "delivered by -q"

ln -s "$MASQMAIL" "$T/runq"
printf 'Subject: runq\n\nrunq body\n' | mm -odq "$MM_USER@localhost" far@remote.example
"$T/runq" -C "$MM_CONF"
assert_status 0 $? "runq"
assert_eq "$(grep -c '^From ' "$BOX")" "2" "delivered by runq"
id=$(mm_queued_ids)
assert_eq "$(echo "$id" | grep -c .)" "1" "the message stays for its remote recipient"
assert_contains "$(cat "$T/spool/input/$id-H")" "RT:X<$MM_USER@localhost>" "local recipient marked"
assert_contains "$(cat "$T/spool/input/$id-H")" "RT: <far@remote.example>" "remote recipient pending"
mm -q
assert_eq "$(grep -c '^From ' "$BOX")" "2" "a second run delivers nothing twice"
mm -Mrm "$id" >/dev/null

mm_conf 'do_queue = true'
printf 'Subject: do_queue\n\nbody\n' | mm "$MM_USER@localhost"
assert_eq "$(mm_queued_ids | grep -c .)" "1" "do_queue queues only"
mm -q
assert_eq "$(mm_queued_ids)" "" "and -q delivers"

# Two runners at once over three messages and a slow MDA.
mkdir -m 777 "$T/out"
cat >"$T/slow-mda" <<EOS
#!/bin/sh
sleep 1
cat >>"$T/out/mda"
EOS
chmod 755 "$T/slow-mda"
mm_conf "mda = \"$T/slow-mda\"" "mda_users = \"$MM_USER\""
for n in 1 2 3; do
	printf 'Subject: race %s\n\nrace %s\n' $n $n | mm "$MM_USER@localhost"
done
mm -q & p1=$!
mm -q & p2=$!
wait $p1; s1=$?
wait $p2; s2=$?
assert_eq "$s1 $s2" "0 0" "both runners succeed"
assert_eq "$(mm_queued_ids)" "" "every message delivered"
assert_eq "$(grep -c '^Subject: race' "$T/out/mda")" "3" "each exactly once"
assert_eq "$(grep '^Subject: race' "$T/out/mda" | sort -u | wc -l)" "3" "no message twice"
skips=$(grep -c 'queue run finished: .* [1-9][0-9]* skipped' "$T/log/masqmail.log")
assert_eq "$([ "$skips" -ge 1 ] && echo yes)" "yes" "a runner skipped a locked message"
mm_pass
