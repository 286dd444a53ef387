/*
 * vbuf_fd.h - attaching to a vbuf shared pool whose memory is passed by file descriptor
 * (a sealed memfd, a memfd in huge pages, or one DMA-BUF per buffer), for C (C11) consumers.
 * Include it after vbuf_shm.h. docs/C-ABI.md and docs/SHARED.md describe the protocol; the Java
 * side is dev.vbuf.shm.FdProtocol (the constants below carry its names with a VBUF_FD_ prefix).
 *
 * Such a pool's name (/dev/shm/vbuf.NAME) is a SOCK_SEQPACKET Unix-domain socket served by the
 * pool's creator. An attacher connects, checks the server runs as this user (SO_PEERCRED),
 * sends a 16-byte request and receives a 48-byte reply with the descriptors (SCM_RIGHTS):
 * descriptor 0 is a memfd holding the control block (and, for memfd kinds, the buffers),
 * sealed against shrinking and growing; for the DMA-BUF kinds descriptors 1..N are the buffers.
 * Every message is checked (length, magic, version, counts, descriptor count, truncation), every
 * wait is a poll with a timeout, and on any refusal every descriptor received is closed.
 *
 *     struct vbuf_pool pool; struct vbuf_fd_buffers bufs; char err[512];
 *     if (vbuf_attach_any(path, 0, &pool, &bufs, err, sizeof err)) ...       // a file or a socket
 *     ... vbuf_acquire_filled(&pool, g, -1, &stop, &f) ...
 *     const uint8_t *data = vbuf_fd_frame_data(&bufs, &f);                   // f.data, or the DMA-BUF
 *     vbuf_fd_sync(&bufs, f.slot, VBUF_FD_SYNC_READ, 1);  ... read ...  vbuf_fd_sync(&bufs, f.slot, VBUF_FD_SYNC_READ, 0);
 *     vbuf_release(&pool, &f);  ...  vbuf_fd_close(&bufs);  vbuf_detach(&pool);
 */
#ifndef VBUF_FD_H
#define VBUF_FD_H

#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/dma-buf.h>

#define VBUF_FD_VERSION 1
#define VBUF_FD_REQUEST_BYTES 16
#define VBUF_FD_REPLY_BYTES 48
#define VBUF_FD_MORE_BYTES 16
#define VBUF_FD_FDS_PER_MESSAGE 200
#define VBUF_FD_MAX_TEXT_BYTES 200
#define VBUF_FD_STATUS_OK 0
#define VBUF_FD_STATUS_REFUSED 1
#define VBUF_FD_KIND_MEMFD 1
#define VBUF_FD_KIND_MEMFD_HUGETLB 2
#define VBUF_FD_KIND_DMA_HEAP 3
#define VBUF_FD_KIND_UDMABUF 4
#define VBUF_FD_KIND_DEVICE_DMABUF 5 /* DMA-BUFs a device exported (V4L2 VIDIOC_EXPBUF) */
#define VBUF_FD_MAX_KIND 5
#ifndef VBUF_FD_TIMEOUT_MS
#define VBUF_FD_TIMEOUT_MS 10000 /* longest wait for one message; a slow (emulated) creator needs seconds */
#endif
#define VBUF_FD_MAX_BYTES (1ULL << 46)
#define VBUF_FD_SYNC_READ 1
#define VBUF_FD_SYNC_WRITE 2

/* The buffers of a DMA-BUF pool (count 0 for a file or memfd pool: use f.data). */
struct vbuf_fd_buffers {
    uint32_t kind;         /* 0: a /dev/shm file; else VBUF_FD_KIND_* */
    uint32_t count;        /* DMA-BUF buffers (0 when the buffers are inside the pool mapping) */
    uint64_t bytes;        /* each buffer's mapped length */
    int *fds;              /* count descriptors, to pass on to a device or for DMA_BUF_IOCTL_SYNC */
    uint8_t **maps;        /* count mappings */
    uint32_t seals;        /* F_GET_SEALS of descriptor 0 */
};

static inline void vbuf_fd_close_all(int *fds, int n) {
    for (int i = 0; i < n; i++) if (fds[i] >= 0) close(fds[i]);
}

