/*
 * vbuf_consume - a C consumer of a vbuf shared pool (see include/vbuf_shm.h, docs/C-ABI.md).
 *
 *   vbuf_consume [options] NAME GROUP N
 *
 * Attaches to /dev/shm/vbuf.NAME (VBUF_SHM_DIR or --dir changes the directory), registers in the
 * pool's process table, takes N frames of consumer group GROUP (0 = until end of stream),
 * sleeping on the group's futex when there is nothing to do, verifies each one, releases it,
 * deregisters and prints one summary line:
 *
 *   frames=N bad=B first=SEQ last=SEQ gaps=G eos=0|1 checksum=HEX
 *
 * Options:
 *   --check mix64   (default) every 8-byte word k of the payload of the frame with sequence s is
 *                   vbuf_mix(s, k) (little-endian; a last partial word is its first bytes), and
 *                   the frame's pts is vbuf_mix(s, ~0): what CConsumerTest's Java producer writes
 *   --check stamp   the payload starts with vbuf's TestPattern stamp (u64 v, then ~v) and v is
 *                   the frame's pts: what 'vbuf run' writes; checks the stamp is whole, equals
 *                   the pts, and increases from frame to frame
 *   --check none    reads every byte (checksum) and checks only the metadata
 *   --timeout-ms T  give up after T ms (exit 3); default: no limit
 *   --hold-at K     after taking the K-th frame, print "holding seq=S slot=X" and stop without
 *                   releasing it, until killed (to test crash recovery)
 *   --validate-only attach and validate the file, print its geometry, exit (no registration)
 *   --allow-group-writable  accept a file its group may write (a pool created with mode 0660)
 *   --dir DIR       directory of pool files (default $VBUF_SHM_DIR or /dev/shm)
 *
 * Exit status: 0 every frame good and N taken (or end of stream with N = 0); 1 a frame failed
 * verification; 2 the pool could not be attached (message on stderr); 3 incomplete (timeout,
 * SIGINT/SIGTERM, or end of stream before N); 4 the pool's shared words hold what no vbuf party
 * writes (message on stderr names the field); 5 the pool admits one consumer per group and a live
 * process reads this group (message on stderr names it); 64 bad usage. No loop spins for ever: every wait
 * is bounded or reads the stop flag that SIGINT/SIGTERM set.
 *
 * Build: gcc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude -o vbuf_consume examples/c/vbuf_consume.c
 */
#define _GNU_SOURCE
#include "vbuf_shm.h"
#include "vbuf_fd.h" /* pools passed by descriptor: a sealed memfd, DMA-BUFs */

#include <inttypes.h>
#include <stdlib.h>

enum check_mode { CHECK_MIX64, CHECK_STAMP, CHECK_NONE };

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

/* splitmix64's finaliser over (seq, k): the checkable payload of the mix64 mode. */
static uint64_t vbuf_mix(uint64_t seq, uint64_t k) {
    uint64_t z = seq * 0x9E3779B97F4A7C15ULL + (k + 1) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int usage(const char *why) {
    fprintf(stderr, "vbuf_consume: %s\n"
            "usage: vbuf_consume [--check mix64|stamp|none] [--timeout-ms T] [--hold-at K] [--validate-only]\n"
            "                    [--allow-group-writable] [--dir DIR] NAME GROUP N\n"
            "  NAME: the pool (file DIR/vbuf.NAME); GROUP: a consumer group of it; N: frames to take, 0 = until"
            " end of stream\n", why);
    return 64;
}

static bool valid_name(const char *n) {
    size_t len = strlen(n);
    if (len < 1 || len > 64) return false;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
    }
    return true;
}

