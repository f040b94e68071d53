#!/bin/sh
# -odb: the command returns as soon as the message is queued and a
# child delivers it; without it the command returns after delivery.
# An MDA that waits for a go-ahead file makes the order visible.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
mkdir -m 777 "$T/out"
cat >"$T/mda" <<EOS
#!/bin/sh
i=0
while [ ! -e "$T/out/go" ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
cat >>"$T/out/delivered"
EOS
chmod 755 "$T/mda"
mm_conf 'mbox_default = mda' "mda = \"$T/mda\""

printf 'Subject: bg\n\nin the background\n' | mm -odb "$MM_USER@localhost"
assert_status 0 $? "sendmail -odb returns"
assert_eq "$(cat "$T/out/delivered" 2>/dev/null)" "" "returned before the delivery finished"
touch "$T/out/go"
mm_wait_for "grep -q 'in the background' '$T/out/delivered' 2>/dev/null" 10
assert_status 0 $? "the child delivered it"
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 10
assert_status 0 $? "and removed it from the queue"

# in the foreground the command waits for the delivery
rm -f "$T/out/delivered"
printf 'Subject: fg\n\nin the foreground\n' | mm "$MM_USER@localhost"
assert_status 0 $? "sendmail without -odb"
assert_contains "$(cat "$T/out/delivered")" "in the foreground" "delivered when the command returned"
mm_pass
