# TP7 — key-value store: signals, asynchronous I/O, sockets.
#
#   make              build every program (warnings are errors)
#   make test         check the test tools, build, run the whole bats suite
#   make run          build and start the final (select) server on port 6380
#                     (installs python3 and nc for ./client.py if it can)
#   make SANITIZE=1   the same programs built with ASan + UBSan, under build/sanitize/
#   make clean
#   make grade        score a tree stage by stage
#   make fuzz / stress / bench  longer runs, not part of make test
#   make handout      handout.md as HTML with its diagrams, in build/handout/
#   make submission   what a student hands in: submission.tar.gz
# BEGIN INSTRUCTORS (make starter leaves these lines out)
#   make starter / check-grader / check-milestones / test-fresh / autograder /
#   test-autograder   instructors only (not in the students' tree): the
#                     students' tree, starter/ and starter.tar.gz / check the
#                     grader / each milestone boundary scores exactly its
#                     milestones / make test, grade and run on a new minimal
#                     Debian 12 (as root) / Gradescope's autograder.zip / that
#                     zip graded end to end in a new Debian 12 root (as root)
# END INSTRUCTORS
#
# The objects of common/ are compiled once and linked into every program that
# needs them.  Header dependencies are tracked with -MMD -MP, so editing a .h
# rebuilds exactly what includes it.

CC      ?= cc
CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -O2 -g
LDFLAGS :=
LDLIBS  :=

ifeq ($(SANITIZE),1)
  # A separate tree, so sanitized and plain objects never mix.
  OUT     := build/sanitize
  CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
  BIN      = $(OUT)/$(1)
else
  OUT     := build/release
  BIN      = $(1)
endif
OBJ := $(OUT)/obj

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(OBJ)/%.o)

# program path (relative to the tree) -> the directory holding its own sources
SIGNAL_DEMO := $(call BIN,signal_demo/signal_demo)
BLOCKING    := $(call BIN,stages/blocking/kvserver-blocking)
SELECT      := $(call BIN,stages/select/kvserver)
EPOLL       := $(call BIN,stages/epoll/kvserver-epoll)
STORE_TEST  := $(OUT)/tests/store_test
PROTO_TEST  := $(OUT)/tests/protocol_test

