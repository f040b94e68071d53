#!/bin/sh
# The sendmail program starts fast because it needs GLib and the C
# library only: no GIO, GObject, gmodule, libnl or GnuTLS, directly
# (its NEEDED entries) or through GLib (ldd).
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_cmd readelf
mm_require_cmd ldd
needed=$(readelf -d "$SENDMAIL" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
assert_contains "$needed" "libglib-2.0.so" "it needs GLib"
for lib in $(ldd "$SENDMAIL" | awk '{ print $1 }'); do
	case $lib in
	*gio*|*gobject*|*gmodule*|*libnl*|*gnutls*|*mount*|*selinux*|*ffi*)
		mm_fail "the sendmail program loads $lib" ;;
	esac
done
# the check itself: masqmail does load GIO
assert_contains "$(ldd "$MASQMAIL")" "libgio-2.0" "masqmail loads GIO"
mm_pass
