# `make fuzz`: libFuzzer harnesses (clang), not part of `make all`/`check`.
# FUZZ_SECONDS bounds each run; new inputs go to tests/fuzz/work/ (build
# dir), the seeds in tests/fuzz/corpus/ stay untouched; crashes are saved as
# tests/fuzz/crash-*.  Built with clang directly: libFuzzer needs every object
# instrumented, which the gcc-built libskiff.a is not.
FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -I$(top_builddir) -I$(top_builddir)/libocispec -I$(top_srcdir)/libocispec \
	-iquote $(top_srcdir)/src/libskiff $(YAJL_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS) $(SELINUX_CFLAGS)
FUZZ_LIBS = $(YAJL_LIBS) $(SECCOMP_LIBS) $(CAP_LIBS) $(SELINUX_LIBS) -lm
FUZZ_SECURITY_SRCS = tests/fuzz/fuzz-security.c \
	src/libskiff/security.c src/libskiff/caps.c src/libskiff/seccomp.c \
	src/libskiff/seccomp_cache.c src/libskiff/utils.c src/libskiff/error.c src/libskiff/log.c \
	libocispec/ocispec/json.c libocispec/ocispec/convert.c
EXTRA_DIST += tests/fuzz/local.mk tests/fuzz/fuzz-security.c tests/fuzz/corpus
CLEANFILES += tests/fuzz/fuzz-security

tests/fuzz/fuzz-security: $(FUZZ_SECURITY_SRCS) $(OCISPEC_GENERATED)
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ \
	  $(addprefix $(srcdir)/,$(FUZZ_SECURITY_SRCS)) libocispec/ocispec/runtime.c $(FUZZ_LIBS)

fuzz: tests/fuzz/fuzz-security
	$(MKDIR_P) tests/fuzz/work/security
	tests/fuzz/fuzz-security -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	  -artifact_prefix=tests/fuzz/ tests/fuzz/work/security $(srcdir)/tests/fuzz/corpus/security
.PHONY: fuzz
