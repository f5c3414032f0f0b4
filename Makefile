# TP7 — key-value store: signals, asynchronous I/O, sockets.
#
#   make              build every program (warnings are errors)
#   make test         check the test tools, build, run the whole bats suite
#   make run          build and start the final (select) server on port 6380
#   make SANITIZE=1   the same programs built with ASan + UBSan, under build/sanitize/
#   make clean
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
ifneq ($(wildcard tests/store_test.c),)
  PROGRAMS += $(STORE_TEST)
endif
ifneq ($(wildcard tests/protocol_test.c),)
  PROGRAMS += $(PROTO_TEST)
endif

.PHONY: all test run clean deps
all: $(PROGRAMS)

objs_of = $(patsubst %.c,$(OBJ)/%.o,$(wildcard $(1)/*.c))

$(SIGNAL_DEMO): $(call objs_of,signal_demo)
$(BLOCKING):    $(call objs_of,stages/blocking) $(COMMON_OBJ)
$(SELECT):      $(call objs_of,stages/select) $(COMMON_OBJ)
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

test: deps all
	BIN_ROOT=$(BIN_ROOT) BUILD_ROOT=$(CURDIR)/$(OUT) bats --timing $(BATS_FILES)

run: $(SELECT)
	$(SELECT) -p 6380

clean:
	rm -rf build
	rm -f signal_demo/signal_demo stages/blocking/kvserver-blocking stages/select/kvserver
