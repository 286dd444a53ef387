/*
 * gstvbuf.c - GStreamer elements over a vbuf shared pool, from the published header
 * include/vbuf_shm.h (and gstreamer/vbuf_produce.h for the producer side the header lacks).
 *
 *   vbufsrc pool=NAME [group=G]   attaches to /dev/shm/vbuf.NAME as a consumer of group G (by
 *       default the pool's only group, or its group 'consume', vbuf run --shared's remote group) and pushes each frame as a GstBuffer whose one GstMemory
 *       is the pool buffer itself (read-only): a share of the memfd's fd memory (memfd pools), of the
 *       slot's dmabuf memory (DMA-BUF pools), or memory wrapping the mapping (file pools); caps from
 *       the pool's format and size and a GstVideoMeta with the pool's plane offsets and strides. The
 *       frame is released when GStreamer frees that memory. End of stream on the pool is EOS downstream.
 *
 *   vbufsink pool=NAME   attaches to a pool that vbuf created, as a producer. In the allocation
 *       query it proposes a GstBufferPool whose buffers are free pool slots (with GstVideoMeta),
 *       so upstream (videotestsrc, a decoder) writes straight into pool frames; render publishes
 *       such a buffer in place. A buffer from elsewhere is copied into a free slot, and counted.
 *       EOS marks the end of stream on the pool (eos-marks-pool=false leaves it open).
 *
 * Build: scripts/build-gst (build/gst/libgstvbuf.so). Inspect:
 *   GST_PLUGIN_PATH=build/gst gst-inspect-1.0 vbufsrc
 */
#define _GNU_SOURCE
#include "vbuf_produce.h"
#include "vbuf_fd.h" /* a pool passed by descriptor (the default: a sealed memfd) as well as a /dev/shm file */

#include <gst/gst.h>
#include <gst/allocators/allocators.h>
#include <gst/base/gstbasesink.h>
#include <gst/base/gstpushsrc.h>
#include <gst/video/video.h>

#define PACKAGE "vbuf"
#define VBUF_CAPS "video/x-raw, format = (string) { NV12, NV21, I420, YV12, NV16, P010_10LE, YUY2, UYVY, RGB, BGR, RGBA, BGRA, ARGB, RGBA64_LE, GRAY8, GRAY16_LE, Y42B, Y444, I420_10LE, I422_10LE, Y444_10LE }, width = (int) [ 1, 16384 ], height = (int) [ 1, 16384 ], framerate = (fraction) [ 0, MAX ]"

GST_DEBUG_CATEGORY_STATIC(vbuf_debug);
#define GST_CAT_DEFAULT vbuf_debug

/* ============================================================================================
 * A pool shared by an element and the buffers it handed out (reference counted)
 * ============================================================================================ */
typedef struct {
    gint refs;
    struct vbuf_pool pool;
    struct vbuf_plane planes[3];
    guint n_planes;
    guint64 frame_bytes;
    GstVideoFormat gst_format;
    GMutex problem_lock;
    /* vbufsink: per slot, generation + 1 while a buffer pool of this sink holds the slot for upstream
       (taken, not yet published or aborted), else 0. Shared by every pool the sink proposed, so a
       buffer from a pool proposed before a renegotiation is still recognised as a pool frame. */
    guint64 *held;
    /* How vbufsrc hands out the memory (vbuf_shared_fd_memory). A file pool: GstMemory wrapping the
       mapping. A memfd pool: shares of one fd GstMemory over the whole memfd, so that elements that
       take fd memory (waylandsink's wl_shm, shmsink-like importers) get the descriptor and the offset.
       A DMA-BUF pool: shares of one dmabuf GstMemory per slot, for elements that import DMA-BUFs. */
    struct vbuf_fd_buffers fdbufs; /* a DMA-BUF pool's buffers (count 0 otherwise) */
    int memfd;                     /* a memfd pool's descriptor, asked of the creator again; -1 */
    GstAllocator *fd_alloc;        /* the fd or dmabuf allocator; NULL: wrapped mapping */
    GstMemory *pool_mem;           /* memfd pools: the whole memfd, kept mapped */
    GstMemory **slot_mem;          /* DMA-BUF pools: one per slot */
    const char *memory;            /* what the buffers are, for the summary and the 'memory' property */
} VbufShared;

static GstVideoFormat vbuf_to_gst(uint32_t id) {
    switch (id) {
    case VBUF_FMT_NV12: return GST_VIDEO_FORMAT_NV12;
    case VBUF_FMT_NV21: return GST_VIDEO_FORMAT_NV21;
    case VBUF_FMT_I420: return GST_VIDEO_FORMAT_I420;
    case VBUF_FMT_YV12: return GST_VIDEO_FORMAT_YV12;
    case VBUF_FMT_NV16: return GST_VIDEO_FORMAT_NV16;
    case VBUF_FMT_P010: return GST_VIDEO_FORMAT_P010_10LE;
    case VBUF_FMT_YUYV: return GST_VIDEO_FORMAT_YUY2;
    case VBUF_FMT_UYVY: return GST_VIDEO_FORMAT_UYVY;
    case VBUF_FMT_RGB24: return GST_VIDEO_FORMAT_RGB;
    case VBUF_FMT_BGR24: return GST_VIDEO_FORMAT_BGR;
    case VBUF_FMT_RGBA: return GST_VIDEO_FORMAT_RGBA;
    case VBUF_FMT_BGRA: return GST_VIDEO_FORMAT_BGRA;
    case VBUF_FMT_ARGB: return GST_VIDEO_FORMAT_ARGB;
    case VBUF_FMT_RGBA64: return GST_VIDEO_FORMAT_RGBA64_LE;
    case VBUF_FMT_GRAY8: return GST_VIDEO_FORMAT_GRAY8;
    case VBUF_FMT_GRAY16: return GST_VIDEO_FORMAT_GRAY16_LE;
    case VBUF_FMT_I422: return GST_VIDEO_FORMAT_Y42B;
    case VBUF_FMT_I444: return GST_VIDEO_FORMAT_Y444;
    case VBUF_FMT_I010: return GST_VIDEO_FORMAT_I420_10LE;
    case VBUF_FMT_I210: return GST_VIDEO_FORMAT_I422_10LE;
    case VBUF_FMT_I410: return GST_VIDEO_FORMAT_Y444_10LE;
    default: return GST_VIDEO_FORMAT_UNKNOWN;
    }
}

/* The names of a pool's groups, "'a', 'b'" (g_free it). */
static gchar *vbuf_group_list(const struct vbuf_pool *p) {
    GString *names = g_string_new(NULL);
    for (uint32_t i = 0; i < p->geo.group_count; i++) g_string_append_printf(names, "%s'%s'", i ? ", " : "", p->group_names[i]);
    return g_string_free(names, FALSE);
}

