# Test guest and host tools for the e2e tests (included by the top-level Makefile).
#
#   make host-deps    install the host tools that are missing (qemu-system-x86, cpio, gcc, ...; apt-get, root)
#   make guest        build/guest/: Debian 12 kernel + busybox initramfs + guest/probe (cached, fast when done)
#   make test-e2e     the e2e tests only (boot the guest against `vcrypto serve`)
#   make bench-guest  guest AF_ALG throughput, QEMU builtin backend vs vcrypto serve
#   make guest-clean  remove build/guest (the downloaded .debs too)

GUEST_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
GUEST_ROOT := $(patsubst %/,%,$(dir $(abspath $(GUEST_MK_DIR))))
GUEST_PY ?= $(GUEST_ROOT)/.venv/bin/python

.PHONY: host-deps guest test-e2e bench-guest guest-clean

host-deps:
	bash $(GUEST_MK_DIR)/setup-host.sh

guest:
	bash $(GUEST_MK_DIR)/build-guest.sh

test-e2e: guest
	$(GUEST_PY) -m pytest -m e2e $(GUEST_ROOT)/tests/e2e

bench-guest: guest
	$(GUEST_PY) $(GUEST_ROOT)/bench/bench_guest.py

guest-clean:
	rm -rf $(GUEST_ROOT)/build/guest
