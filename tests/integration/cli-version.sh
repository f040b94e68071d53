#!/bin/sh
# -bV names the version, the compiled-in paths and the libraries, and
# needs no configuration file.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"

out=$("$MASQMAIL" -C /nonexistent/masqmail.conf -bV)
assert_status 0 $? "-bV without a readable configuration"
assert_contains "$out" "masqmail " "version line"
assert_contains "$out" "spool dir: " "compiled-in spool directory"
assert_contains "$out" "config file: " "compiled-in configuration file"
assert_contains "$out" "gnutls: " "GnuTLS version"
assert_contains "$out" "libnl: " "libnl version"
mm_pass
