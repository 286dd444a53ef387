/*
 * vbuf_produce.h - the producer side of a vbuf shared pool, in C, over include/vbuf_shm.h.
 *
 * include/vbuf_shm.h (the published header) has the consumer protocol only: attach, register,
 * take, release. vbufsink needs the producer's: take a free slot, publish it to every group,
 * abort it, mark the end of the stream. This file writes those with the header's primitives
 * (rings, slot words, futex wake), the same transitions as dev.vbuf.pool.HandOff:
 *
 *   take free   hot-free hint or free ring head (slot, gen)  FREE(gen) -CAS-> PRODUCER(gen, owner = me)
 *   publish     next sequence (fetch_add), metadata, then    PRODUCER(gen) -CAS-> PUBLISHED(gen, pending = all)
 *               the entry offered to every group's ring (a full ring gives up its oldest entry: counted
 *               as a drop for that group), each group's sleepers woken
 *   abort       PRODUCER(gen) -CAS-> FREE(gen + 1), queued on the free ring
 *
 * Every step is a CAS (never the single-writer release stores), so it is correct next to other
 * producers. A producer killed between two steps leaves what a Java producer killed there
 * leaves: its slots name its process entry, and a Java peer's monitor recovers them.
 * Creating a pool is not here: vbufsink attaches to a pool that vbuf created (the header has no
 * creation either). These functions belong in include/vbuf_shm.h; they are kept apart until
 * the header's owner takes them.
 */
#ifndef VBUF_PRODUCE_H
#define VBUF_PRODUCE_H

#include "vbuf_shm.h"

/* A slot taken for writing. */
struct vbuf_wframe {
    uint32_t slot;
    uint64_t gen;
    uint8_t *data;      /* the buffer: p->buffer_bytes bytes */
};

static inline uint32_t vbuf_all_groups(const struct vbuf_pool *p) {
    return p->geo.group_count >= 32 ? 0xFFFFFFFFu : (1u << p->geo.group_count) - 1u;
}

/* FREE(gen) -> PRODUCER(gen, owner = me); fills *f. */
static inline bool vbuf_claim_free(struct vbuf_pool *p, uint32_t s, uint64_t gen, struct vbuf_wframe *f) {
    struct vbuf_slot *sl = vbuf_slot_at(p, s);
    uint64_t w = atomic_load(&sl->word);
    if (vbuf_sw_phase(w) != VBUF_SW_FREE || vbuf_sw_gen(w) != gen) return false;
    if (!atomic_compare_exchange_strong(&sl->word, &w, vbuf_sw_make(VBUF_SW_PRODUCER, p->me, 0, gen))) return false;
    /* SYNC POINT: the slot is ours; reset its metadata as HandOff.openProducer does */
    sl->sequence = -1;
    sl->capture_nanos = 0;
    sl->pts = 0;
    sl->submit_nanos = 0;
    sl->flags = 0;
    sl->payload_bytes = (int64_t)p->buffer_bytes;
    sl->width = p->width;
    sl->height = p->height;
    sl->format = p->format;
    f->slot = s;
    f->gen = gen;
    f->data = p->base + p->data_offset + (uint64_t)s * p->buffer_stride;
    return true;
}

/*
 * Takes a free slot without waiting: the LIFO hint first, then the free ring's head.
 * Returns VBUF_OK (slot in *f), VBUF_NONE, VBUF_EINVAL (not registered), VBUF_EROLE or VBUF_ECORRUPT.
 */
