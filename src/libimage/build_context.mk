# skiff-image build: the build context (ignore rules, COPY/ADD sources,
# their hash, the copy).  Included from the top-level Makefile.am.
src_libimage_libimage_a_SOURCES += \
	src/libimage/build_context.c src/libimage/build_context.h \
	src/libimage/build_context_internal.h src/libimage/build_copy.c

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-build-context
TESTS += tests/unit/test-build-context
tests_unit_test_build_context_SOURCES = tests/unit/test-build-context.c
tests_unit_test_build_context_CFLAGS = $(IMAGE_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_build_context_LDADD = src/libimage/libimage.a src/libskiff/libskiff.a libocispec/libocispec.a \
	$(LIBARCHIVE_LIBS) $(LIBCRYPTO_LIBS) $(DEPS_LIBS) $(CRITERION_LIBS)
endif