/* The inode of the file mapped at `base` in this process (/proc/self/maps), or 0. */
static guint64 vbuf_mapped_inode(const void *base) {
    FILE *m = fopen("/proc/self/maps", "re");
    if (!m) return 0;
    char line[512];
    guint64 inode = 0;
    while (fgets(line, sizeof line, m)) {
        unsigned long long start, end, off, ino;
        unsigned maj, min;
        char perms[8];
        if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &off, &maj, &min, &ino) == 7
                && start == (unsigned long long)(uintptr_t)base) {
            inode = ino;
            break;
        }
    }
    fclose(m);
    return inode;
}

/*
 * A memfd pool's descriptor. vbuf_fd_attach (include/vbuf_fd.h) closes descriptor 0 once it is
 * mapped, so this asks the creator once more over the pool's socket (the same request, the same
 * checks of the reply) and keeps the descriptor only if it is the memory already mapped and
 * validated (same inode and size). Returns the descriptor, or -1 with the reason in err.
 */
static int vbuf_memfd_again(const struct vbuf_pool *p, char *err, size_t errlen) {
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(p->path) >= sizeof sa.sun_path) { snprintf(err, errlen, "the socket path is too long"); return -1; }
    memcpy(sa.sun_path, p->path, strlen(p->path) + 1);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0) { snprintf(err, errlen, "socket: %s", strerror(errno)); return -1; }
    struct ucred cred;
    socklen_t cl = sizeof cred;
    uint8_t req[VBUF_FD_REQUEST_BYTES] = "VBUF-REQ";
    uint32_t version = VBUF_FD_VERSION;
    memcpy(req + 8, &version, 4);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0 || getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0
            || cred.uid != getuid() || send(s, req, sizeof req, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof req) {
        snprintf(err, errlen, "the creator did not take a second request (%s)", strerror(errno));
        close(s);
        return -1;
    }
    uint8_t msg[VBUF_FD_REPLY_BYTES + VBUF_FD_MAX_TEXT_BYTES + 1];
    int fds[2], got = 0, mflags = 0;
    ssize_t n = vbuf_fd_recv(s, msg, sizeof msg, fds, 2, &got, &mflags);
    close(s);
    const char *bad = NULL;
    if (n != VBUF_FD_REPLY_BYTES || (mflags & (MSG_TRUNC | MSG_CTRUNC)) || memcmp(msg, "VBUF-FDS", 8) != 0
            || vbuf_fd_u32(msg, 8) != VBUF_FD_VERSION || vbuf_fd_u32(msg, 12) != VBUF_FD_STATUS_OK) bad = "no valid reply";
    else if ((vbuf_fd_u32(msg, 16) != VBUF_FD_KIND_MEMFD && vbuf_fd_u32(msg, 16) != VBUF_FD_KIND_MEMFD_HUGETLB)
            || vbuf_fd_u32(msg, 20) != 1 || vbuf_fd_u32(msg, 24) != 1 || got != 1) bad = "a reply for another kind of pool";
    struct stat st;
    if (!bad && (fstat(fds[0], &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != p->file_bytes
            || vbuf_fd_u64(msg, 32) != p->file_bytes || (guint64)st.st_ino != vbuf_mapped_inode(p->base)))
        bad = "a descriptor that is not the memory mapped at attach";
    if (bad) {
        vbuf_fd_close_all(fds, got);
        snprintf(err, errlen, "the creator sent %s", bad);
        return -1;
    }
    return fds[0];
}

/*
 * vbufsrc: memory that carries the pool's descriptors when the pool has them (see VbufShared).
 * Nothing fails here: without them (a file pool, or the memfd not obtained, logged) the buffers
 * wrap the mapping.
 */
static void vbuf_shared_fd_memory(GstElement *el, VbufShared *sh) {
    struct vbuf_pool *p = &sh->pool;
    char err[256];
    sh->memory = "mapped";
    if (sh->fdbufs.count != 0) {
        sh->fd_alloc = gst_dmabuf_allocator_new();
        sh->slot_mem = g_new0(GstMemory *, sh->fdbufs.count);
        for (uint32_t i = 0; i < sh->fdbufs.count; i++) /* the descriptors stay ours: closed by vbuf_fd_close */
            sh->slot_mem[i] = gst_dmabuf_allocator_alloc_with_flags(sh->fd_alloc, sh->fdbufs.fds[i], sh->fdbufs.bytes,
                                                                     GST_FD_MEMORY_FLAG_DONT_CLOSE | GST_FD_MEMORY_FLAG_KEEP_MAPPED);
        sh->memory = "dmabuf";
    } else if (sh->fdbufs.kind == VBUF_FD_KIND_MEMFD || sh->fdbufs.kind == VBUF_FD_KIND_MEMFD_HUGETLB) {
        sh->memfd = vbuf_memfd_again(p, err, sizeof err);
        if (sh->memfd < 0) {
            GST_ELEMENT_WARNING(el, RESOURCE, OPEN_READ, ("vbuf pool '%s': its buffers go out as plain memory, not fd memory", p->path),
                                ("asking the creator for the pool's memfd again failed: %s", err));
            return;
        }
        sh->fd_alloc = gst_fd_allocator_new();
        sh->pool_mem = gst_fd_allocator_alloc(sh->fd_alloc, sh->memfd, p->file_bytes,
                                              GST_FD_MEMORY_FLAG_DONT_CLOSE | GST_FD_MEMORY_FLAG_KEEP_MAPPED);
        GstMapInfo mi; /* map once (read-only): every share maps through it and it stays mapped */
        if (!gst_memory_map(sh->pool_mem, &mi, GST_MAP_READ)) {
            GST_ELEMENT_WARNING(el, RESOURCE, OPEN_READ, ("vbuf pool '%s': its buffers go out as plain memory, not fd memory", p->path),
                                ("mapping the memfd failed"));
            gst_memory_unref(sh->pool_mem);
            sh->pool_mem = NULL;
            return;
        }
        gst_memory_unmap(sh->pool_mem, &mi);
        sh->memory = "fd";
    }
}

