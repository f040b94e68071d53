# Test harness. tests/lib/ holds what the scenarios share.
dist_noinst_SCRIPTS += tests/lib/run-gtest tests/lib/run-scenario tests/lib/summary tests/run \
	tests/lib/valgrind-run tests/lib/valgrind-report
dist_noinst_DATA += tests/lib/lib.sh tests/lib/lsan.supp tests/lib/valgrind.supp

TESTS += tests/integration/readme-commands.sh
TESTS += \
	tests/integration/cli-version.sh \
	tests/integration/cli-startup.sh \
	tests/integration/cli-usage.sh \
	tests/integration/conf-errors.sh \
	tests/integration/sendmail-queue.sh
TESTS += \
	tests/integration/mailq-1.0-spool.sh \
	tests/integration/mailrm.sh \
	tests/integration/conf-privilege.sh \
	tests/integration/daemon-foreground.sh \
	tests/integration/state-dir.sh \
	tests/integration/sendmail-return-path.sh \
	tests/integration/local-background.sh \
	tests/integration/cli-hostile-caller.sh

# Fault injection: a failed system call at every step of intake and
# delivery, relays that fail at every step of a transaction.
dist_noinst_DATA += tests/lib/fault-lib.sh tests/lib/fault-relay.py tests/lib/fault-check-relay.py
TESTS += \
	tests/integration/fault-sendmail.sh \
	tests/integration/fault-local.sh \
	tests/integration/fault-relay.sh \
	tests/integration/fault-limits.sh \
	tests/integration/fault-smtpd.sh \
	tests/integration/fault-daemon-killed.sh

# Crash consistency and hang-ups under load (tests/stress/ has the long runs)
dist_noinst_DATA += tests/lib/relay.py tests/stress/stress.py tests/stress/stress-lib.sh
dist_noinst_SCRIPTS += tests/stress/crash.sh tests/stress/hangup.sh tests/stress/soak.sh
TESTS += tests/integration/crash-intake-flush.sh tests/netns/crash-hangup.sh \
	tests/integration/crash-leftovers.sh tests/integration/crash-handover-window.sh
dist_noinst_DATA += tests/stress/README

# The suite with every masqmail process and test program under
# valgrind (tests/lib/valgrind-run); the report lists what it found.
check-valgrind:
	rm -rf valgrind
	MM_VALGRIND=1 $(SHELL) $(top_srcdir)/tests/run
	$(SHELL) $(top_srcdir)/tests/lib/valgrind-report valgrind
.PHONY: check-valgrind
dist_noinst_SCRIPTS += tests/stress/faults.sh

# Benchmarks against Postfix (not part of the suite; tests/bench/README)
dist_noinst_SCRIPTS += tests/bench/flush.sh tests/bench/intake.sh tests/bench/memory.sh \
	tests/bench/scaling.sh tests/bench/sendmail.sh tests/bench/slowlink.sh
dist_noinst_DATA += tests/bench/README tests/bench/bench-lib.sh tests/bench/memory-floor.c
