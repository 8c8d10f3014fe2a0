# work_queue: the C core (libworkqueue, wq_worker), its tests and examples.
#
#   make              build libworkqueue.a/.so, wq_worker, examples  (into build/)
#   make test         C unit tests (csrc/**/*_test.c) and end-to-end tests (tests/c/)
#   make asan-test    the same under AddressSanitizer + UBSan (into build-asan/)
#   make demo         the distributed-convert example on two local workers
#   make install PREFIX=/usr/local

CC      ?= cc
PREFIX  ?= /usr/local
O       ?= build
CSTD     = -std=c11 -D_GNU_SOURCE
WARN     = -Wall -Wextra -Werror -Wno-unused-parameter
OPT     ?= -O2 -g
SANITIZE ?=
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(SANITIZE) -fPIC -fvisibility=hidden -iquote csrc -Icsrc/include $(CFLAGS)
LDFLAGS_ALL = $(SANITIZE) $(LDFLAGS)
LIBS    = -lm -pthread

LIB_SRC    := $(filter-out %_test.c,$(wildcard csrc/*.c))
WORKER_SRC := $(filter-out %_test.c,$(wildcard csrc/worker/*.c))
CATALOG_SRC := $(filter-out %_test.c,$(wildcard csrc/catalog/*.c))
UNIT_SRC   := $(wildcard csrc/*_test.c csrc/worker/*_test.c csrc/catalog/*_test.c)
HARNESS_SRC := $(wildcard tests/c/harness*.c)
E2E_SRC    := $(filter-out $(HARNESS_SRC),$(wildcard tests/c/*.c))
EX_SRC     := $(wildcard examples/c/*.c)

LIB_OBJ    := $(LIB_SRC:%.c=$(O)/%.o)
WORKER_OBJ := $(WORKER_SRC:%.c=$(O)/%.o)
WORKER_LIB_OBJ := $(filter-out $(O)/csrc/worker/main.o,$(WORKER_OBJ))
CATALOG_OBJ := $(CATALOG_SRC:%.c=$(O)/%.o)
CATALOG_LIB_OBJ := $(filter-out $(O)/csrc/catalog/main.o,$(CATALOG_OBJ))
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(O)/%.o)
UNIT_BIN   := $(UNIT_SRC:%.c=$(O)/%)
E2E_BIN    := $(E2E_SRC:%.c=$(O)/%)
EX_BIN     := $(EX_SRC:%.c=$(O)/%)

.SECONDARY:
.PHONY: all test unit-test e2e-test asan-test demo install clean bench-dispatch bench
all: $(O)/libworkqueue.a $(O)/libworkqueue.so $(O)/wq_worker $(O)/work_queue_worker $(O)/wq_catalog_server $(EX_BIN)

$(O)/%.o: %.c $(wildcard csrc/*.h csrc/include/*.h csrc/worker/*.h csrc/catalog/*.h tests/c/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(O)/libworkqueue.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(O)/libworkqueue.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS_ALL) $(LIBS)

$(O)/wq_worker: $(WORKER_OBJ) $(O)/libworkqueue.a
	$(CC) -o $@ $(WORKER_OBJ) $(O)/libworkqueue.a $(LDFLAGS_ALL) $(LIBS)

$(O)/work_queue_worker: $(O)/wq_worker
	ln -sf wq_worker $@

$(O)/wq_catalog_server: $(CATALOG_OBJ) $(O)/libworkqueue.a
	$(CC) -o $@ $(CATALOG_OBJ) $(O)/libworkqueue.a $(LDFLAGS_ALL) $(LIBS)

# unit tests: one binary per foo_test.c, linked with the library (and the worker's modules)
$(O)/csrc/%_test: $(O)/csrc/%_test.o $(O)/libworkqueue.a $(WORKER_LIB_OBJ)
	$(CC) -o $@ $< $(WORKER_LIB_OBJ) $(O)/libworkqueue.a $(LDFLAGS_ALL) $(LIBS)

# the catalog server's unit tests link its modules (the shorter stem wins over the rule above)
$(O)/csrc/catalog/%_test: $(O)/csrc/catalog/%_test.o $(CATALOG_LIB_OBJ) $(O)/libworkqueue.a
	$(CC) -o $@ $< $(CATALOG_LIB_OBJ) $(O)/libworkqueue.a $(LDFLAGS_ALL) $(LIBS)

$(O)/tests/c/%: $(O)/tests/c/%.o $(HARNESS_OBJ) $(O)/libworkqueue.a
	$(CC) -o $@ $< $(HARNESS_OBJ) $(O)/libworkqueue.a $(LDFLAGS_ALL) $(LIBS)

$(O)/examples/c/%: $(O)/examples/c/%.o $(O)/libworkqueue.a
	$(CC) -o $@ $< $(O)/libworkqueue.a $(LDFLAGS_ALL) $(LIBS)

unit-test: $(UNIT_BIN)
	@sh tests/run-c-tests.sh unit $(UNIT_BIN)

e2e-test: all $(E2E_BIN)
	@WQ_WORKER=$(abspath $(O)/wq_worker) WQ_CATALOG_SERVER=$(abspath $(O)/wq_catalog_server) sh tests/run-c-tests.sh e2e $(E2E_BIN)

test: all
	@$(MAKE) --no-print-directory unit-test e2e-test

asan-test:
	@$(MAKE) --no-print-directory O=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all" test

# the cost of choosing a worker: 100,000 tasks onto 1,000 fake workers, every policy
$(O)/bench/dispatch_bench: $(O)/bench/dispatch_bench.o $(O)/libworkqueue.a
	$(CC) -o $@ $< $(O)/libworkqueue.a $(LDFLAGS_ALL) $(LIBS)

bench-dispatch: $(O)/bench/dispatch_bench
	$(O)/bench/dispatch_bench

# the benchmark suite (bench/run.py builds `all` and these, runs them, writes
# bench/results.json and the table in docs/performance.md); BENCH_ARGS=--quick
BENCH_BIN := $(addprefix $(O)/bench/,swarm master_cost throughput spawn_baseline data data_baseline)
$(BENCH_BIN): $(O)/bench/%: $(O)/bench/%.o $(O)/libworkqueue.a
	$(CC) -o $@ $< $(O)/libworkqueue.a $(LDFLAGS_ALL) $(LIBS)
# the kernel floor of benchmark 2: plain sockets, nothing of the library
$(O)/bench/sys_floor: $(O)/bench/sys_floor.o
	$(CC) -o $@ $< $(LDFLAGS_ALL)

bench:
	python3 bench/run.py --build $(O) $(BENCH_ARGS)

demo: all
	@sh examples/c/demo.sh $(O)

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include
	install -m 644 $(O)/libworkqueue.a $(O)/libworkqueue.so $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(O)/wq_worker $(DESTDIR)$(PREFIX)/bin/
	ln -sf wq_worker $(DESTDIR)$(PREFIX)/bin/work_queue_worker
	install -m 755 $(O)/wq_catalog_server $(DESTDIR)$(PREFIX)/bin/
	install -m 644 csrc/include/work_queue.h $(DESTDIR)$(PREFIX)/include/

clean:
	rm -rf build build-asan
