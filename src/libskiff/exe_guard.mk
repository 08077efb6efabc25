# The exec stub of exe_guard.c: a static, libc-free program of ~2 KB,
# built with the host compiler and embedded in skiff as a byte array
# (src/libskiff/exe_guard_stub.bin.h).  No sanitizers or user CFLAGS: it
# must stay tiny and self-contained.  On an architecture the stub does not
# support, the array is empty and skiff execs the program directly.
EXE_STUB_CFLAGS = -Os -static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector \
	-fno-pie -no-pie -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-Wl,-s -Wl,-n -Wl,--build-id=none -Wl,-z,noexecstack

BUILT_SOURCES += src/libskiff/exe_guard_stub.bin.h
CLEANFILES += src/libskiff/exe_guard_stub.bin.h src/libskiff/exe_guard_stub.elf
EXTRA_DIST += src/libskiff/exe_guard.mk src/libskiff/exe_guard_stub.c src/libskiff/exe_guard_stub.h

src/libskiff/exe_guard_stub.bin.h: $(srcdir)/src/libskiff/exe_guard_stub.c $(srcdir)/src/libskiff/exe_guard_stub.h
	$(AM_V_GEN)$(MKDIR_P) src/libskiff && \
	{ echo '/* Generated from exe_guard_stub.c by exe_guard.mk.  */'; \
	  if $(CC) $(EXE_STUB_CFLAGS) -iquote $(srcdir)/src/libskiff -o src/libskiff/exe_guard_stub.elf \
	       $(srcdir)/src/libskiff/exe_guard_stub.c; then \
	    echo 'static const unsigned char skiff_exe_stub[] = {'; \
	    od -An -v -tx1 src/libskiff/exe_guard_stub.elf | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1, /g'; \
	    echo '};'; \
	    echo '#define SKIFF_EXE_STUB_LEN sizeof (skiff_exe_stub)'; \
	  else \
	    echo 'static const unsigned char skiff_exe_stub[1];'; \
	    echo '#define SKIFF_EXE_STUB_LEN ((size_t) 0)'; \
	  fi; } >$@.tmp && mv $@.tmp $@

src/libskiff/libskiff_a-exe_guard.$(OBJEXT): src/libskiff/exe_guard_stub.bin.h
