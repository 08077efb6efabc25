#ifndef SKIFF_SECCOMP_H
#define SKIFF_SECCOMP_H
#endif
