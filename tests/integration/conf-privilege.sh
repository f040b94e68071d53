#!/bin/sh
# A caller who is not root loses set-uid privilege when choosing the
# configuration with -C: a file only root may read stays unreadable.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_root
id nobody >/dev/null 2>&1 || mm_skip "no user nobody"
mm_setup

cp "$MASQMAIL" "$T/masqmail-setuid"
chown root:root "$T/masqmail-setuid"
chmod 4755 "$T/masqmail-setuid"
chmod 755 "$T"
# root-only list file, included from a configuration anyone may read
printf 'secret.example\n' >"$T/root-only-hosts"
chmod 600 "$T/root-only-hosts"
mm_conf "local_hosts = \"localhost;$T/root-only-hosts\""
chmod 644 "$MM_CONF"

# as root the include is readable
"$T/masqmail-setuid" -C "$MM_CONF" -bp >/dev/null 2>&1
assert_status 0 $? "root reads the root-only include"

# set-uid root, called by nobody with -C: the privilege is gone first
err=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/masqmail-setuid" -C "$MM_CONF" -bp 2>&1)
assert_status 78 $? "nobody with -C cannot use root's privilege"
assert_contains "$err" "root-only-hosts" "the refusal names the file it could not read"
assert_contains "$err" "ermission denied" "because of permissions"
mm_pass