static void vbuf_shared_free(VbufShared *sh) {
    if (sh->slot_mem) for (uint32_t i = 0; i < sh->fdbufs.count; i++) if (sh->slot_mem[i]) gst_memory_unref(sh->slot_mem[i]);
    g_free(sh->slot_mem);
    if (sh->pool_mem) gst_memory_unref(sh->pool_mem); /* DONT_CLOSE: the descriptor is closed below */
    if (sh->fd_alloc) gst_object_unref(sh->fd_alloc);
    if (sh->memfd >= 0) close(sh->memfd);
    if (sh->fdbufs.count != 0) vbuf_fd_close(&sh->fdbufs);
    if (sh->pool.base) vbuf_detach(&sh->pool);
    g_mutex_clear(&sh->problem_lock);
    g_free(sh->held);
    g_free(sh);
}

/* Attaches and joins pool NAME; fd_memory: vbufsrc, which also takes DMA-BUF pools. NULL after an element error. */
static VbufShared *vbuf_shared_open(GstElement *el, const char *name, gboolean fd_memory) {
    if (name == NULL || *name == '\0' || strchr(name, '/') != NULL) {
        GST_ELEMENT_ERROR(el, RESOURCE, SETTINGS, ("no pool name"),
                          ("set pool=NAME to a shared pool's name (the file /dev/shm/vbuf.NAME; 'vbuf shm ls' lists them),"
                           " not a path; got '%s'", name ? name : "(none)"));
        return NULL;
    }
    VbufShared *sh = g_new0(VbufShared, 1);
    sh->refs = 1;
    sh->memfd = -1;
    g_mutex_init(&sh->problem_lock);
    char path[300], err[512];
    snprintf(path, sizeof path, "/dev/shm/" VBUF_SHM_PREFIX "%s", name);
    struct vbuf_pool *p = &sh->pool;
    if (vbuf_attach_any(path, 0, p, &sh->fdbufs, err, sizeof err) != 0) {
        GST_ELEMENT_ERROR(el, RESOURCE, OPEN_READ_WRITE, ("cannot attach to vbuf pool '%s'", name), ("%s", err));
        p->base = NULL;
        goto fail;
    }
    const struct vbuf_format_info *fi = vbuf_format_info(p->format);
    if (sh->fdbufs.count != 0 && !fd_memory) { /* buffers that are DMA-BUFs of their own, not in the pool mapping */
        GST_ELEMENT_ERROR(el, RESOURCE, SETTINGS, ("vbuf pool '%s' keeps its buffers in DMA-BUFs", name),
                          ("vbufsink writes buffers inside the pool's mapping; create the pool with --memory memfd or"
                           " --memory file (it has %u DMA-BUF buffers); vbufsrc reads such a pool", sh->fdbufs.count));
    } else if (p->format == 0 || p->width == 0 || p->height == 0 || fi == NULL) {
        GST_ELEMENT_ERROR(el, RESOURCE, SETTINGS, ("vbuf pool '%s' has no frame layout", name),
                          ("its buffers are %llu bytes of no known format; create it with a format and size"
                           " (PoolBuilder.layout, or 'vbuf run --shared NAME --size WxH --format F')",
                           (unsigned long long)p->buffer_bytes));
    } else if ((sh->frame_bytes = vbuf_layout(p->format, p->width, p->height, p->stride_align, sh->planes)) > p->buffer_bytes
            || (sh->fdbufs.count != 0 && sh->frame_bytes > sh->fdbufs.bytes)) {
        GST_ELEMENT_ERROR(el, RESOURCE, SETTINGS, ("vbuf pool '%s' is inconsistent", name),
                          ("its %s %ux%u frames need %llu bytes, its buffers hold %llu", fi->name, p->width, p->height,
                           (unsigned long long)sh->frame_bytes, (unsigned long long)p->buffer_bytes));
    } else if (vbuf_to_gst(p->format) == GST_VIDEO_FORMAT_UNKNOWN) {
        GST_ELEMENT_ERROR(el, RESOURCE, SETTINGS, ("vbuf pool '%s' holds %s frames, which these elements do not map to a"
                          " GStreamer format", name, fi->name), ("create the pool with one of the formats in the pad caps"
                          " ('gst-inspect-1.0 vbufsrc')"));
    } else if (vbuf_register(p, err, sizeof err) != 0) {
        GST_ELEMENT_ERROR(el, RESOURCE, OPEN_READ_WRITE, ("cannot join vbuf pool '%s'", name), ("%s", err));
    } else {
        sh->gst_format = vbuf_to_gst(p->format);
        sh->n_planes = fi->plane_count;
        sh->held = g_new0(guint64, p->geo.slot_count);
        sh->memory = "mapped";
        if (fd_memory) vbuf_shared_fd_memory(el, sh);
        return sh;
    }
fail:
    vbuf_shared_free(sh);
    return NULL;
}

static VbufShared *vbuf_shared_ref(VbufShared *sh) {
    g_atomic_int_inc(&sh->refs);
    return sh;
}

static void vbuf_shared_unref(VbufShared *sh) {
    if (sh && g_atomic_int_dec_and_test(&sh->refs)) {
        for (uint32_t i = 0; sh->held && i < sh->pool.geo.slot_count; i++) { /* slots taken for upstream, never rendered */
            if (sh->held[i] != 0) {
                struct vbuf_wframe wf = {.slot = i, .gen = sh->held[i] - 1};
                vbuf_abort(&sh->pool, &wf);
            }
        }
        vbuf_deregister(&sh->pool);
        vbuf_shared_free(sh);
    }
}

static GstCaps *vbuf_shared_caps(VbufShared *sh) {
    GstVideoInfo info;
    gst_video_info_set_format(&info, sh->gst_format, sh->pool.width, sh->pool.height);
    GstCaps *caps = gst_video_info_to_caps(&info);
    /* the pool does not record a rate: any */
    gst_caps_set_simple(caps, "framerate", GST_TYPE_FRACTION_RANGE, 0, 1, G_MAXINT, 1, NULL);
    return caps;
}

/* What a sink takes: the pool's format and size, any colorimetry, rate and aspect (a decoder's full-range
   JPEG colorimetry is still the same bytes). */
static GstCaps *vbuf_shared_sink_caps(VbufShared *sh) {
    return gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, gst_video_format_to_string(sh->gst_format),
                               "width", G_TYPE_INT, (gint)sh->pool.width, "height", G_TYPE_INT, (gint)sh->pool.height, NULL);
}

static void vbuf_add_meta(VbufShared *sh, GstBuffer *buf) {
    gsize offsets[GST_VIDEO_MAX_PLANES] = {0};
    gint strides[GST_VIDEO_MAX_PLANES] = {0};
    for (guint i = 0; i < sh->n_planes; i++) {
        offsets[i] = sh->planes[i].offset;
        strides[i] = (gint)sh->planes[i].stride;
    }
    gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE, sh->gst_format, sh->pool.width, sh->pool.height,
                                   sh->n_planes, offsets, strides);
}

