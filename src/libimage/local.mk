# skiff-image: images for skiff (store, references, archives; the registry
# client comes from registry.mk, which appends to the same variables).
# A separate binary: the runtime links neither libcurl nor libarchive.
# Included from the top-level Makefile.am.

IMAGE_CFLAGS = $(AM_CFLAGS) $(OCISPEC_INCLUDES) -iquote $(top_srcdir)/src/libskiff \
	-iquote $(top_srcdir)/src/libimage -iquote $(top_srcdir)/src/image \
	$(YAJL_CFLAGS) $(LIBCRYPTO_CFLAGS) $(LIBARCHIVE_CFLAGS)

noinst_LIBRARIES += src/libimage/libimage.a
src_libimage_libimage_a_CFLAGS = $(IMAGE_CFLAGS)
src_libimage_libimage_a_SOURCES = \
	src/libimage/digest.c src/libimage/digest.h \
	src/libimage/ref.c src/libimage/ref.h \
	src/libimage/store.c src/libimage/store.h src/libimage/store_internal.h \
	src/libimage/layerinfo.c src/libimage/layerinfo.h \
	src/libimage/image.c src/libimage/image.h \
	src/libimage/remove.c src/libimage/remove.h \
	src/libimage/fsck.c src/libimage/fsck.h \
	src/libimage/archive.c src/libimage/archive.h

bin_PROGRAMS += skiff-image
skiff_image_CFLAGS = $(IMAGE_CFLAGS)
skiff_image_SOURCES = \
	src/image/skiff-image.c src/image/image_commands.h \
	src/image/image_output.c src/image/image_output.h \
	src/image/images.c src/image/inspect.c src/image/tag.c \
	src/image/rmi.c src/image/prune.c src/image/fsck.c \
	src/image/save.c src/image/load.c
# libskiff.a only for its error and utils objects.
skiff_image_LDADD = src/libimage/libimage.a src/libskiff/libskiff.a libocispec/libocispec.a \
	$(LIBARCHIVE_LIBS) $(LIBCRYPTO_LIBS) $(DEPS_LIBS)

# The image tests (tests/image/*.bats; registry.bats files join them).
TESTS += tests/image/run.sh
EXTRA_DIST += tests/image

# The image tests alone.
check-image: skiff-image
	SKIFF_SRCDIR=$(abs_top_srcdir) SKIFF_BUILDDIR=$(abs_top_builddir) \
	$(srcdir)/tests/image/run.sh
.PHONY: check-image

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-image-ref
TESTS += tests/unit/test-image-ref
tests_unit_test_image_ref_SOURCES = tests/unit/test-image-ref.c
tests_unit_test_image_ref_CFLAGS = $(IMAGE_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_image_ref_LDADD = src/libimage/libimage.a src/libskiff/libskiff.a $(LIBCRYPTO_LIBS) \
	$(CRITERION_LIBS)
endif
