# `make fuzz`: libFuzzer harnesses (clang), not part of `make all`/`check`.
#   fuzz-security       config.json -> capability parsing + seccomp compilation
#   fuzz-config         config.json parser + generate/parse round trip
#   fuzz-mount-options  skiff_parse_mount_options
#   fuzz-containerfile  skiff-image's Containerfile parser and word expansion
# FUZZ_SECONDS bounds each harness's run (default 60); new inputs go to
# tests/fuzz/work/NAME/ (build dir), the seeds in tests/fuzz/corpus/NAME/
# stay untouched; crashes are saved as tests/fuzz/crash-*.  Built with clang
# directly: libFuzzer needs every object instrumented, which the gcc-built
# libskiff.a is not.
FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_HARNESSES = security config mount-options containerfile
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -I$(top_builddir) -I$(top_builddir)/libocispec -I$(top_srcdir)/libocispec \
	-iquote $(top_srcdir)/src/libskiff $(YAJL_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS) $(SELINUX_CFLAGS)
FUZZ_LIBS = $(YAJL_LIBS) $(SECCOMP_LIBS) $(CAP_LIBS) $(SELINUX_LIBS) -lm
FUZZ_OCISPEC_SRCS = libocispec/ocispec/json.c libocispec/ocispec/convert.c
FUZZ_BASE_SRCS = src/libskiff/utils.c src/libskiff/error.c src/libskiff/log.c
FUZZ_SECURITY_SRCS = tests/fuzz/fuzz-security.c \
	src/libskiff/security.c src/libskiff/caps.c src/libskiff/seccomp.c \
	src/libskiff/seccomp_cache.c src/libskiff/fs.c $(FUZZ_BASE_SRCS) $(FUZZ_OCISPEC_SRCS)
FUZZ_CONFIG_SRCS = tests/fuzz/fuzz-config.c $(FUZZ_BASE_SRCS) $(FUZZ_OCISPEC_SRCS)
FUZZ_MOUNT_OPTIONS_SRCS = tests/fuzz/fuzz-mount-options.c src/libskiff/mount_options.c \
	$(FUZZ_BASE_SRCS)
FUZZ_CONTAINERFILE_SRCS = tests/fuzz/fuzz-containerfile.c src/libimage/containerfile.c \
	src/libimage/containerfile_words.c $(FUZZ_BASE_SRCS) libocispec/ocispec/json.c
EXTRA_DIST += tests/fuzz/local.mk tests/fuzz/fuzz-security.c tests/fuzz/fuzz-config.c \
	tests/fuzz/fuzz-mount-options.c tests/fuzz/fuzz-containerfile.c tests/fuzz/corpus
CLEANFILES += tests/fuzz/fuzz-security tests/fuzz/fuzz-config tests/fuzz/fuzz-mount-options \
	tests/fuzz/fuzz-containerfile

tests/fuzz/fuzz-security: $(FUZZ_SECURITY_SRCS) $(OCISPEC_GENERATED)
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ \
	  $(addprefix $(srcdir)/,$(FUZZ_SECURITY_SRCS)) libocispec/ocispec/runtime.c $(FUZZ_LIBS)

tests/fuzz/fuzz-config: $(FUZZ_CONFIG_SRCS) $(OCISPEC_GENERATED)
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ \
	  $(addprefix $(srcdir)/,$(FUZZ_CONFIG_SRCS)) libocispec/ocispec/runtime.c $(FUZZ_LIBS)

tests/fuzz/fuzz-mount-options: $(FUZZ_MOUNT_OPTIONS_SRCS)
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ \
	  $(addprefix $(srcdir)/,$(FUZZ_MOUNT_OPTIONS_SRCS)) $(FUZZ_LIBS)

tests/fuzz/fuzz-containerfile: $(FUZZ_CONTAINERFILE_SRCS)
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_CFLAGS) -iquote $(top_srcdir)/src/libimage -o $@ \
	  $(addprefix $(srcdir)/,$(FUZZ_CONTAINERFILE_SRCS)) $(FUZZ_LIBS)

# Each harness runs FUZZ_SECONDS; the first crash stops `make fuzz`.
fuzz: $(addprefix tests/fuzz/fuzz-,$(FUZZ_HARNESSES))
	@for h in $(FUZZ_HARNESSES); do \
	  $(MKDIR_P) tests/fuzz/work/$$h || exit 1; \
	  echo "fuzz-$$h: $(FUZZ_SECONDS)s"; \
	  tests/fuzz/fuzz-$$h -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=tests/fuzz/crash-$$h- tests/fuzz/work/$$h $(srcdir)/tests/fuzz/corpus/$$h \
	    || exit 1; \
	done
.PHONY: fuzz

# Part of `make check` when clang is installed: build the harnesses and
# replay each seed corpus once (-runs=0: no new inputs), so a harness that
# no longer builds, or a seed that crashes, fails the suite.
fuzz-replay: $(addprefix tests/fuzz/fuzz-,$(FUZZ_HARNESSES))
	@for h in $(FUZZ_HARNESSES); do \
	  tests/fuzz/fuzz-$$h -runs=0 $(srcdir)/tests/fuzz/corpus/$$h >tests/fuzz/replay-$$h.log 2>&1 \
	    || { cat tests/fuzz/replay-$$h.log; exit 1; }; \
	  echo "fuzz-$$h: $$(ls $(srcdir)/tests/fuzz/corpus/$$h | wc -l) seed inputs replayed, no crash"; \
	done
check-local:
	@if command -v $(FUZZ_CC) >/dev/null; then $(MAKE) $(AM_MAKEFLAGS) fuzz-replay; \
	else echo "fuzz-replay skipped: no $(FUZZ_CC)"; fi
.PHONY: fuzz-replay
CLEANFILES += tests/fuzz/replay-security.log tests/fuzz/replay-config.log tests/fuzz/replay-mount-options.log \
	tests/fuzz/replay-containerfile.log