/* ============================================================================================
 * vbufsrc
 * ============================================================================================ */
typedef struct {
    GstPushSrc parent;
    gchar *pool_name, *group_name;
    VbufShared *sh;
    int group;
    volatile sig_atomic_t stop;
    guint64 frames;
} GstVbufSrc;
typedef struct { GstPushSrcClass parent_class; } GstVbufSrcClass;

G_DEFINE_TYPE(GstVbufSrc, gst_vbuf_src, GST_TYPE_PUSH_SRC)

enum { SRC_PROP_0, SRC_PROP_POOL, SRC_PROP_GROUP, SRC_PROP_FRAMES, SRC_PROP_MEMORY };

typedef struct {
    VbufShared *sh;
    struct vbuf_frame f;
} VbufHeld;

static void vbuf_held_release(gpointer data) {
    VbufHeld *h = data;
    int r = vbuf_release(&h->sh->pool, &h->f);
    if (r == VBUF_STALE) GST_WARNING("frame %u of pool %s was recovered by a peer before GStreamer let it go", h->f.slot, h->sh->pool.path);
    else if (r < 0) GST_ERROR("releasing frame %u of pool %s: %s", h->f.slot, h->sh->pool.path, h->sh->pool.problem);
    vbuf_shared_unref(h->sh);
    g_free(h);
}

static GQuark vbuf_held_quark(void) {
    static GQuark q;
    if (q == 0) q = g_quark_from_static_string("vbuf-held-frame"); /* thread-safe; a race stores the same value */
    return q;
}

static gboolean vbuf_src_start(GstBaseSrc *bs) {
    GstVbufSrc *s = (GstVbufSrc *)bs;
    s->sh = vbuf_shared_open(GST_ELEMENT(bs), s->pool_name, TRUE);
    if (!s->sh) return FALSE;
    struct vbuf_pool *p = &s->sh->pool;
    gboolean named = s->group_name && *s->group_name;
    s->group = named ? vbuf_group_index(p, s->group_name) : p->geo.group_count == 1 ? 0 : vbuf_group_index(p, "consume");
    if (s->group < 0) {
        /* several groups and none named as vbuf run names its remote group: reading one of them would take
           frames from that group's own consumers, so the user says which */
        gchar *names = vbuf_group_list(p);
        if (named)
            GST_ELEMENT_ERROR(bs, RESOURCE, SETTINGS, ("vbuf pool '%s' has no group '%s'", s->pool_name, s->group_name),
                              ("its groups are %s; set group= to one of them", names));
        else
            GST_ELEMENT_ERROR(bs, RESOURCE, SETTINGS, ("which group of vbuf pool '%s' should vbufsrc read?", s->pool_name),
                              ("the pool has %u groups (%s) and none is named 'consume'; set group= to the one this pipeline reads",
                               p->geo.group_count, names));
        g_free(names);
        vbuf_shared_unref(s->sh);
        s->sh = NULL;
        return FALSE;
    }
    s->stop = 0;
    s->frames = 0;
    return TRUE;
}

static gboolean vbuf_src_stop(GstBaseSrc *bs) {
    GstVbufSrc *s = (GstVbufSrc *)bs;
    if (s->sh) g_print("vbufsrc: pool %s: %" G_GUINT64_FORMAT " frames as %s memory\n", s->pool_name, s->frames, s->sh->memory);
    vbuf_shared_unref(s->sh); /* buffers still downstream keep the pool mapped */
    s->sh = NULL;
    return TRUE;
}

static GstCaps *vbuf_src_get_caps(GstBaseSrc *bs, GstCaps *filter) {
    GstVbufSrc *s = (GstVbufSrc *)bs;
    GstCaps *caps = s->sh ? vbuf_shared_caps(s->sh) : gst_pad_get_pad_template_caps(GST_BASE_SRC_PAD(bs));
    if (filter) {
        GstCaps *c = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref(caps);
        caps = c;
    }
    return caps;
}

static gboolean vbuf_src_unlock(GstBaseSrc *bs) {
    ((GstVbufSrc *)bs)->stop = 1;
    return TRUE;
}

static gboolean vbuf_src_unlock_stop(GstBaseSrc *bs) {
    ((GstVbufSrc *)bs)->stop = 0;
    return TRUE;
}

static GstFlowReturn vbuf_src_create(GstPushSrc *ps, GstBuffer **out) {
    GstVbufSrc *s = (GstVbufSrc *)ps;
    VbufShared *sh = s->sh;
    struct vbuf_frame f;
    for (;;) {
        int r = vbuf_acquire_filled(&sh->pool, (uint32_t)s->group, 100 * 1000000LL, &s->stop, &f);
        if (r == VBUF_TIMEDOUT) continue;
        if (r == VBUF_END) return GST_FLOW_EOS;
        if (r == VBUF_STOPPED) return GST_FLOW_FLUSHING;
        if (r != VBUF_OK) {
            GST_ELEMENT_ERROR(s, RESOURCE, READ, ("taking a frame from vbuf pool '%s' failed", s->pool_name),
                              ("%s", r == VBUF_ECORRUPT || r == VBUF_EROLE ? sh->pool.problem : "the process is not registered in the pool"));
            return GST_FLOW_ERROR;
        }
        if ((f.flags & VBUF_FLAG_END_OF_STREAM) != 0) {
            vbuf_release(&sh->pool, &f);
            return GST_FLOW_EOS;
        }
        if (f.data != NULL && sh->fdbufs.count != 0) f.data = vbuf_fd_frame_data(&sh->fdbufs, &f); /* its DMA-BUF's mapping */
        if (f.data == NULL) {
            vbuf_release(&sh->pool, &f);
            GST_ELEMENT_ERROR(s, STREAM, FAILED, ("frame %lld of vbuf pool '%s' is damaged", (long long)f.sequence, s->pool_name),
                              ("%s", f.problem));
            return GST_FLOW_ERROR;
        }
        break;
    }
    VbufHeld *h = g_new(VbufHeld, 1);
    h->sh = vbuf_shared_ref(sh);
    h->f = f;
    GstMemory *mem;
    if (sh->slot_mem) { /* a share of the slot's dmabuf memory (read-only); the frame goes when the share does */
        mem = gst_memory_share(sh->slot_mem[f.slot], 0, (gssize)sh->frame_bytes);
    } else if (sh->pool_mem) { /* a share of the memfd's fd memory at the slot's offset */
        mem = gst_memory_share(sh->pool_mem, (gssize)(f.data - sh->pool.base), (gssize)sh->frame_bytes);
    } else {
        mem = gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, (gpointer)f.data, sh->pool.buffer_bytes, 0, sh->frame_bytes, h,
                                     vbuf_held_release);
        h = NULL;
    }
    if (h) gst_mini_object_set_qdata(GST_MINI_OBJECT(mem), vbuf_held_quark(), h, vbuf_held_release);
    GstBuffer *buf = gst_buffer_new();
    gst_buffer_append_memory(buf, mem);
    vbuf_add_meta(sh, buf);
    GST_BUFFER_OFFSET(buf) = (guint64)f.sequence;
    GST_BUFFER_OFFSET_END(buf) = (guint64)f.sequence + 1;
    if ((f.flags & VBUF_FLAG_CORRUPT) != 0) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_CORRUPTED);
    s->frames++;
    *out = buf;
    return GST_FLOW_OK;
}

