# slurm-factory — plain make, pkg-config for every library, objects in build/.
#   make            build build/slurm-factory
#   make check      build and run every test (what .ci/run runs)
#   make check-asan the unit tests under ASan+UBSan
#   make lint       cppcheck + shellcheck
#   make bench      compare with scanelf/readelf/tar/gzip on the same input
#   make fuzz       libFuzzer harnesses (fuzz/) under ASan+UBSan, FUZZ_SECONDS each
#   make fuzz-smoke the same, 30 s each
#   make install    PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
CC        ?= cc
PKG_CONFIG ?= pkg-config

LIBS_PC   := libarchive libelf json-c libcurl libgit2 libcrypto
missing   := $(foreach p,$(LIBS_PC) cmocka,$(if $(shell $(PKG_CONFIG) --exists $(p) 2>/dev/null && echo y),,$(p)))
# check, setup and run install the libraries first: do not insist on them yet
NEEDS_LIBS := $(if $(MAKECMDGOALS),$(filter-out check setup run clean,$(MAKECMDGOALS)),all)
ifneq ($(NEEDS_LIBS),)
ifneq ($(filter-out cmocka,$(missing)),)
$(error missing libraries: $(filter-out cmocka,$(missing)) — run 'scripts/setup.sh' (or apt-get install libarchive-dev libelf-dev libjson-c-dev libcurl4-openssl-dev libgit2-dev libssl-dev))
endif
endif

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
ifneq ($(CI),)
WARN      += -Werror
endif
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -pthread -D_GNU_SOURCE -DSF_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) \
             $(shell $(PKG_CONFIG) --cflags $(LIBS_PC)) -MMD -MP
LDLIBS_PC  = $(shell $(PKG_CONFIG) --libs $(LIBS_PC)) -pthread
# The program itself is not linked against libcurl and libarchive: it loads
# them on first use (src/lazylib.h), by the soname of the development
# library it was compiled against. Tests and fuzzers link everything.
LAZY_PC    := libcurl libarchive
soname     = $(shell objdump -p "$$($(PKG_CONFIG) --variable=libdir $(1))/$(2).so" 2>/dev/null | \
               awk '$$1 == "SONAME" { print $$2 }')
LIBCURL_SONAME     := $(call soname,libcurl,libcurl)
LIBARCHIVE_SONAME  := $(call soname,libarchive,libarchive)
ifneq ($(NEEDS_LIBS),)
ifeq ($(and $(LIBCURL_SONAME),$(LIBARCHIVE_SONAME)),)
$(error cannot read the sonames of libcurl and libarchive with objdump (binutils))
endif
endif
ALL_CFLAGS += -DSF_LIBCURL_SONAME='"$(LIBCURL_SONAME)"' \
              -DSF_LIBARCHIVE_SONAME='"$(LIBARCHIVE_SONAME)"'
# ISA-L inflates gzip at about twice zlib's speed (src/gunzip.h): optional,
# loaded the same way; without libisal-dev the program inflates with zlib.
LIBISAL_SONAME     := $(if $(shell $(PKG_CONFIG) --exists libisal 2>/dev/null && echo y),$(call soname,libisal,libisal))
ifneq ($(LIBISAL_SONAME),)
ALL_CFLAGS += -DSF_LIBISAL_SONAME='"$(LIBISAL_SONAME)"' $(shell $(PKG_CONFIG) --cflags libisal)
endif
LDLIBS_BIN = $(shell $(PKG_CONFIG) --libs $(filter-out $(LAZY_PC),$(LIBS_PC))) -ldl -pthread

