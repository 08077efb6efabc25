# skiff-image part 2: layers on disk, bundles and containers from images.
# Appends to local.mk's variables; included from the top-level Makefile.am.
src_libimage_libimage_a_SOURCES += \
	src/libimage/layer.c src/libimage/layer.h \
	src/libimage/layer_store.c src/libimage/layer_store.h
src_libimage_libimage_a_SOURCES += \
	src/libimage/runconfig.c src/libimage/runconfig.h
skiff_image_SOURCES += \
	src/image/unpack.c
src_libimage_libimage_a_SOURCES += \
	src/libimage/overlay.c src/libimage/overlay.h \
	src/libimage/containers.c src/libimage/containers.h
skiff_image_SOURCES += \
	src/image/create.c src/image/create.h src/image/run.c src/image/start.c \
	src/image/ps.c src/image/stop.c src/image/kill.c src/image/rm.c
src_libimage_libimage_a_SOURCES += \
	src/libimage/container_diff.c src/libimage/container_diff.h
skiff_image_SOURCES += \
	src/image/diff.c
src_libimage_libimage_a_SOURCES += \
	src/libimage/container_commit.c src/libimage/container_commit.h \
	src/libimage/gzip_writer.c src/libimage/gzip_writer.h
skiff_image_SOURCES += \
	src/image/commit.c
src_libimage_libimage_a_SOURCES += \
	src/libimage/container_exec.c src/libimage/container_exec.h \
	src/libimage/container_logs.c src/libimage/container_logs.h
skiff_image_SOURCES += \
	src/image/exec.c src/image/logs.c

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-gzip-writer
TESTS += tests/unit/test-gzip-writer
tests_unit_test_gzip_writer_SOURCES = tests/unit/test-gzip-writer.c
tests_unit_test_gzip_writer_CFLAGS = $(IMAGE_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_gzip_writer_LDADD = src/libimage/libimage.a src/libskiff/libskiff.a $(LIBARCHIVE_LIBS) \
	$(CRITERION_LIBS)
endif

# Runs by hand (not part of `make check`): container start (time, memory),
# disk per container and commit against podman; wants a build without
# --enable-sanitizers.
bench-images: skiff$(EXEEXT) skiff-image$(EXEEXT)
	$(srcdir)/contrib/bench-images.sh $(abs_top_builddir)/skiff-image
.PHONY: bench-images