static bool parse_u64(const char *s, uint64_t *out) {
    if (*s < '0' || *s > '9') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

/* Returns NULL when the frame is good, else what is wrong (into buf). */
static const char *verify(const struct vbuf_frame *f, enum check_mode mode, uint64_t *checksum,
                          int64_t *stamp_last, char *buf, size_t len) {
    if (!f->data) return f->problem;
    const uint8_t *d = f->data;
    uint64_t n = f->payload_bytes;
    if (mode == CHECK_MIX64) {
        uint64_t seq = (uint64_t)f->sequence;
        if ((uint64_t)f->pts != vbuf_mix(seq, UINT64_MAX)) {
            snprintf(buf, len, "pts %" PRId64 " is not the one written with sequence %" PRId64, f->pts, f->sequence);
            return buf;
        }
        uint64_t words = n / 8;
        for (uint64_t k = 0; k < words; k++) {
            uint64_t v;
            memcpy(&v, d + 8 * k, 8);
            if (v != vbuf_mix(seq, k)) {
                snprintf(buf, len, "payload word %" PRIu64 " (byte %" PRIu64 ") differs from what sequence %" PRId64
                         " carries", k, 8 * k, f->sequence);
                return buf;
            }
            *checksum += v;
        }
        if (n % 8) {
            uint64_t want = vbuf_mix(seq, words), got = 0;
            memcpy(&got, d + 8 * words, n % 8);
            uint64_t mask = (1ULL << (8 * (n % 8))) - 1;
            if (got != (want & mask)) {
                snprintf(buf, len, "payload tail at byte %" PRIu64 " differs", 8 * words);
                return buf;
            }
            *checksum += got;
        }
        return NULL;
    }
    for (uint64_t i = 0; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, d + i, 8);
        *checksum += v;
    }
    if (mode == CHECK_STAMP) {
        if (n < 16) {
            snprintf(buf, len, "payload of %" PRIu64 " bytes is too short for a 16-byte stamp", n);
            return buf;
        }
        uint64_t a, b;
        memcpy(&a, d, 8);
        memcpy(&b, d + 8, 8);
        if (b != ~a) {
            snprintf(buf, len, "stamp is torn: 0x%016" PRIx64 " then 0x%016" PRIx64, a, b);
            return buf;
        }
        if (a != (uint64_t)f->pts) {
            snprintf(buf, len, "stamp %" PRId64 " is not the frame's pts %" PRId64, (int64_t)a, f->pts);
            return buf;
        }
        if ((int64_t)a <= *stamp_last) {
            snprintf(buf, len, "stamp %" PRId64 " does not follow %" PRId64, (int64_t)a, *stamp_last);
            return buf;
        }
        *stamp_last = (int64_t)a;
    }
    return NULL;
}

