# skiff-image build (issue 12), the executor: stages, steps, the cache and
# intermediate images, and the `build` command.  The parser comes from
# containerfile.mk, the build context from build_context.mk.  Appends to
# local.mk's variables; included from the top-level Makefile.am.
src_libimage_libimage_a_SOURCES += \
	src/libimage/build.c src/libimage/build.h src/libimage/build_internal.h \
	src/libimage/build_state.c src/libimage/build_steps.c
skiff_image_SOURCES += \
	src/image/build.c

# Build speed against buildah (not part of `make check`).
bench-build: skiff-image$(EXEEXT) skiff$(EXEEXT)
	$(srcdir)/contrib/bench-build.sh $(abs_top_builddir)/skiff-image $(abs_top_builddir)/skiff
.PHONY: bench-build