static void vbuf_src_set_property(GObject *o, guint id, const GValue *v, GParamSpec *ps) {
    GstVbufSrc *s = (GstVbufSrc *)o;
    switch (id) {
    case SRC_PROP_POOL: g_free(s->pool_name); s->pool_name = g_value_dup_string(v); break;
    case SRC_PROP_GROUP: g_free(s->group_name); s->group_name = g_value_dup_string(v); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
    }
}

static void vbuf_src_get_property(GObject *o, guint id, GValue *v, GParamSpec *ps) {
    GstVbufSrc *s = (GstVbufSrc *)o;
    switch (id) {
    case SRC_PROP_POOL: g_value_set_string(v, s->pool_name); break;
    case SRC_PROP_GROUP: g_value_set_string(v, s->group_name); break;
    case SRC_PROP_FRAMES: g_value_set_uint64(v, s->frames); break;
    case SRC_PROP_MEMORY: g_value_set_string(v, s->sh ? s->sh->memory : NULL); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
    }
}

static void vbuf_src_finalize(GObject *o) {
    GstVbufSrc *s = (GstVbufSrc *)o;
    g_free(s->pool_name);
    g_free(s->group_name);
    G_OBJECT_CLASS(gst_vbuf_src_parent_class)->finalize(o);
}

