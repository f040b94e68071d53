# Test harness. tests/lib/ holds what the scenarios share.
dist_noinst_SCRIPTS += tests/lib/run-gtest tests/lib/run-scenario tests/lib/summary tests/run
dist_noinst_DATA += tests/lib/lib.sh tests/lib/lsan.supp

TESTS += tests/integration/readme-commands.sh
TESTS += \
	tests/integration/cli-version.sh \
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
