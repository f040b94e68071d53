# Shared code of the fault scenarios (sourced after tests/lib/lib.sh).
#
# A fault scenario runs a masqmail command again and again under strace,
# failing the Nth call of one system call (N = 1, 2, 3, ...) until a run
# no longer reaches the Nth call, and checks after each run what the
# command promised: a temporary failure that left nothing behind, or a
# success that left everything behind. Each N is one checked case.
#
# fault_strace_ok           skips the scenario when strace cannot trace
# fault_run SPEC N CMD...   runs CMD under strace -f with
#                           -e inject=SPEC:when=N; the trace in
#                           $T/trace, CMD's output in $T/out, $T/err and
#                           its exit status in $FAULT_STATUS;
#                           $FAULT_HIT is 1 when the fault was injected
# fault_crashed FILE...     prints what in the traces / outputs FILE
#                           says the program crashed (a signal, a
#                           sanitizer report), nothing when it did not
# fault_spool_problems DIR  prints one line per thing wrong in the
#                           spool's input directory DIR: a -H without
#                           its -D or the other way round, a temporary
#                           or unknown file, a -D without the body's
#                           last line $FAULT_BODY_END (when set)
# fault_case OK WHAT        counts a case, and an assertion when not OK
# fault_counts ACC DEL LOST DUP CRASH
#                           adds the scenario's figures (messages
#                           accepted, delivered, lost, duplicated,
#                           crashes, and $FAULT_CASES) to the file
#                           $FAULT_COUNTS when set (tests/stress/faults.sh)

FAULT_CASES=0
FAULT_BODY_END=""

fault_strace_ok() {
	mm_require_cmd strace
	strace -o /dev/null true 2>/dev/null || mm_skip "strace cannot trace here (ptrace not permitted)"
	# LeakSanitizer cannot run under ptrace and fails the program at
	# exit; the other scenarios check for leaks without strace
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
}

fault_run() {
	_spec=$1
	_n=$2
	shift 2
	_set=${_spec%%:*}
	strace -f -y -qq -e "trace=$_set" -e "inject=$_spec:when=$_n" -o "$T/trace" \
		"$@" >"$T/out" 2>"$T/err" <"${FAULT_STDIN:-/dev/null}"
	FAULT_STATUS=$?
	if grep -q '(INJECTED)' "$T/trace"; then FAULT_HIT=1; else FAULT_HIT=0; fi
}

fault_crashed() {
	grep -h -E 'killed by SIG(SEGV|BUS|ABRT|FPE|ILL|SYS|TRAP)|ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' \
		"$@" 2>/dev/null | head -n 3
}

fault_spool_problems() {
	_dir=$1
	[ -d "$_dir" ] || return 0
	for _f in "$_dir"/* "$_dir"/.[!.]*; do
		[ -e "$_f" ] || continue
		_b=$(basename "$_f")
		case "$_b" in
		*-H) [ -f "${_f%-H}-D" ] || echo "$_b without its -D" ;;
		*-D)
			if [ ! -f "${_f%-D}-H" ]; then
				echo "$_b without its -H"
			elif [ -n "$FAULT_BODY_END" ] && [ "$(tail -n 1 "$_f")" != "$FAULT_BODY_END" ]; then
				echo "$_b is not whole"
			fi
			;;
		*) echo "stray file $_b" ;;
		esac
	done
}

fault_case() {
	FAULT_CASES=$((FAULT_CASES + 1))
	if [ "$1" = 1 ]; then
		return 0
	fi
	echo "not ok - $2"
	MM_FAILED=$((MM_FAILED + 1))
}

fault_counts() {
	[ -n "${FAULT_COUNTS:-}" ] || return 0
	echo "accepted $1 delivered $2 lost $3 duplicated $4 crashes $5 cases $FAULT_CASES" >>"$FAULT_COUNTS"
}