static inline int vbuf_try_take_free(struct vbuf_pool *p, struct vbuf_wframe *f) {
    if (p->me == 0) return VBUF_EINVAL;
    int claimed = vbuf_claim_producer(p); /* a pool declaring one producer: VBUF_EROLE if another live process is it */
    if (claimed != VBUF_OK) return claimed;
    struct vbuf_header *h = vbuf_hdr(p);
    if (atomic_load(&h->hot_free) != 0) {
        uint64_t hot = atomic_exchange(&h->hot_free, 0);
        if (hot != 0) {
            uint64_t e = hot - 1;
            uint32_t s = vbuf_entry_slot(e);
            if (s < p->geo.slot_count && vbuf_claim_free(p, s, vbuf_entry_gen(e), f)) return VBUF_OK;
            /* a stale hint: dropped, as HandOff.takeHotFree does */
        }
    }
    const struct vbuf_ring *r = &p->free_ring;
    for (uint32_t looks = 0; looks < 4 * r->capacity + 256; looks++) {
        uint64_t hd = vbuf_ring_head(r);
        int64_t e = vbuf_ring_peek(r, hd);
        if (e < 0) {
            if (e == VBUF_RING_EMPTY) return VBUF_NONE;
            if (e == VBUF_RING_TAKEN) vbuf_ring_advance(r, hd);
            else vbuf_ring_repair_head(r, hd);
            continue;
        }
        uint32_t s = vbuf_entry_slot((uint64_t)e);
        uint64_t gen = vbuf_entry_gen((uint64_t)e);
        if (s >= p->geo.slot_count) { vbuf_ring_remove(r, hd, (uint64_t)e); continue; } /* never trust an index */
        uint64_t w = atomic_load(&vbuf_slot_at(p, s)->word);
        if (vbuf_sw_phase(w) != VBUF_SW_FREE || vbuf_sw_gen(w) != gen) { vbuf_ring_remove(r, hd, (uint64_t)e); continue; }
        if (vbuf_claim_free(p, s, gen, f)) {
            vbuf_ring_remove(r, hd, (uint64_t)e);
            return VBUF_OK;
        }
    }
    return vbuf_corrupt(p, "the free ring (offset %llu) keeps giving entries that are neither free slots nor empty",
                        (unsigned long long)p->geo.free_ring_offset);
}

/*
 * Takes a free slot, waiting up to timeout_ns (< 0: no limit) on the free futex; *stop (may be
 * NULL) is read after every poll. Returns VBUF_OK, VBUF_TIMEDOUT, VBUF_STOPPED, VBUF_EINVAL or
 * VBUF_ECORRUPT.
 */
static inline int vbuf_acquire_free(struct vbuf_pool *p, int64_t timeout_ns, volatile sig_atomic_t *stop,
                                    struct vbuf_wframe *f) {
    int r = vbuf_try_take_free(p, f);
    if (r != VBUF_NONE) return r;
    if (timeout_ns == 0) return VBUF_TIMEDOUT;
    struct vbuf_header *h = vbuf_hdr(p);
    atomic_fetch_add_explicit(&h->acquire_waits, 1, memory_order_relaxed);
    int64_t start = vbuf_now_ns();
    for (int attempt = 0;; attempt++) {
        if (stop && *stop) return VBUF_STOPPED;
        int64_t left = timeout_ns < 0 ? INT64_MAX : timeout_ns - (vbuf_now_ns() - start);
        if (attempt >= VBUF_FUTEX_SPINS) {
            /* the hint is not a ring: nap briefly when it is set, so a frame left there is seen */
            if (atomic_load(&h->hot_free) != 0) vbuf_nap(100000, left);
            else vbuf_sleep_on(p, &h->free_futex, &h->free_waiters, &h->free_sleep_deadline, &p->free_ring, left);
        } else if (attempt < 100) vbuf_cpu_relax();
        else sched_yield();
        r = vbuf_try_take_free(p, f);
        if (r != VBUF_NONE) return r;
        if (timeout_ns >= 0 && vbuf_now_ns() - start >= timeout_ns) {
            atomic_fetch_add_explicit(&h->acquire_timeouts, 1, memory_order_relaxed);
            return VBUF_TIMEDOUT;
        }
    }
}

/* PRODUCER(gen) -> FREE(gen + 1), back to the free ring. */
static inline int vbuf_abort(struct vbuf_pool *p, const struct vbuf_wframe *f) {
    if (f->slot >= p->geo.slot_count) return VBUF_EINVAL;
    struct vbuf_slot *sl = vbuf_slot_at(p, f->slot);
    uint64_t w = atomic_load(&sl->word);
    if (vbuf_sw_phase(w) != VBUF_SW_PRODUCER || vbuf_sw_gen(w) != f->gen) return VBUF_STALE;
    uint64_t ng = vbuf_sw_next_gen(f->gen);
    if (!atomic_compare_exchange_strong(&sl->word, &w, vbuf_sw_make(VBUF_SW_FREE, 0, 0, ng))) return VBUF_STALE;
    return vbuf_offer_free(p, f->slot, ng);
}

/*
 * Group g gives up a queued frame it does not hold (its ring was full): its pending bit goes;
 * the last group out frees the slot. HandOff.leave with cause DROPPED.
 */
