/* skiff-image: the progress display of pull and push, one line per blob
 * (bytes and rate) redrawn in place on a terminal.  Not a terminal, or
 * quiet: image_progress_new returns NULL and every call does nothing.  */
#ifndef IMAGE_PROGRESS_H
#define IMAGE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct image_progress;

/* On stderr when it is a terminal and QUIET is false.  */
struct image_progress *image_progress_new (bool quiet);
/* A line "VERB DIGEST-PREFIX"; returns its index.  */
int image_progress_add (struct image_progress *p, const char *verb, const char *digest, int64_t total);
/* BYTES so far (a retried download starts again at 0).  */
void image_progress_set (struct image_progress *p, int line, int64_t bytes);
/* Final state of a line: "done", "exists", "failed"...  */
void image_progress_end (struct image_progress *p, int line, const char *status);
/* Last redraw, then frees P.  */
void image_progress_free (struct image_progress *p);

#endif
