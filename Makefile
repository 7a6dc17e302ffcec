# Parley: one Makefile for build, run and check. See README.md.
BUILD   ?= build
CC      ?= gcc
PKGS    := libpq jansson libsodium libcurl libcmark libcrypto
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wformat=2 -fno-common $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lfcgi -lm -pthread
SAN     ?=
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

SRC      := $(wildcard fcgi/*.c)
LIB_OBJ  := $(patsubst fcgi/%.c,$(BUILD)/obj/%.o,$(filter-out fcgi/main.c,$(SRC)))
UNIT     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all build unit asan run stop psql check bench clean fuzz
all build: $(BUILD)/parley $(UNIT)

$(BUILD)/obj/%.o: fcgi/%.c $(wildcard fcgi/*.h) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/parley: $(BUILD)/obj/main.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) $(wildcard tests/unit/*.h) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Ifcgi $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS) -lcmocka

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

unit: $(UNIT)
	@bash tests/lib/run-unit.sh $(BUILD)

asan:
	$(MAKE) BUILD=build/asan SAN=1 all

# Fuzz targets: clang + libFuzzer, each run for a bounded time.
FUZZ_SECONDS ?= 20
FUZZ     := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
build/fuzz/%: tests/fuzz/%.c $(SRC) $(wildcard fcgi/*.h)
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Ifcgi -fsanitize=fuzzer,address,undefined \
	  $(shell pkg-config --cflags $(PKGS)) -o $@ $< $(filter-out fcgi/main.c,$(SRC)) $(LDLIBS)
fuzz: $(FUZZ)
	@RESULTS=$(RESULTS) bash tests/lib/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ)

run: all
	@bash tests/lib/stack.sh run
stop:
	@bash tests/lib/stack.sh stop
psql:
	@bash tests/lib/stack.sh psql

check:
	@bash tests/lib/check.sh

bench: all
	@bash bench/run.sh

clean:
	rm -rf build