/* Waits (poll, at most VBUF_FD_TIMEOUT_MS) and receives one message; returns its length (0: closed), or -1. */
static inline ssize_t vbuf_fd_recv(int s, uint8_t *buf, size_t len, int *fds, int max_fds, int *nfds, int *flags) {
    *nfds = 0;
    struct pollfd pfd = { .fd = s, .events = POLLIN };
    int r;
    do { r = poll(&pfd, 1, VBUF_FD_TIMEOUT_MS); } while (r < 0 && errno == EINTR);
    if (r <= 0) { errno = r == 0 ? ETIMEDOUT : errno; return -1; }
    union { struct cmsghdr align; char space[CMSG_SPACE(sizeof(int) * (VBUF_FD_FDS_PER_MESSAGE + 1))]; } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                          .msg_controllen = sizeof control.space };
    ssize_t n = recvmsg(s, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) return -1;
    *flags = msg.msg_flags;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) continue;
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        const unsigned char *d = CMSG_DATA(c);
        for (int i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, d + i * sizeof(int), sizeof fd);
            if (*nfds < max_fds) fds[(*nfds)++] = fd; else close(fd); /* more than room: refused below */
        }
    }
    return n;
}

static inline uint32_t vbuf_fd_u32(const uint8_t *b, size_t off) { uint32_t v; memcpy(&v, b + off, 4); return v; }
static inline uint64_t vbuf_fd_u64(const uint8_t *b, size_t off) { uint64_t v; memcpy(&v, b + off, 8); return v; }

/*
 * Attaches to the descriptor-passing pool whose socket is at `path`: the pool's memory is
 * mapped and validated into `p` (exactly as vbuf_attach does for a file) and, for DMA-BUF
 * pools, the buffers mapped into `bufs`. Returns 0, or -1 with a message in err (every
 * descriptor received is closed then).
 */
