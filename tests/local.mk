# Test harness. tests/lib/ holds what the scenarios share.
dist_noinst_SCRIPTS += tests/lib/run-gtest tests/lib/summary tests/run
dist_noinst_DATA += tests/lib/lib.sh tests/lib/lsan.supp
