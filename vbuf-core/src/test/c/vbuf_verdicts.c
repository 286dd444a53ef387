/*
 * vbuf_verdicts - the C side of ValidationAgreementTest: attaches (open, fstat checks, map,
 * vbuf_validate: no registration) to every path given and prints one line per path:
 *
 *   ok PATH
 *   refused PATH: MESSAGE
 *
 * With --layout FORMAT W H ALIGN instead, prints the frame size vbuf_layout computes (for the
 * comparison with Java's FrameLayout), or "refused" when vbuf_validate's layout rules refuse it.
 */
#define _GNU_SOURCE
#include "vbuf_shm.h"

#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--layout") == 0) {
        for (int i = 2; i + 3 < argc; i += 4) {
            uint32_t id = (uint32_t)strtoul(argv[i], NULL, 10), w = (uint32_t)strtoul(argv[i + 1], NULL, 10);
            uint32_t h = (uint32_t)strtoul(argv[i + 2], NULL, 10), a = (uint32_t)strtoul(argv[i + 3], NULL, 10);
            struct vbuf_plane planes[3];
            const struct vbuf_format_info *fi = vbuf_format_info(id);
            if (!fi) { printf("refused\n"); continue; }
            uint64_t bytes = vbuf_layout(id, w, h, a, planes);
            printf("%s %llu", fi->name, (unsigned long long)bytes);
            for (unsigned k = 0; k < fi->plane_count; k++)
                printf(" %llu/%llu/%llu", (unsigned long long)planes[k].offset, (unsigned long long)planes[k].stride,
                       (unsigned long long)planes[k].rows);
            printf("\n");
        }
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        struct vbuf_pool pool;
        char err[2048];
        if (vbuf_attach(argv[i], 0, &pool, err, sizeof err) == 0) {
            printf("ok %s\n", argv[i]);
            vbuf_detach(&pool);
        } else {
            for (char *c = err; *c; c++) if (*c == '\n') *c = ' ';
            printf("refused %s: %s\n", argv[i], err);
        }
    }
    return 0;
}
