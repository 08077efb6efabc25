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

EXTRA_DIST += tests/image/registry.bash tests/image/fake-registry.py tests/image/token-server.py \
	tests/image/make-test-image.py contrib/bench-pull.sh

# Pull speed against skopeo and podman (not part of `make check`).
bench-pull: skiff-image$(EXEEXT)
	$(srcdir)/contrib/bench-pull.sh $(abs_top_builddir)/skiff-image
.PHONY: bench-pull