static inline int vbuf_fd_attach(const char *path, int flags, struct vbuf_pool *p, struct vbuf_fd_buffers *bufs,
                                 char *err, size_t errlen) {
    memset(bufs, 0, sizeof *bufs);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        vbuf_msg(err, errlen, "%s is not a pool socket", path);
        return -1;
    }
    mode_t forbidden = (flags & VBUF_ATTACH_ALLOW_GROUP_WRITABLE) ? 0002 : 0022;
    if (st.st_uid != getuid() || (st.st_mode & forbidden)) {
        vbuf_msg(err, errlen, "%s belongs to uid %u with mode 0%o; a pool is attached by its owner (uid %u) and must not be"
                 " open to %s. Remove it ('vbuf shm rm NAME')", path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
                 (unsigned)getuid(), forbidden == 0002 ? "others" : "group or others");
        return -1;
    }
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) { vbuf_msg(err, errlen, "socket path %s is too long", path); return -1; }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0) { vbuf_msg(err, errlen, "socket: %s", strerror(errno)); return -1; }
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(s);
        vbuf_msg(err, errlen, e == ECONNREFUSED ? "no process serves shared pool %s any more (its creator is gone); remove"
                 " it with 'vbuf shm rm NAME' and start the producer again" : "cannot connect to shared pool %s: %s",
                 path, strerror(e));
        return -1;
    }
    struct ucred cred;
    socklen_t cl = sizeof cred;
    if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 || cred.uid != getuid()) {
        close(s);
        vbuf_msg(err, errlen, "shared pool %s is served by a process of uid %u, not of this user (uid %u); refusing it",
                 path, (unsigned)cred.uid, (unsigned)getuid());
        return -1;
    }
    uint8_t req[VBUF_FD_REQUEST_BYTES] = "VBUF-REQ";
    uint32_t version = VBUF_FD_VERSION, zero = 0;
    memcpy(req + 8, &version, 4);
    memcpy(req + 12, &zero, 4);
    if (send(s, req, sizeof req, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof req) {
        int e = errno;
        close(s);
        vbuf_msg(err, errlen, "cannot send the request to shared pool %s: %s", path, strerror(e));
        return -1;
    }
    int *fds = NULL, nfds = 0, got, mflags = 0;
    uint8_t msg[VBUF_FD_REPLY_BYTES + VBUF_FD_MAX_TEXT_BYTES + 1];
    int tmp[VBUF_FD_FDS_PER_MESSAGE + 1];
    const char *bad = NULL;
    char why[300];
    ssize_t n = vbuf_fd_recv(s, msg, sizeof msg, tmp, VBUF_FD_FDS_PER_MESSAGE + 1, &got, &mflags);
    uint32_t kind = 0, total = 0;
    uint64_t fd0_bytes = 0, each = 0;
    if (n < 0) {
        snprintf(why, sizeof why, "no reply within %d ms (%s)", VBUF_FD_TIMEOUT_MS, strerror(errno));
        bad = why;
    } else if (mflags & (MSG_TRUNC | MSG_CTRUNC)) {
        bad = "a truncated reply";
    } else if (n < VBUF_FD_REPLY_BYTES || memcmp(msg, "VBUF-FDS", 8) != 0 || vbuf_fd_u32(msg, 8) != VBUF_FD_VERSION) {
        bad = "a reply that is not version 1 of the protocol (length, magic or version)";
    } else if (vbuf_fd_u32(msg, 12) == VBUF_FD_STATUS_REFUSED) {
        uint32_t t = vbuf_fd_u32(msg, 28);
        if (t > VBUF_FD_MAX_TEXT_BYTES || n != (ssize_t)(VBUF_FD_REPLY_BYTES + t)) t = 0;
        snprintf(why, sizeof why, "a refusal: %.*s", (int)t, (const char *)msg + VBUF_FD_REPLY_BYTES);
        bad = why;
    } else {
        kind = vbuf_fd_u32(msg, 16);
        total = vbuf_fd_u32(msg, 20);
        uint32_t here = vbuf_fd_u32(msg, 24);
        fd0_bytes = vbuf_fd_u64(msg, 32);
        each = vbuf_fd_u64(msg, 40);
        bool per_buffer = kind == VBUF_FD_KIND_DMA_HEAP || kind == VBUF_FD_KIND_UDMABUF || kind == VBUF_FD_KIND_DEVICE_DMABUF;
        if (vbuf_fd_u32(msg, 12) != VBUF_FD_STATUS_OK || n != VBUF_FD_REPLY_BYTES || vbuf_fd_u32(msg, 28) != 0) bad = "a malformed reply";
        else if (kind < 1 || kind > VBUF_FD_MAX_KIND) bad = "an unknown memory kind";
        else if (per_buffer ? (total < 2 || total > 1 + VBUF_MAX_BUFFERS) : total != 1) bad = "a descriptor total out of range";
        else if (here < 1 || here > total || here > VBUF_FD_FDS_PER_MESSAGE || (int)here != got) bad = "a descriptor count that is not what came";
        else if (fd0_bytes < VBUF_HEADER_BYTES || fd0_bytes > VBUF_FD_MAX_BYTES) bad = "a control block size out of range";
        else if (per_buffer ? (each < 1 || each > VBUF_FD_MAX_BYTES || each % VBUF_PAGE) : each != 0) bad = "a buffer size out of range";
    }
    if (!bad) {
        fds = (int *)calloc(total, sizeof(int));
        if (!fds) bad = "no memory";
    }
    if (!bad) {
        memcpy(fds, tmp, (size_t)got * sizeof(int));
        nfds = got;
        got = 0;
        while (!bad && (uint32_t)nfds < total) {
            uint8_t more[VBUF_FD_MORE_BYTES + 1];
            n = vbuf_fd_recv(s, more, sizeof more, tmp, VBUF_FD_FDS_PER_MESSAGE + 1, &got, &mflags);
            uint32_t left = total - (uint32_t)nfds;
            if (n != VBUF_FD_MORE_BYTES || (mflags & (MSG_TRUNC | MSG_CTRUNC)) || memcmp(more, "VBUF-MOR", 8) != 0
                || vbuf_fd_u32(more, 8) != (uint32_t)nfds || vbuf_fd_u32(more, 12) < 1 || vbuf_fd_u32(more, 12) > left
                || vbuf_fd_u32(more, 12) > VBUF_FD_FDS_PER_MESSAGE || (int)vbuf_fd_u32(more, 12) != got) {
                bad = "a malformed continuation (or none in time)";
            } else {
                memcpy(fds + nfds, tmp, (size_t)got * sizeof(int));
                nfds += got;
                got = 0;
            }
        }
    }
    vbuf_fd_close_all(tmp, got); /* descriptors of a refused message */
    close(s);
    if (!bad) {
        struct stat fs;
        int seals = fcntl(fds[0], F_GET_SEALS);
        if (fstat(fds[0], &fs) != 0 || !S_ISREG(fs.st_mode) || (uint64_t)fs.st_size != fd0_bytes) bad = "a descriptor 0 of another size than announced";
        else if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW)) bad = "a memfd not sealed against shrinking and growing";
        else bufs->seals = (uint32_t)seals;
    }
    void *m = MAP_FAILED;
    if (!bad) {
        m = mmap(NULL, (size_t)fd0_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
        if (m == MAP_FAILED) bad = "a memfd that cannot be mapped";
    }
    if (!bad && vbuf_validate((uint8_t *)m, fd0_bytes, path, p, err, errlen) != 0) {
        munmap(m, (size_t)fd0_bytes);
        vbuf_fd_close_all(fds, nfds);
        free(fds);
        return -1;
    }
    if (!bad && total > 1) {
        if (total - 1 != p->geo.slot_count || each < p->buffer_bytes) {
            bad = "DMA-BUFs that do not match the pool's buffers (count or size)";
        } else {
            bufs->maps = (uint8_t **)calloc(total - 1, sizeof(uint8_t *));
            if (!bufs->maps) bad = "no memory";
            for (uint32_t i = 0; !bad && i < total - 1; i++) {
                off_t size = lseek(fds[1 + i], 0, SEEK_END);
                void *b = size < (off_t)each ? MAP_FAILED
                        : mmap(NULL, (size_t)each, PROT_READ | PROT_WRITE, MAP_SHARED, fds[1 + i], 0);
                if (b == MAP_FAILED) { bad = "a DMA-BUF that is too small or cannot be mapped"; break; }
                bufs->maps[i] = (uint8_t *)b;
            }
        }
        if (bad) {
            for (uint32_t i = 0; bufs->maps && i < total - 1; i++) if (bufs->maps[i]) munmap(bufs->maps[i], (size_t)each);
            free(bufs->maps);
            bufs->maps = NULL;
            vbuf_detach(p);
            m = MAP_FAILED;
        }
    }
    if (bad) {
        if (m != MAP_FAILED) munmap(m, (size_t)fd0_bytes);
        vbuf_fd_close_all(fds, nfds);
        free(fds);
        vbuf_msg(err, errlen, "shared pool %s: its creator sent %s; refused, and every descriptor received was closed."
                 " Remove it ('vbuf shm rm NAME') and start the producer again", path, bad);
        return -1;
    }
    close(fds[0]); /* the mapping keeps the memory */
    bufs->kind = kind;
    bufs->count = total - 1;
    bufs->bytes = each;
    if (total > 1) {
        memmove(fds, fds + 1, (size_t)(total - 1) * sizeof(int));
        bufs->fds = fds;
    } else {
        free(fds);
    }
    return 0;
}

