/* Shared between skiff (exe_guard.c) and its exec stub (exe_guard_stub.c):
   the argv[0] the stub insists on.  */
#ifndef SKIFF_EXE_GUARD_STUB_H
#define SKIFF_EXE_GUARD_STUB_H
#define SKIFF_EXE_STUB_MAGIC "skiff-exec-stub"
#endif
