# skiff-image build, part 1: the Containerfile parser and its word expansion.
# Appends to local.mk's variables; included from the top-level Makefile.am.
src_libimage_libimage_a_SOURCES += \
	src/libimage/containerfile.c src/libimage/containerfile.h \
	src/libimage/containerfile_words.c src/libimage/containerfile_internal.h

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-containerfile
TESTS += tests/unit/test-containerfile
tests_unit_test_containerfile_SOURCES = tests/unit/test-containerfile.c
tests_unit_test_containerfile_CFLAGS = $(IMAGE_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_containerfile_LDADD = src/libimage/libimage.a src/libskiff/libskiff.a libocispec/libocispec.a \
	$(DEPS_LIBS) $(CRITERION_LIBS)
endif