int main(int argc, char **argv) {
    enum check_mode mode = CHECK_MIX64;
    uint64_t timeout_ms = 0, hold_at = 0;
    bool validate_only = false;
    int attach_flags = 0;
    const char *dir = getenv("VBUF_SHM_DIR");
    if (!dir || !*dir) dir = "/dev/shm";
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *o = argv[i];
        bool has_arg = i + 1 < argc;
        if (strcmp(o, "--check") == 0 && has_arg) {
            const char *m = argv[++i];
            if (strcmp(m, "mix64") == 0) mode = CHECK_MIX64;
            else if (strcmp(m, "stamp") == 0) mode = CHECK_STAMP;
            else if (strcmp(m, "none") == 0) mode = CHECK_NONE;
            else return usage("--check takes mix64, stamp or none");
        } else if (strcmp(o, "--timeout-ms") == 0 && has_arg) {
            if (!parse_u64(argv[++i], &timeout_ms) || timeout_ms > 86400000ULL * 365)
                return usage("--timeout-ms takes milliseconds, 0..31536000000");
        } else if (strcmp(o, "--hold-at") == 0 && has_arg) {
            if (!parse_u64(argv[++i], &hold_at) || hold_at == 0) return usage("--hold-at takes a frame count >= 1");
        } else if (strcmp(o, "--dir") == 0 && has_arg) {
            dir = argv[++i];
        } else if (strcmp(o, "--validate-only") == 0) {
            validate_only = true;
        } else if (strcmp(o, "--allow-group-writable") == 0) {
            attach_flags |= VBUF_ATTACH_ALLOW_GROUP_WRITABLE;
        } else {
            char why[128];
            snprintf(why, sizeof why, "unknown option or missing value: %.60s", o);
            return usage(why);
        }
    }
    if (argc - i != 3 && !(validate_only && argc - i >= 1)) return usage("give NAME GROUP N");
    const char *name = argv[i];
    if (!valid_name(name))
        return usage("pool name must be 1..64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit");
    uint64_t want = 0;
    if (!validate_only && !parse_u64(argv[i + 2], &want)) return usage("N must be a frame count (0 = until end of stream)");

    char path[256], err[1024];
    if ((size_t)snprintf(path, sizeof path, "%s/%s%s", dir, VBUF_SHM_PREFIX, name) >= sizeof path)
        return usage("--dir is too long");
    struct vbuf_pool pool;
    struct vbuf_fd_buffers bufs; /* a DMA-BUF pool's buffers (count 0 otherwise) */
    if (vbuf_attach_any(path, attach_flags, &pool, &bufs, err, sizeof err) != 0) {
        fprintf(stderr, "vbuf_consume: %s\n", err);
        return 2;
    }
    if (validate_only) {
        printf("valid file=%s slots=%u groups=%u buffer_bytes=%" PRIu64 " stride=%" PRIu64 " data_offset=%" PRIu64
               " processes=%u width=%u height=%u format=%u\n", path, pool.geo.slot_count, pool.geo.group_count,
               pool.buffer_bytes, pool.buffer_stride, pool.data_offset, pool.geo.process_capacity, pool.width,
               pool.height, pool.format);
        vbuf_fd_close(&bufs);
        vbuf_detach(&pool);
        return 0;
    }
    const char *group = argv[i + 1];
    int g = vbuf_group_index(&pool, group);
    if (g < 0) {
        fprintf(stderr, "vbuf_consume: consumer group '%s' is not one of the groups of %s:", group, path);
        for (uint32_t k = 0; k < pool.geo.group_count; k++) fprintf(stderr, " '%s'", pool.group_names[k]);
        fprintf(stderr, "; give one of them\n");
        vbuf_fd_close(&bufs);
        vbuf_detach(&pool);
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a futex wait returns EINTR and the loop sees the flag */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (vbuf_register(&pool, err, sizeof err) != 0) {
        fprintf(stderr, "vbuf_consume: %s\n", err);
        vbuf_fd_close(&bufs);
        vbuf_detach(&pool);
        return 2;
    }
    printf("attached file=%s slots=%u groups=%u group=%s index=%u pid=%ld buffer_bytes=%" PRIu64 "\n", path,
           pool.geo.slot_count, pool.geo.group_count, group, pool.me, (long)getpid(), pool.buffer_bytes);
    fflush(stdout);

    int64_t deadline = timeout_ms ? vbuf_now_ns() + (int64_t)timeout_ms * 1000000LL : 0;
    uint64_t frames = 0, bad = 0, gaps = 0, checksum = 0;
    int64_t first = -1, last = -1, stamp_last = INT64_MIN;
    bool eos = false, incomplete = false, corrupt = false, refused = false;
    char why[256];
    while (want == 0 || frames < want) {
        struct vbuf_frame f;
        int64_t left = deadline ? deadline - vbuf_now_ns() : -1;
        if (deadline && left <= 0) { incomplete = true; break; }
        int r = vbuf_acquire_filled(&pool, (uint32_t)g, left, &stop_flag, &f);
        if (r == VBUF_END) { eos = true; incomplete = want != 0; break; }
        if (r == VBUF_ECORRUPT) { corrupt = true; fprintf(stderr, "vbuf_consume: %s\n", pool.problem); break; }
        if (r == VBUF_EROLE) { refused = true; fprintf(stderr, "vbuf_consume: %s\n", pool.problem); break; }
        if (r != VBUF_OK) { incomplete = true; break; }
        frames++;
        f.data = vbuf_fd_frame_data(&bufs, &f);
        vbuf_fd_sync(&bufs, f.slot, VBUF_FD_SYNC_READ, 1); /* DMA_BUF_IOCTL_SYNC, as the creator does */
        const char *problem = verify(&f, mode, &checksum, &stamp_last, why, sizeof why);
        vbuf_fd_sync(&bufs, f.slot, VBUF_FD_SYNC_READ, 0);
        if (!problem && last >= 0 && f.sequence <= last) {
            snprintf(why, sizeof why, "sequence %" PRId64 " after %" PRId64 ": delivered twice or out of order",
                     f.sequence, last);
            problem = why;
        }
        if (problem) {
            if (bad++ < 10) fprintf(stderr, "vbuf_consume: bad frame (slot %u, sequence %" PRId64 "): %s\n",
                                    f.slot, f.sequence, problem);
        } else {
            if (last >= 0 && f.sequence != last + 1) gaps++;
            if (first < 0) first = f.sequence;
            last = f.sequence;
        }
        if (hold_at && frames == hold_at) {
            printf("holding seq=%" PRId64 " slot=%u\n", f.sequence, f.slot);
            fflush(stdout);
            while (!stop_flag) pause(); /* until killed; a clean stop still deregisters (releasing it) */
            incomplete = true;
            break;
        }
        int rel = vbuf_release(&pool, &f);
        if (rel == VBUF_ECORRUPT) { corrupt = true; fprintf(stderr, "vbuf_consume: %s\n", pool.problem); break; }
        if (rel != VBUF_OK) {
            if (bad++ < 10) fprintf(stderr, "vbuf_consume: frame (slot %u, sequence %" PRId64 ") was taken back from"
                                    " this process before its release (recovered as if this process had died)\n",
                                    f.slot, f.sequence);
        }
    }
    vbuf_deregister(&pool);
    printf("frames=%" PRIu64 " bad=%" PRIu64 " first=%" PRId64 " last=%" PRId64 " gaps=%" PRIu64 " eos=%d checksum=%016"
           PRIx64 "\n", frames, bad, first, last, gaps, eos ? 1 : 0, checksum);
    fflush(stdout);
    vbuf_fd_close(&bufs);
    vbuf_detach(&pool);
    if (bad) return 1;
    if (corrupt) return 4;
    if (refused) return 5;
    if (incomplete) {
        fprintf(stderr, "vbuf_consume: stopped after %" PRIu64 " of %" PRIu64 " frames (%s)\n", frames, want,
                stop_flag ? "signal" : eos ? "end of stream" : "timeout");
        return 3;
    }
    return 0;
}