static inline void vbuf_drop_for_group(struct vbuf_pool *p, uint32_t g, uint64_t entry) {
    uint32_t s = vbuf_entry_slot(entry);
    uint64_t gen = vbuf_entry_gen(entry);
    if (s >= p->geo.slot_count) return;
    struct vbuf_slot *sl = vbuf_slot_at(p, s);
    uint32_t bit = 1u << g;
    for (int tries = 0; tries < 1024; tries++) {
        uint64_t w = atomic_load(&sl->word);
        if (vbuf_sw_phase(w) != VBUF_SW_PUBLISHED || vbuf_sw_gen(w) != gen || (vbuf_sw_pending(w) & bit) == 0
                || (vbuf_sw_held(w) & bit) != 0) return; /* stale, or taken meanwhile: nothing to drop */
        uint32_t pending = vbuf_sw_pending(w) & ~bit;
        uint64_t ng = vbuf_sw_next_gen(gen);
        uint64_t nw = pending == 0 ? vbuf_sw_make(VBUF_SW_FREE, 0, 0, ng)
                                   : vbuf_sw_make(VBUF_SW_PUBLISHED, pending, vbuf_sw_held(w), gen);
        if (atomic_compare_exchange_strong(&sl->word, &w, nw)) {
            atomic_fetch_add_explicit(&vbuf_group_at(p, g)->dropped, 1, memory_order_relaxed);
            if (pending == 0) vbuf_offer_free(p, s, ng);
            return;
        }
    }
}

/*
 * Publishes a written slot to every group: sequence, metadata, PRODUCER -> PUBLISHED, ring
 * entries, wake-ups. pts is the picture number (vbuf's convention), capture_nanos the
 * CLOCK_MONOTONIC time it was made (0: now). Returns VBUF_OK, VBUF_STALE (the slot is no longer
 * ours: a peer recovered it) or VBUF_ECORRUPT.
 */
static inline int vbuf_publish(struct vbuf_pool *p, const struct vbuf_wframe *f, int64_t pts, int64_t capture_nanos,
                               uint32_t flags) {
    if (f->slot >= p->geo.slot_count) return VBUF_EINVAL;
    struct vbuf_slot *sl = vbuf_slot_at(p, f->slot);
    struct vbuf_header *h = vbuf_hdr(p);
    uint64_t w = atomic_load(&sl->word);
    if (vbuf_sw_phase(w) != VBUF_SW_PRODUCER || vbuf_sw_gen(w) != f->gen || vbuf_sw_pending(w) != p->me) return VBUF_STALE;
    int64_t now = vbuf_now_ns();
    sl->sequence = (int64_t)atomic_fetch_add(&h->next_sequence, 1);
    sl->pts = pts;
    sl->capture_nanos = capture_nanos != 0 ? capture_nanos : now;
    sl->submit_nanos = now;
    sl->flags = flags;
    /* SYNC POINT: the CAS publishes the pixels and the metadata written above */
    if (!atomic_compare_exchange_strong(&sl->word, &w, vbuf_sw_make(VBUF_SW_PUBLISHED, vbuf_all_groups(p), 0, f->gen)))
        return VBUF_STALE;
    uint64_t e = vbuf_entry(f->slot, f->gen);
    for (uint32_t g = 0; g < p->geo.group_count; g++) {
        const struct vbuf_ring *r = &p->group_rings[g];
        struct vbuf_group *rec = vbuf_group_at(p, g);
        for (uint32_t pops = 0; !vbuf_ring_offer(r, e); pops++) {
            if (pops > 4 * r->capacity + 64)
                return vbuf_corrupt(p, "group '%s''s ring stays full however many entries are taken out", p->group_names[g]);
            int64_t old = vbuf_ring_poll(r);
            if (old >= 0) {
                atomic_fetch_add_explicit(&rec->full_pops, 1, memory_order_relaxed);
                vbuf_drop_for_group(p, g, (uint64_t)old);
            }
        }
        vbuf_wake(&rec->futex, &rec->waiters, &rec->sleep_deadline);
    }
    return VBUF_OK;
}

/* The producer is done: consumers drain what is queued, then see VBUF_END. */
static inline void vbuf_mark_end_of_stream(struct vbuf_pool *p) {
    atomic_fetch_or(&vbuf_hdr(p)->state, VBUF_STATE_CLOSED);
    for (uint32_t g = 0; g < p->geo.group_count; g++) {
        struct vbuf_group *rec = vbuf_group_at(p, g);
        atomic_fetch_add(&rec->futex, 1);
        vbuf_futex_wake_all(&rec->futex);
    }
}

#endif /* VBUF_PRODUCE_H */
