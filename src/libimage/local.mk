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
	src/libimage/store.c src/libimage/store.h src/libimage/store_internal.h

bin_PROGRAMS += skiff-image
skiff_image_CFLAGS = $(IMAGE_CFLAGS)
skiff_image_SOURCES = \
	src/image/skiff-image.c src/image/image_commands.h \
	src/image/unbuilt.c
# libskiff.a only for its error and utils objects.
skiff_image_LDADD = src/libimage/libimage.a src/libskiff/libskiff.a libocispec/libocispec.a \
	$(LIBARCHIVE_LIBS) $(LIBCRYPTO_LIBS) $(DEPS_LIBS)