PROGRAMS :=
ifneq ($(wildcard signal_demo/*.c),)
  PROGRAMS += $(SIGNAL_DEMO)
endif
ifneq ($(wildcard stages/blocking/*.c),)
  PROGRAMS += $(BLOCKING)
endif
ifneq ($(wildcard stages/select/*.c),)
  PROGRAMS += $(SELECT)
endif
ifneq ($(wildcard stages/epoll/*.c),)
  PROGRAMS += $(EPOLL)
endif
ifneq ($(wildcard tests/store_test.c),)
  PROGRAMS += $(STORE_TEST)
endif
ifneq ($(wildcard tests/protocol_test.c),)
  PROGRAMS += $(PROTO_TEST)
endif

.PHONY: all test run run-deps clean deps fuzz fuzz-smoke grade
all: $(PROGRAMS)

objs_of = $(patsubst %.c,$(OBJ)/%.o,$(wildcard $(1)/*.c))

$(SIGNAL_DEMO): $(call objs_of,signal_demo)
$(BLOCKING):    $(call objs_of,stages/blocking) $(COMMON_OBJ)
$(SELECT):      $(call objs_of,stages/select) $(COMMON_OBJ)
$(EPOLL):       $(call objs_of,stages/epoll) $(COMMON_OBJ)
$(STORE_TEST):  $(OBJ)/tests/store_test.o $(COMMON_OBJ)
$(PROTO_TEST):  $(OBJ)/tests/protocol_test.o $(COMMON_OBJ)

$(PROGRAMS):
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icommon -MMD -MP -c -o $@ $<

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

# Tests run against the binaries of this build (plain or sanitized).
BIN_ROOT := $(if $(filter 1,$(SANITIZE)),$(CURDIR)/$(OUT),$(CURDIR))
BATS_FILES ?= tests/*.bats

deps:
	@tests/helpers/ensure-deps

# bats enforces its timeouts with ps or pkill; without both it skips every
# timed test with an error and can still report no failure.
test: deps all
	@command -v ps >/dev/null || command -v pkill >/dev/null || \
	  { echo "make test: cannot run the tests: bats needs ps or pkill to time them out (apt-get install procps)" >&2; exit 1; }
	BIN_ROOT=$(BIN_ROOT) BUILD_ROOT=$(CURDIR)/$(OUT) bats --timing $(BATS_FILES)
	$(MAKE) --no-print-directory fuzz-smoke

# Fuzzing with libFuzzer (clang): the request parser + command table, and
# loading a store file.  `make fuzz` runs each target FUZZ_TIME seconds,
# `make test` a short smoke.  Seeds live in tests/fuzz/corpus/<target>/ (read
# only); what the fuzzer discovers goes to build/fuzz/corpus/<target>/.  A
# crash is saved as build/fuzz/crash-*; once fixed, copy it into the seed
# corpus, where every later run replays it as a regression input.
FUZZ_TIME    ?= 60
FUZZ_SMOKE   ?= 10
FUZZ_TARGETS := requests store
FUZZ_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Icommon \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_BINS    := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(COMMON_SRC) $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(COMMON_SRC)

fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t; \
	  echo "fuzzing $$t for $(FUZZ_TIME) s"; \
	  build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=build/fuzz/ -print_final_stats=1 \
	    build/fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>build/fuzz/$$t.log \
	    || { tail -40 build/fuzz/$$t.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units' build/fuzz/$$t.log; \
	done

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_TIME=$(FUZZ_SMOKE)

# The long variants: 1000 clients x 1000 operations, and a minute of fuzzing
# per target.
.PHONY: stress
stress: deps all
	STRESS=1 BIN_ROOT=$(BIN_ROOT) BUILD_ROOT=$(CURDIR)/$(OUT) bats --timing tests/reliability.bats
	$(MAKE) --no-print-directory fuzz

# BEGIN INSTRUCTORS
# The students' starter tree: the reference with every BEGIN/END SOLUTION
# region replaced by a TODO and a stub, the students' README, and the
# reference's programs in ref/ (tests/make-starter).  Instructors' targets
# exist only where their scripts do: the starter has neither.
ifneq ($(wildcard tests/make-starter),)
.PHONY: starter
starter:
	tests/make-starter
endif
# END INSTRUCTORS

# Per-stage score table and milestone progress; M grades only some
# milestones (make grade M=2d, or M="2c 2d"); GRADE_ARGS passes options
# through, e.g.  make grade GRADE_ARGS="--student ../alice --json results.json"
comma := ,
grade: deps all
	tests/grade $(foreach m,$(subst $(comma), ,$(M)),--milestone $(m)) $(GRADE_ARGS)

# BEGIN INSTRUCTORS
# Every mutant in tests/mutants/ must lose points; the reference must not.
ifneq ($(wildcard tests/check-grader),)
.PHONY: check-grader
check-grader: deps all
	tests/check-grader
endif

# The starter with the solution regions of tests/milestones/ID/, boundary
# by boundary: each tree must score exactly the milestones it has done.
ifneq ($(wildcard tests/check-milestones),)
.PHONY: check-milestones
check-milestones: deps all
	tests/check-milestones
endif
# END INSTRUCTORS

# The handout as one HTML page (and a PDF when a PDF engine is installed),
# with the diagrams of docs/diagrams/ drawn by Graphviz: build/handout/.
.PHONY: handout
handout:
	docs/make-handout

# What a student hands in: submission.tar.gz, the tree without what builds,
# runs and benchmarks produce, without the reference programs (ref/) and
# without git's history.  Written in build/ first, so tar never reads it.
SUBMISSION_EXCLUDES := ./build ./ref ./starter ./starter.tar.gz ./submission.tar.gz \
  ./bench/results ./signal_demo/signal_demo ./stages/blocking/kvserver-blocking \
  ./stages/select/kvserver ./stages/epoll/kvserver-epoll '*.aof' '*.aof.tmp*' __pycache__
.PHONY: submission
submission:
	@mkdir -p build
	tar -czf build/submission.tar.gz --exclude-vcs $(SUBMISSION_EXCLUDES:%=--exclude=%) .
	mv build/submission.tar.gz submission.tar.gz
	@echo "submission.tar.gz: $$(tar -tzf submission.tar.gz | grep -cv '/$$') files; check it builds:" \
	  "mkdir /tmp/check && tar -xzf submission.tar.gz -C /tmp/check && make -C /tmp/check"

# The server needs nothing more; python3 (./client.py) and nc (the README's
# example) are installed if they can be, else named, never fatal.
run-deps:
	@tests/helpers/ensure-deps --run

run: run-deps $(SELECT)
	$(SELECT) -p 6380

# BEGIN INSTRUCTORS
ifneq ($(wildcard tests/fresh-machine),)
.PHONY: test-fresh
# A new minimal Debian 12 root (mmdebstrap, cached in /var/tmp), the
# committed HEAD cloned into it, and the README's commands run there as
# root: make test, make grade (full marks), make run + ./client.py.
test-fresh:
	tests/fresh-machine
endif

# Gradescope's autograder.zip (tests/autograder/build-zip: setup.sh,
# run_autograder, this tree's committed HEAD; HIDDEN=DIR adds hidden tests),
# and its end-to-end test in a fresh minimal Debian 12 root (as root).
ifneq ($(wildcard tests/autograder/build-zip),)
.PHONY: autograder test-autograder
autograder:
	tests/autograder/build-zip -o autograder.zip $(if $(HIDDEN),--hidden $(HIDDEN))
test-autograder:
	tests/autograder/test-e2e
endif
# END INSTRUCTORS

clean:
	rm -rf build
	rm -f signal_demo/signal_demo stages/blocking/kvserver-blocking stages/select/kvserver \
	  stages/epoll/kvserver-epoll

# Benchmarks against Redis, not part of `make test`: a few minutes, or
# `make bench QUICK=1` for a quick pass.  Results go to bench/results/.
.PHONY: bench
bench:
	bench/run $(if $(filter 1,$(QUICK)),--quick)
