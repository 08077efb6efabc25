#ifndef SKIFF_DEVICES_H
#define SKIFF_DEVICES_H
#endif