static void gst_vbuf_src_class_init(GstVbufSrcClass *k) {
    GObjectClass *oc = G_OBJECT_CLASS(k);
    GstElementClass *ec = GST_ELEMENT_CLASS(k);
    GstBaseSrcClass *bc = GST_BASE_SRC_CLASS(k);
    oc->set_property = vbuf_src_set_property;
    oc->get_property = vbuf_src_get_property;
    oc->finalize = vbuf_src_finalize;
    g_object_class_install_property(oc, SRC_PROP_POOL, g_param_spec_string("pool", "Pool",
            "Name of the vbuf shared pool (the file /dev/shm/vbuf.NAME)", NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(oc, SRC_PROP_GROUP, g_param_spec_string("group", "Group",
            "Consumer group to read as (default: the only group, or the group named 'consume', as vbuf run --shared names its remote group)", NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(oc, SRC_PROP_FRAMES, g_param_spec_uint64("frames", "Frames",
            "Frames pushed", 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(oc, SRC_PROP_MEMORY, g_param_spec_string("memory", "Memory",
            "What the buffers' memory is: 'dmabuf' (a DMA-BUF pool: one dmabuf GstMemory per buffer), 'fd' (a memfd pool:"
            " fd GstMemory at the buffer's offset) or 'mapped' (a /dev/shm file pool)", NULL,
            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
    gst_element_class_set_static_metadata(ec, "vbuf pool source", "Source/Video",
            "Pushes the frames of a vbuf shared pool without a copy: each buffer is a pool buffer, released when GStreamer drops it",
            "vbuf");
    gst_element_class_add_static_pad_template(ec, &(GstStaticPadTemplate)GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC,
            GST_PAD_ALWAYS, GST_STATIC_CAPS(VBUF_CAPS)));
    bc->start = vbuf_src_start;
    bc->stop = vbuf_src_stop;
    bc->get_caps = vbuf_src_get_caps;
    bc->unlock = vbuf_src_unlock;
    bc->unlock_stop = vbuf_src_unlock_stop;
    GST_PUSH_SRC_CLASS(k)->create = vbuf_src_create;
}

static void gst_vbuf_src_init(GstVbufSrc *s) {
    gst_base_src_set_format(GST_BASE_SRC(s), GST_FORMAT_TIME);
    s->group = 0;
}

/* ============================================================================================
 * The buffer pool vbufsink proposes: every buffer is a free slot of the vbuf pool
 * ============================================================================================ */
typedef struct {
    GstBufferPool parent;
    VbufShared *sh;
    gint64 timeout_ns;
    volatile sig_atomic_t stop;
} GstVbufBufferPool;
typedef struct { GstBufferPoolClass parent_class; } GstVbufBufferPoolClass;

G_DEFINE_TYPE(GstVbufBufferPool, gst_vbuf_buffer_pool, GST_TYPE_BUFFER_POOL)

static const gchar **vbuf_pool_get_options(GstBufferPool *bp) {
    (void)bp;
    static const gchar *options[] = {GST_BUFFER_POOL_OPTION_VIDEO_META, NULL};
    return options;
}

static gboolean vbuf_pool_set_config(GstBufferPool *bp, GstStructure *config) {
    GstVbufBufferPool *vp = (GstVbufBufferPool *)bp;
    GstCaps *caps;
    guint size, min, max;
    if (!gst_buffer_pool_config_get_params(config, &caps, &size, &min, &max)) return FALSE;
    if (size > vp->sh->pool.buffer_bytes) {
        GST_WARNING_OBJECT(bp, "upstream asks for %u-byte buffers, the pool's hold %llu", size,
                           (unsigned long long)vp->sh->pool.buffer_bytes);
        return FALSE;
    }
    /* no preallocation: a buffer is a slot taken when upstream asks for it */
    gst_buffer_pool_config_set_params(config, caps, (guint)vp->sh->frame_bytes, 0, 0);
    return GST_BUFFER_POOL_CLASS(gst_vbuf_buffer_pool_parent_class)->set_config(bp, config);
}

static int vbuf_slot_of(VbufShared *sh, const guint8 *ptr) {
    const struct vbuf_pool *p = &sh->pool;
    const guint8 *first = p->base + p->data_offset;
    if (ptr < first) return -1;
    guint64 off = (guint64)(ptr - first);
    if (off % p->buffer_stride != 0) return -1;
    guint64 s = off / p->buffer_stride;
    return s < p->geo.slot_count ? (int)s : -1;
}

static GQuark vbuf_gen_quark(void) {
    static GQuark q;
    if (q == 0) q = g_quark_from_static_string("vbuf-slot-generation"); /* thread-safe; a race stores the same value */
    return q;
}

/* The slot generation + 1 a buffer of vbufsink's pool was made for (0: not one of its buffers). */
static guint64 vbuf_buffer_gen1(GstBuffer *buf) {
    return (guint64)(guintptr)gst_mini_object_get_qdata(GST_MINI_OBJECT(buf), vbuf_gen_quark());
}

/* Takes slot s out of the held table if it is still held for use gen1 (generation + 1): true when it was. */
static gboolean vbuf_unhold_gen(VbufShared *sh, int s, guint64 gen1) {
    return gen1 != 0 && g_atomic_pointer_compare_and_exchange((gpointer *)&sh->held[s], (gpointer)(guintptr)gen1, NULL);
}

/* Why vbuf_acquire_free gave no frame (r: VBUF_TIMEDOUT, VBUF_ECORRUPT, VBUF_EROLE or VBUF_EINVAL), for the buffer pool and the sink alike. */
static const char *vbuf_free_failure(VbufShared *sh, int r) {
    return r == VBUF_TIMEDOUT ? "none was released within timeout-ms: its consumer groups do not read (start a consumer for"
                                " every group, or raise vbufsink's timeout-ms)"
         : r == VBUF_ECORRUPT || r == VBUF_EROLE ? sh->pool.problem : "this process is not registered in the pool";
}

static GstFlowReturn vbuf_pool_acquire(GstBufferPool *bp, GstBuffer **out, GstBufferPoolAcquireParams *params) {
    (void)params;
    GstVbufBufferPool *vp = (GstVbufBufferPool *)bp;
    VbufShared *sh = vp->sh;
    struct vbuf_wframe wf;
    int r = vbuf_acquire_free(&sh->pool, vp->timeout_ns, &vp->stop, &wf);
    if (r == VBUF_STOPPED) return GST_FLOW_FLUSHING;
    if (r != VBUF_OK) {
        GST_ERROR_OBJECT(bp, "no free frame in vbuf pool %s: %s", sh->pool.path, vbuf_free_failure(sh, r));
        return GST_FLOW_ERROR;
    }
    g_atomic_pointer_set((gpointer *)&sh->held[wf.slot], (gpointer)(guintptr)(wf.gen + 1));
    GstBuffer *buf = gst_buffer_new();
    /* the buffer remembers which use of the slot it is: an old buffer of the slot, unreffed after
     * the slot was published, freed and taken again, must not give back the new use */
    gst_mini_object_set_qdata(GST_MINI_OBJECT(buf), vbuf_gen_quark(), (gpointer)(guintptr)(wf.gen + 1), NULL);
    gst_buffer_append_memory(buf, gst_memory_new_wrapped(0, wf.data, sh->pool.buffer_bytes, 0, sh->frame_bytes, NULL, NULL));
    vbuf_add_meta(sh, buf);
    *out = buf;
    return GST_FLOW_OK;
}

/* Gives back a slot held for upstream (a buffer dropped without being rendered). */
static void vbuf_pool_abort_slot(GstVbufBufferPool *vp, int s, guint64 gen1) {
    if (!vbuf_unhold_gen(vp->sh, s, gen1)) return; /* published already, or the slot is in a later use */
    struct vbuf_wframe wf = {.slot = (uint32_t)s, .gen = gen1 - 1};
    vbuf_abort(&vp->sh->pool, &wf);
}

static void vbuf_pool_release(GstBufferPool *bp, GstBuffer *buf) {
    GstVbufBufferPool *vp = (GstVbufBufferPool *)bp;
    GstMemory *m = gst_buffer_n_memory(buf) > 0 ? gst_buffer_peek_memory(buf, 0) : NULL;
    GstMapInfo mi;
    if (m && gst_memory_map(m, &mi, GST_MAP_READ)) {
        int s = vbuf_slot_of(vp->sh, mi.data - m->offset);
        gst_memory_unmap(m, &mi);
        if (s >= 0) vbuf_pool_abort_slot(vp, s, vbuf_buffer_gen1(buf));
    }
    /* never reused: the next acquire takes whichever slot is free then */
    GST_BUFFER_POOL_CLASS(gst_vbuf_buffer_pool_parent_class)->free_buffer(bp, buf);
}

static void vbuf_pool_flush_start(GstBufferPool *bp) { ((GstVbufBufferPool *)bp)->stop = 1; }
static void vbuf_pool_flush_stop(GstBufferPool *bp) { ((GstVbufBufferPool *)bp)->stop = 0; }

static void vbuf_pool_finalize(GObject *o) {
    GstVbufBufferPool *vp = (GstVbufBufferPool *)o;
    if (vp->sh) vbuf_shared_unref(vp->sh); /* slots still held are aborted when their buffers go, or at sink stop */
    G_OBJECT_CLASS(gst_vbuf_buffer_pool_parent_class)->finalize(o);
}

static void gst_vbuf_buffer_pool_class_init(GstVbufBufferPoolClass *k) {
    GstBufferPoolClass *bc = GST_BUFFER_POOL_CLASS(k);
    G_OBJECT_CLASS(k)->finalize = vbuf_pool_finalize;
    bc->get_options = vbuf_pool_get_options;
    bc->set_config = vbuf_pool_set_config;
    bc->acquire_buffer = vbuf_pool_acquire;
    bc->release_buffer = vbuf_pool_release;
    bc->flush_start = vbuf_pool_flush_start;
    bc->flush_stop = vbuf_pool_flush_stop;
}

static void gst_vbuf_buffer_pool_init(GstVbufBufferPool *vp) { (void)vp; }

static GstBufferPool *vbuf_buffer_pool_new(VbufShared *sh, gint64 timeout_ns) {
    GstVbufBufferPool *vp = g_object_new(gst_vbuf_buffer_pool_get_type(), NULL);
    gst_object_ref_sink(vp);
    vp->sh = vbuf_shared_ref(sh);
    vp->timeout_ns = timeout_ns;
    return GST_BUFFER_POOL(vp);
}

/* ============================================================================================
 * vbufsink
 * ============================================================================================ */
typedef struct {
    GstBaseSink parent;
    gchar *pool_name;
    gint timeout_ms;
    gboolean eos_marks_pool;
    VbufShared *sh;
    GstBufferPool *bpool;       /* the last pool proposed upstream */
    GstVideoInfo info;
    volatile sig_atomic_t stop;
    guint64 frames, in_place, copies;
} GstVbufSink;
typedef struct { GstBaseSinkClass parent_class; } GstVbufSinkClass;

G_DEFINE_TYPE(GstVbufSink, gst_vbuf_sink, GST_TYPE_BASE_SINK)

enum { SINK_PROP_0, SINK_PROP_POOL, SINK_PROP_TIMEOUT, SINK_PROP_EOS, SINK_PROP_FRAMES, SINK_PROP_IN_PLACE, SINK_PROP_COPIES };

static gboolean vbuf_sink_start(GstBaseSink *bs) {
    GstVbufSink *s = (GstVbufSink *)bs;
    s->sh = vbuf_shared_open(GST_ELEMENT(bs), s->pool_name, FALSE);
    if (!s->sh) return FALSE;
    s->frames = s->in_place = s->copies = 0;
    s->stop = 0;
    return TRUE;
}

static gboolean vbuf_sink_stop(GstBaseSink *bs) {
    GstVbufSink *s = (GstVbufSink *)bs;
    if (s->sh) {
        g_print("vbufsink: pool %s: %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT " written in place, %" G_GUINT64_FORMAT
                " copied\n", s->pool_name, s->frames, s->in_place, s->copies);
    }
    if (s->bpool) {
        gst_object_unref(s->bpool);
        s->bpool = NULL;
    }
    vbuf_shared_unref(s->sh);
    s->sh = NULL;
    return TRUE;
}

static GstCaps *vbuf_sink_get_caps(GstBaseSink *bs, GstCaps *filter) {
    GstVbufSink *s = (GstVbufSink *)bs;
    GstCaps *caps = s->sh ? vbuf_shared_sink_caps(s->sh) : gst_pad_get_pad_template_caps(GST_BASE_SINK_PAD(bs));
    if (filter) {
        GstCaps *c = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref(caps);
        caps = c;
    }
    return caps;
}

static gboolean vbuf_sink_set_caps(GstBaseSink *bs, GstCaps *caps) {
    GstVbufSink *s = (GstVbufSink *)bs;
    if (!gst_video_info_from_caps(&s->info, caps)) return FALSE;
    struct vbuf_pool *p = &s->sh->pool;
    if (GST_VIDEO_INFO_FORMAT(&s->info) != s->sh->gst_format || GST_VIDEO_INFO_WIDTH(&s->info) != (gint)p->width
            || GST_VIDEO_INFO_HEIGHT(&s->info) != (gint)p->height) {
        GST_ELEMENT_ERROR(bs, CORE, NEGOTIATION, ("caps do not match vbuf pool '%s'", s->pool_name),
                          ("upstream gives %s %dx%d, the pool holds %s %ux%u frames; put videoconvert and videoscale before"
                           " vbufsink, or create the pool with the stream's format and size",
                           gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&s->info)), GST_VIDEO_INFO_WIDTH(&s->info),
                           GST_VIDEO_INFO_HEIGHT(&s->info), gst_video_format_to_string(s->sh->gst_format), p->width, p->height));
        return FALSE;
    }
    return TRUE;
}

static gboolean vbuf_sink_propose_allocation(GstBaseSink *bs, GstQuery *query) {
    GstVbufSink *s = (GstVbufSink *)bs;
    GstCaps *caps;
    gboolean need_pool;
    gst_query_parse_allocation(query, &caps, &need_pool);
    if (!s->sh) return FALSE;
    gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
    if (need_pool) {
        GstBufferPool *bp = vbuf_buffer_pool_new(s->sh, (gint64)s->timeout_ms * 1000000LL);
        GstStructure *config = gst_buffer_pool_get_config(bp);
        gst_buffer_pool_config_set_params(config, caps, (guint)s->sh->frame_bytes, 0, 0);
        gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
        if (!gst_buffer_pool_set_config(bp, config)) {
            gst_object_unref(bp);
            return FALSE;
        }
        gst_query_add_allocation_pool(query, bp, (guint)s->sh->frame_bytes, 0, 0);
        if (s->bpool) gst_object_unref(s->bpool);
        s->bpool = bp;
    }
    return TRUE;
}

/* Copies a foreign buffer into a free slot, plane by plane (counted). */
static GstFlowReturn vbuf_sink_copy(GstVbufSink *s, GstBuffer *buf, struct vbuf_wframe *wf) {
    VbufShared *sh = s->sh;
    int r = vbuf_acquire_free(&sh->pool, (gint64)s->timeout_ms * 1000000LL, &s->stop, wf);
    if (r == VBUF_STOPPED) return GST_FLOW_FLUSHING;
    if (r != VBUF_OK) {
        GST_ELEMENT_ERROR(s, RESOURCE, WRITE, ("no free frame in vbuf pool '%s'", s->pool_name), ("%s", vbuf_free_failure(sh, r)));
        return GST_FLOW_ERROR;
    }
    GstVideoFrame in;
    if (!gst_video_frame_map(&in, &s->info, buf, GST_MAP_READ)) {
        vbuf_abort(&sh->pool, wf);
        GST_ELEMENT_ERROR(s, STREAM, FAILED, ("cannot map an incoming buffer"), (NULL));
        return GST_FLOW_ERROR;
    }
    for (guint p = 0; p < sh->n_planes; p++) {
        const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA(&in, p);
        gint ss = GST_VIDEO_FRAME_PLANE_STRIDE(&in, p);
        guint8 *dst = wf->data + sh->planes[p].offset;
        for (guint64 row = 0; row < sh->planes[p].rows; row++)
            memcpy(dst + row * sh->planes[p].stride, src + (gint64)row * ss, sh->planes[p].row_bytes);
    }
    gst_video_frame_unmap(&in);
    s->copies++;
    return GST_FLOW_OK;
}

static GstFlowReturn vbuf_sink_render(GstBaseSink *bs, GstBuffer *buf) {
    GstVbufSink *s = (GstVbufSink *)bs;
    VbufShared *sh = s->sh;
    struct vbuf_wframe wf;
    gboolean ours = FALSE;
    if (gst_buffer_n_memory(buf) == 1) {
        GstMemory *m = gst_buffer_peek_memory(buf, 0);
        GstMapInfo mi;
        if (gst_memory_map(m, &mi, GST_MAP_READ)) {
            int slot = vbuf_slot_of(sh, mi.data - m->offset);
            gst_memory_unmap(m, &mi);
            guint64 gen1 = vbuf_buffer_gen1(buf);
            if (slot >= 0 && vbuf_unhold_gen(sh, slot, gen1)) {
                wf.slot = (uint32_t)slot;
                wf.gen = gen1 - 1;
                wf.data = sh->pool.base + sh->pool.data_offset + (uint64_t)slot * sh->pool.buffer_stride;
                ours = TRUE;
            }
        }
    }
    if (ours) {
        s->in_place++;
    } else {
        GstFlowReturn fr = vbuf_sink_copy(s, buf, &wf);
        if (fr != GST_FLOW_OK) return fr;
    }
    int r = vbuf_publish(&sh->pool, &wf, (int64_t)s->frames, 0, GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT) ? 0 : VBUF_FLAG_KEY_FRAME);
    if (r != VBUF_OK) {
        GST_ELEMENT_ERROR(s, RESOURCE, WRITE, ("publishing a frame to vbuf pool '%s' failed", s->pool_name),
                          ("%s", r == VBUF_ECORRUPT ? sh->pool.problem : "the slot was taken back by a peer (this process was judged dead?)"));
        return GST_FLOW_ERROR;
    }
    s->frames++;
    return GST_FLOW_OK;
}

static gboolean vbuf_sink_event(GstBaseSink *bs, GstEvent *ev) {
    GstVbufSink *s = (GstVbufSink *)bs;
    if (GST_EVENT_TYPE(ev) == GST_EVENT_EOS && s->sh && s->eos_marks_pool) vbuf_mark_end_of_stream(&s->sh->pool);
    return GST_BASE_SINK_CLASS(gst_vbuf_sink_parent_class)->event(bs, ev);
}

static gboolean vbuf_sink_unlock(GstBaseSink *bs) {
    GstVbufSink *s = (GstVbufSink *)bs;
    s->stop = 1;
    return TRUE;
}

static gboolean vbuf_sink_unlock_stop(GstBaseSink *bs) {
    ((GstVbufSink *)bs)->stop = 0;
    return TRUE;
}

static void vbuf_sink_set_property(GObject *o, guint id, const GValue *v, GParamSpec *ps) {
    GstVbufSink *s = (GstVbufSink *)o;
    switch (id) {
    case SINK_PROP_POOL: g_free(s->pool_name); s->pool_name = g_value_dup_string(v); break;
    case SINK_PROP_TIMEOUT: s->timeout_ms = g_value_get_int(v); break;
    case SINK_PROP_EOS: s->eos_marks_pool = g_value_get_boolean(v); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
    }
}

static void vbuf_sink_get_property(GObject *o, guint id, GValue *v, GParamSpec *ps) {
    GstVbufSink *s = (GstVbufSink *)o;
    switch (id) {
    case SINK_PROP_POOL: g_value_set_string(v, s->pool_name); break;
    case SINK_PROP_TIMEOUT: g_value_set_int(v, s->timeout_ms); break;
    case SINK_PROP_EOS: g_value_set_boolean(v, s->eos_marks_pool); break;
    case SINK_PROP_FRAMES: g_value_set_uint64(v, s->frames); break;
    case SINK_PROP_IN_PLACE: g_value_set_uint64(v, s->in_place); break;
    case SINK_PROP_COPIES: g_value_set_uint64(v, s->copies); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
    }
}

static void vbuf_sink_finalize(GObject *o) {
    g_free(((GstVbufSink *)o)->pool_name);
    G_OBJECT_CLASS(gst_vbuf_sink_parent_class)->finalize(o);
}

static void gst_vbuf_sink_class_init(GstVbufSinkClass *k) {
    GObjectClass *oc = G_OBJECT_CLASS(k);
    GstElementClass *ec = GST_ELEMENT_CLASS(k);
    GstBaseSinkClass *bc = GST_BASE_SINK_CLASS(k);
    oc->set_property = vbuf_sink_set_property;
    oc->get_property = vbuf_sink_get_property;
    oc->finalize = vbuf_sink_finalize;
    g_object_class_install_property(oc, SINK_PROP_POOL, g_param_spec_string("pool", "Pool",
            "Name of the vbuf shared pool to produce into (the file /dev/shm/vbuf.NAME, created by vbuf)", NULL,
            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(oc, SINK_PROP_TIMEOUT, g_param_spec_int("timeout-ms", "Timeout",
            "Longest wait for a free frame before failing, in ms (-1: no limit)", -1, G_MAXINT, 10000,
            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(oc, SINK_PROP_EOS, g_param_spec_boolean("eos-marks-pool", "EOS marks the pool",
            "At EOS, mark the end of stream on the pool (its consumers drain it and stop)", TRUE,
            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(oc, SINK_PROP_FRAMES, g_param_spec_uint64("frames", "Frames",
            "Frames published", 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(oc, SINK_PROP_IN_PLACE, g_param_spec_uint64("in-place", "In place",
            "Frames upstream wrote straight into pool buffers", 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(oc, SINK_PROP_COPIES, g_param_spec_uint64("copies", "Copies",
            "Frames copied into the pool because upstream did not use its buffers", 0, G_MAXUINT64, 0,
            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
    gst_element_class_set_static_metadata(ec, "vbuf pool sink", "Sink/Video",
            "Publishes frames into a vbuf shared pool; upstream writes into pool buffers through the proposed buffer pool"
            " (copies, counted, only when it does not)", "vbuf");
    gst_element_class_add_static_pad_template(ec, &(GstStaticPadTemplate)GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK,
            GST_PAD_ALWAYS, GST_STATIC_CAPS(VBUF_CAPS)));
    bc->start = vbuf_sink_start;
    bc->stop = vbuf_sink_stop;
    bc->get_caps = vbuf_sink_get_caps;
    bc->set_caps = vbuf_sink_set_caps;
    bc->propose_allocation = vbuf_sink_propose_allocation;
    bc->render = vbuf_sink_render;
    bc->event = vbuf_sink_event;
    bc->unlock = vbuf_sink_unlock;
    bc->unlock_stop = vbuf_sink_unlock_stop;
}

static void gst_vbuf_sink_init(GstVbufSink *s) {
    s->timeout_ms = 10000;
    s->eos_marks_pool = TRUE;
    gst_base_sink_set_sync(GST_BASE_SINK(s), FALSE);
}

static gboolean plugin_init(GstPlugin *plugin) {
    GST_DEBUG_CATEGORY_INIT(vbuf_debug, "vbuf", 0, "vbuf pool elements");
    return gst_element_register(plugin, "vbufsrc", GST_RANK_NONE, gst_vbuf_src_get_type())
        && gst_element_register(plugin, "vbufsink", GST_RANK_NONE, gst_vbuf_sink_get_type());
}

/* vbuf is Apache-2.0; GStreamer's licence field has no value for it, so it says "unknown" (GST_LICENSE_UNKNOWN). */
#define VERSION "0.1.0"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, vbuf, "vbuf shared frame pools: vbufsrc and vbufsink",
                  plugin_init, VERSION, GST_LICENSE_UNKNOWN, "vbuf", "vbuf")
