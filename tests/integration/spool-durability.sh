#!/bin/sh
# A message is reported as spooled only after its -D file, its -H file
# and the spool directory are on disk, the rename of the -H file being
# the commit; and any failure on the way is a temporary failure that
# leaves nothing in input/. Both files are written (and their
# write-back started) before either is fsynced, so that the two fsyncs
# share one journal commit; what matters is that both come before the
# rename, and the rename before the fsync of input/ and the success.
#
# tests/unit/spool-tool writes one message with mm_spool_write() and then
# says "committed" with a write(2) of its own; strace shows the order of
# the system calls (-y names the file behind each descriptor) and injects
# the faults.

. "$MM_TOP_SRCDIR/tests/lib/lib.sh"

mm_require_cmd strace
TOOL="$MM_TOP_BUILDDIR/tests/unit/spool-tool"
[ -x "$TOOL" ] || mm_skip "tests/unit/spool-tool is not built"
mm_setup
strace -o /dev/null true 2>/dev/null || mm_skip "strace cannot trace here (ptrace not permitted)"

TRACE_SET='trace=fsync,fdatasync,rename,renameat,renameat2,write,writev'
# LeakSanitizer cannot run under ptrace and fails the program at exit;
# the unit tests check for leaks without strace.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

# First line number in $T/trace matching the extended regex $1, or "".
line_of() {
	grep -n -E "$1" "$T/trace" | head -n 1 | cut -d: -f1
}

# before A B WHAT: line A comes before line B (both found)
before() {
	if [ -n "$1" ] && [ -n "$2" ] && [ "$1" -lt "$2" ]; then
		echo "ok - $3"
	else
		echo "not ok - $3 (lines [$1] and [$2])"
		MM_FAILED=$((MM_FAILED + 1))
	fi
}

# --- the order of a successful write ---------------------------------
strace -f -y -e "$TRACE_SET" -o "$T/trace" "$TOOL" write "$T/spool" >"$T/out" 2>"$T/err"
status=$?
assert_status 0 $status "spool-tool write"
uid=$(sed -n 's/^committed //p' "$T/out")
[ -n "$uid" ] || mm_fail "no message id in the output: $(cat "$T/out" "$T/err")"

d_sync=$(line_of "fsync\\([0-9]+<[^>]*/input/$uid-D>\\) += 0")
h_sync=$(line_of "fsync\\([0-9]+<[^>]*/input/$uid-H\\.tmp>\\) += 0")
rename=$(line_of "rename(at2?)?\\(.*$uid-H\\.tmp\", .*$uid-H\"(, [A-Z_0-9]+)?\\) += 0")
commit=$(line_of 'write\(1<[^>]*>, "committed ')
# the directory fsync that counts is the first one after the rename
dir_sync=$(tail -n "+${rename:-1}" "$T/trace" | grep -n -E "fsync\\([0-9]+<[^>]*/spool/input>\\) += 0" |
	head -n 1 | cut -d: -f1)
[ -n "$dir_sync" ] && dir_sync=$((dir_sync + rename - 1))

before "$d_sync" "$rename" "the -D file is fsynced before the rename"
before "$h_sync" "$rename" "the -H temporary file is fsynced before the rename"
before "$rename" "$dir_sync" "the rename is followed by an fsync of input/"
before "$dir_sync" "$commit" "input/ is fsynced before success is reported"
assert_eq "$(ls "$T/spool/input" | tr '\n' ' ')" "$uid-D $uid-H " "the message is in input/, nothing else"
"$TOOL" list "$T/spool" >"$T/list" 2>&1
assert_contains "$(cat "$T/list")" "$uid <= <sender@example.org> size=33" "mailq lists it"

# --- faults: a temporary failure, nothing left -------------------------
# input/ exists now, so the fsyncs are: 1 the -D file, 2 the -H
# temporary file, 3 input/ after the rename. The -D file (its id line
# and the body) is one writev, the -H temporary file the first write.
check_fault() {
	label=$1
	inject=$2
	rm -rf "$T/spool/input"
	mkdir "$T/spool/input"
	strace -f -y -e "$TRACE_SET" -e "inject=$inject" -o "$T/trace" \
		"$TOOL" write "$T/spool" >"$T/out" 2>"$T/err"
	status=$?
	assert_status 75 $status "$label: EX_TEMPFAIL"
	assert_contains "$(cat "$T/trace")" "(INJECTED)" "$label: the fault was injected"
	assert_not_contains "$(cat "$T/out")" "committed" "$label: no success reported"
	assert_contains "$(cat "$T/err")" "(temporary)" "$label: said to be temporary"
	assert_eq "$(ls -A "$T/spool/input")" "" "$label: nothing left in input/"
}

check_fault "fsync EIO everywhere" "fsync:error=EIO"
check_fault "fsync of -H fails" "fsync:error=EIO:when=2"
check_fault "fsync of input/ fails after the rename" "fsync:error=EIO:when=3"
check_fault "ENOSPC writing -D" "writev:error=ENOSPC:when=1"
check_fault "ENOSPC writing -H" "write:error=ENOSPC:when=1"
check_fault "rename fails" "rename,renameat,renameat2:error=EIO"

mm_pass
