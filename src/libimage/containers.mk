# skiff-image part 2: layers on disk, bundles and containers from images.
# Appends to local.mk's variables; included from the top-level Makefile.am.
src_libimage_libimage_a_SOURCES += \
	src/libimage/layer.c src/libimage/layer.h \
	src/libimage/layer_store.c src/libimage/layer_store.h
src_libimage_libimage_a_SOURCES += \
	src/libimage/runconfig.c src/libimage/runconfig.h
skiff_image_SOURCES += \
	src/image/unpack.c
