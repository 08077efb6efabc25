# skiff-image's registry client (Distribution API v2 over libcurl) and its
# commands: pull, push, login, logout.  Appends to local.mk's variables.
# Included from the top-level Makefile.am after src/libimage/local.mk.

src_libimage_libimage_a_CFLAGS += $(LIBCURL_CFLAGS)
src_libimage_libimage_a_SOURCES += \
	src/libimage/http.c src/libimage/http.h \
	src/libimage/auth.c src/libimage/auth.h \
	src/libimage/progress.c src/libimage/progress.h \
	src/libimage/registry.c src/libimage/registry.h \
	src/libimage/registry_pull.c src/libimage/registry_push.c

skiff_image_SOURCES += \
	src/image/registry_opts.c src/image/registry_opts.h \
	src/image/pull.c src/image/push.c src/image/login.c src/image/logout.c
skiff_image_LDADD += $(LIBCURL_LIBS)

# Pull speed against skopeo and podman (not part of `make check`).
bench-pull: skiff-image$(EXEEXT)
	$(srcdir)/contrib/bench-pull.sh $(abs_top_builddir)/skiff-image
.PHONY: bench-pull

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test-registry
TESTS += tests/unit/test-registry
tests_unit_test_registry_SOURCES = tests/unit/test-registry.c
tests_unit_test_registry_CFLAGS = $(IMAGE_CFLAGS) $(CRITERION_CFLAGS)
tests_unit_test_registry_LDADD = src/libimage/libimage.a src/libskiff/libskiff.a libocispec/libocispec.a \
	$(LIBCURL_LIBS) $(LIBARCHIVE_LIBS) $(LIBCRYPTO_LIBS) $(DEPS_LIBS) $(CRITERION_LIBS)
endif