SRCS      := $(sort $(wildcard src/*.c))
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
# test_bases runs late: scripts/check.sh makes its bullseye and trixie
# images in the background while the earlier tests run. The CI front door
# runs last: its jobs reuse the compiler cache the pipeline tests warmed,
# and it deletes and remakes the LXD images.
TEST_LAST := $(BUILD)/tests/test_bases $(BUILD)/tests/test_ci_templates
TESTS     := $(filter-out $(TEST_LAST),$(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)) $(TEST_LAST)
BIN       := $(BUILD)/slurm-factory

.PHONY: all tests check check-unit check-asan lint bench install clean setup run fuzz \
	fuzz-smoke fuzz-build fuzz-bins
all: $(BIN)

# the test executables, without running them
tests: $(BIN) $(TESTS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libsf.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/obj/main.o $(BUILD)/libsf.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_BIN)

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -iquote src $(shell $(PKG_CONFIG) --cflags cmocka) -c -o $@ $<

$(BUILD)/tests/testlib.o: tests/testlib.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -iquote src $(shell $(PKG_CONFIG) --cflags cmocka) -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/tests/testlib.o $(BUILD)/libsf.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_PC) $(shell $(PKG_CONFIG) --libs cmocka)

# Every test, from a fresh Debian 12 machine: installs what it needs,
# starts LXD, fetches the Slurm sources, runs every test, stops LXD.
check:
	scripts/check.sh

ifneq ($(filter cmocka,$(missing)),)
check-unit check-asan:
	$(error cmocka is missing — run 'scripts/setup.sh' (or apt-get install libcmocka-dev))
else
# The unit tests only (no system set-up): used by check and check-asan.
check-unit: $(BIN) $(TESTS)
	shared=$$(scripts/shared-dir.sh) || exit 1; \
	SF_BIN=$(abspath $(BIN)) SF_SHARED="$$shared" SF_SRCDIR=$(CURDIR) \
	  tests/run-tests.sh $(TESTS)

check-asan:
	$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" check-unit
endif

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE -DSF_VERSION='"x"' src tests
	shellcheck scripts/*.sh tests/*.sh bench/*.sh fuzz/*.sh recipes/*.sh .ci/run

# libFuzzer harnesses fuzz/fuzz_<name>.c, everything built with clang
# -fsanitize=fuzzer,address,undefined into build-fuzz/; fuzz/run.sh runs each
# for FUZZ_SECONDS (FUZZ_PARALLEL at a time) from the committed seed corpus
# fuzz/corpus/<name>/ and fails on any crash, leak or timeout.
FUZZ_SECONDS  ?= 600
FUZZ_PARALLEL ?= 1
FUZZ_BUILD    := build-fuzz
FUZZ_NAMES    := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_CFLAGS   := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
                 -fno-omit-frame-pointer

fuzz-build:
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
	  CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link" fuzz-bins

fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/fuzz_%)

$(BUILD)/fuzz_%: fuzz/fuzz_%.c $(BUILD)/libsf.a
	$(CC) $(ALL_CFLAGS) -iquote src $(shell $(PKG_CONFIG) --cflags libxml-2.0 zlib) \
	  -fsanitize=fuzzer -o $@ $< $(BUILD)/libsf.a $(LDLIBS_PC) \
	  $(shell $(PKG_CONFIG) --libs libxml-2.0 zlib)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_PARALLEL=$(FUZZ_PARALLEL) \
	  fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_NAMES)

fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(if $(filter command line,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),30)

bench: $(BIN)
	bench/bench.sh $(abspath $(BIN))

setup:
	scripts/setup.sh

# The main job: set everything up, build, run the pipeline on the default version.
run:
	scripts/setup.sh
	$(MAKE) --no-print-directory all
	scripts/main-job.sh $(abspath $(BIN))

# Everything the program reads at run time goes to $(PREFIX)/share/slurm-factory,
# where it finds it relative to its own executable (../share/slurm-factory).
DATA_FILES := recipes/build-slurm.sh recipes/smoke.sh recipes/build-packages.txt \
              recipes/runtime-packages.txt
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/slurm-factory/recipes
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/slurm-factory
	install -m 0644 docs/slurm-factory.1 $(DESTDIR)$(PREFIX)/share/man/man1/slurm-factory.1
	for f in $(DATA_FILES); do \
	  install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/slurm-factory/$$f || exit 1; \
	done

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJS:.o=.d) $(BUILD)/obj/main.d $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%.d)
