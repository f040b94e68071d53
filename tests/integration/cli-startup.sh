#!/bin/sh
# What the sendmail command line loads: GnuTLS is loaded when TLS is
# first used, never for a message that is only queued (its loading and
# constructor were most of the start-up of every call), while -bV,
# which reports its version, still finds it.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup

printf 'Subject: start-up\n\nbody\n' >"$T/msg"
LD_DEBUG=files "$MASQMAIL" -C "$MM_CONF" -odq rcpt@remote.example <"$T/msg" 2>"$T/ld.log"
assert_status 0 $? "-odq queues the message"
assert_eq "$(mm_queued_ids | wc -l)" "1" "one message queued"
# LD_DEBUG is ignored for set-id programs; a build-tree binary is not
grep -q "file=libglib-2.0" "$T/ld.log" || mm_skip "the dynamic loader does not report its files here"
assert_eq "$(grep -c 'file=libgnutls' "$T/ld.log")" "0" "-odq does not load GnuTLS"

LD_DEBUG=files "$MASQMAIL" -C "$MM_CONF" -bV >"$T/bv" 2>"$T/ld.log"
assert_status 0 $? "-bV"
assert_eq "$(grep -q "file=libgnutls.*dynamically loaded" "$T/ld.log" && echo loaded)" "loaded" "-bV loads GnuTLS when it asks for its version"
assert_contains "$(cat "$T/bv")" "gnutls: 3." "-bV reports the GnuTLS version"
mm_pass