/* vbuf_attach for a /dev/shm file, vbuf_fd_attach for a socket: whichever `path` is. */
static inline int vbuf_attach_any(const char *path, int flags, struct vbuf_pool *p, struct vbuf_fd_buffers *bufs,
                                  char *err, size_t errlen) {
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) return vbuf_fd_attach(path, flags, p, bufs, err, errlen);
    memset(bufs, 0, sizeof *bufs);
    return vbuf_attach(path, flags, p, err, errlen);
}

/* A taken frame's bytes: its DMA-BUF's mapping in a DMA-BUF pool, else f->data (NULL if its metadata failed). */
static inline const uint8_t *vbuf_fd_frame_data(const struct vbuf_fd_buffers *bufs, const struct vbuf_frame *f) {
    if (bufs->count == 0 || f->data == NULL || f->slot >= bufs->count) return f->data;
    return bufs->maps[f->slot];
}

/* DMA_BUF_IOCTL_SYNC start (begin = 1) or end of CPU access to a DMA-BUF buffer; nothing for other pools. */
static inline int vbuf_fd_sync(const struct vbuf_fd_buffers *bufs, uint32_t slot, int access, int begin) {
    if (bufs->count == 0 || slot >= bufs->count) return 0;
    struct dma_buf_sync sync = { .flags = (uint64_t)access | (begin ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END) };
    int r;
    do { r = ioctl(bufs->fds[slot], DMA_BUF_IOCTL_SYNC, &sync); } while (r < 0 && (errno == EINTR || errno == EAGAIN));
    return r;
}

static inline void vbuf_fd_close(struct vbuf_fd_buffers *bufs) {
    for (uint32_t i = 0; i < bufs->count; i++) {
        if (bufs->maps) munmap(bufs->maps[i], (size_t)bufs->bytes);
        close(bufs->fds[i]);
    }
    free(bufs->maps);
    free(bufs->fds);
    memset(bufs, 0, sizeof *bufs);
}

#endif
