#ifndef SKIFF_FS_H
#define SKIFF_FS_H
#endif
