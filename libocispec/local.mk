# libocispec: OCI runtime-spec / image-spec parsers and serialisers, C code
# generated at build time by generate.py from defs/*.def.
# Included from the top-level Makefile.am (non-recursive build).

OCISPEC_GENERATED = \
	libocispec/ocispec/runtime.h libocispec/ocispec/runtime.c \
	libocispec/ocispec/image.h libocispec/ocispec/image.c
OCISPEC_GENERATOR = $(srcdir)/libocispec/generate.py
OCISPEC_GEN_V = $(AM_V_GEN)$(MKDIR_P) libocispec/ocispec && \
	$(PYTHON) $(OCISPEC_GENERATOR)

noinst_LIBRARIES += libocispec/libocispec.a
libocispec_libocispec_a_CFLAGS = $(AM_CFLAGS) $(YAJL_CFLAGS) \
	-I$(top_builddir)/libocispec -I$(top_srcdir)/libocispec
libocispec_libocispec_a_SOURCES = \
	libocispec/ocispec/common.h \
	libocispec/ocispec/json.h libocispec/ocispec/json.c \
	libocispec/ocispec/internal.h libocispec/ocispec/convert.c
nodist_libocispec_libocispec_a_SOURCES = $(OCISPEC_GENERATED)

BUILT_SOURCES += $(OCISPEC_GENERATED)
CLEANFILES += $(OCISPEC_GENERATED)
EXTRA_DIST += libocispec/generate.py libocispec/defs/runtime.def \
	libocispec/defs/image.def libocispec/check-coverage.sh tests/data/ocispec \
	tests/data/validate

# One generator run per file keeps parallel make simple.
libocispec/ocispec/runtime.h: $(OCISPEC_GENERATOR) $(srcdir)/libocispec/defs/runtime.def
	$(OCISPEC_GEN_V) --header $(srcdir)/libocispec/defs/runtime.def $@
libocispec/ocispec/runtime.c: $(OCISPEC_GENERATOR) $(srcdir)/libocispec/defs/runtime.def
	$(OCISPEC_GEN_V) --source $(srcdir)/libocispec/defs/runtime.def $@
libocispec/ocispec/image.h: $(OCISPEC_GENERATOR) $(srcdir)/libocispec/defs/image.def
	$(OCISPEC_GEN_V) --header $(srcdir)/libocispec/defs/image.def $@
libocispec/ocispec/image.c: $(OCISPEC_GENERATOR) $(srcdir)/libocispec/defs/image.def
	$(OCISPEC_GEN_V) --source $(srcdir)/libocispec/defs/image.def $@

# BUILT_SOURCES only covers all/check/install: make single targets work too.
$(libocispec_libocispec_a_OBJECTS): libocispec/ocispec/runtime.h \
	libocispec/ocispec/image.h

OCISPEC_TEST_CFLAGS = $(AM_CFLAGS) $(YAJL_CFLAGS) \
	-I$(top_builddir)/libocispec -I$(top_srcdir)/libocispec \
	-DOCISPEC_TESTDATA='"$(abs_top_srcdir)/tests/data/ocispec"'

# Benchmark: built with everything, run by hand with `make bench-ocispec`.
noinst_PROGRAMS += libocispec/bench-ocispec
libocispec_bench_ocispec_SOURCES = libocispec/bench-ocispec.c
libocispec_bench_ocispec_CFLAGS = $(OCISPEC_TEST_CFLAGS)
libocispec_bench_ocispec_LDADD = libocispec/libocispec.a $(YAJL_LIBS)
$(libocispec_bench_ocispec_OBJECTS): libocispec/ocispec/runtime.h

bench-ocispec: libocispec/bench-ocispec$(EXEEXT)
	libocispec/bench-ocispec$(EXEEXT) $(srcdir)/tests/data/ocispec/podman-config.json
.PHONY: bench-ocispec

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-ocispec
TESTS += tests/unit/test-ocispec libocispec/check-coverage.sh
tests_unit_test_ocispec_SOURCES = \
	tests/unit/test-ocispec.c \
	tests/unit/test-ocispec-errors.c
tests_unit_test_ocispec_CFLAGS = $(OCISPEC_TEST_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_ocispec_LDADD = libocispec/libocispec.a \
	$(CRITERION_LIBS) $(YAJL_LIBS)
$(tests_unit_test_ocispec_OBJECTS): libocispec/ocispec/runtime.h \
	libocispec/ocispec/image.h

# The runtime-spec rules the .def files declare: one document per rule.
check_PROGRAMS += tests/unit/test-validate
TESTS += tests/unit/test-validate
tests_unit_test_validate_SOURCES = tests/unit/test-validate.c
tests_unit_test_validate_CFLAGS = $(OCISPEC_TEST_CFLAGS) $(CRITERION_CFLAGS) \
	-DVALIDATE_TESTDATA='"$(abs_top_srcdir)/tests/data/validate"'
tests_unit_test_validate_LDADD = libocispec/libocispec.a \
	$(CRITERION_LIBS) $(YAJL_LIBS)
$(tests_unit_test_validate_OBJECTS): libocispec/ocispec/runtime.h
endif
