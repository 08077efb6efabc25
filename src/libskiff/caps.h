#ifndef SKIFF_CAPS_H
#define SKIFF_CAPS_H
#endif
