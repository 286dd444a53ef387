/*
 * vbuf_shm.h - the shared-memory layout of a vbuf frame pool, for C (C11) consumers.
 *
 * A vbuf shared pool is one file, /dev/shm/vbuf.NAME, holding a control block (header, slot
 * descriptors, a free ring, group records, group rings, a process table) followed by the frame
 * buffers. This header is the C form of the Java descriptor dev.vbuf.pool.ControlBlock (with
 * SlotWord and MpmcRing); every constant below has the name of its Java counterpart with a
 * VBUF_ prefix (ControlBlock.H_SLOT_COUNT -> VBUF_H_SLOT_COUNT, SlotWord.GEN_BITS ->
 * VBUF_SW_GEN_BITS, MpmcRing.LAP_SHIFT -> VBUF_RING_LAP_SHIFT), and the test CHeaderTest
 * compiles this header and compares every one of them with the Java value.
 *
 * Usage: define _GNU_SOURCE (or _DEFAULT_SOURCE) before including any system header, then
 *
 *     struct vbuf_pool pool;  char err[512];
 *     if (vbuf_attach("/dev/shm/vbuf.demo", 0, &pool, err, sizeof err)) { fputs(err, stderr); ... }
 *     int g = vbuf_group_index(&pool, "c");
 *     if (vbuf_register(&pool, err, sizeof err)) ...
 *     struct vbuf_frame f;
 *     while (vbuf_acquire_filled(&pool, g, -1, &stop, &f) == VBUF_OK) {
 *         ... read f.data[0 .. f.payload_bytes) (NULL when the metadata failed its checks) ...
 *         vbuf_release(&pool, &f);
 *     }
 *     vbuf_deregister(&pool);  vbuf_detach(&pool);
 *
 * examples/c/vbuf_consume.c is a complete consumer; docs/C-ABI.md walks through the protocol.
 *
 * ---------------------------------------------------------------------------------------------
 * Memory ordering (the same words, the same orderings as the Java side)
 * ---------------------------------------------------------------------------------------------
 * Java's volatile accesses (getVolatile, compareAndSet, getAndAdd) are C11 seq_cst operations;
 * Java's setRelease is memory_order_release. HotSpot and GCC use the same instruction mappings
 * for these on x86-64 and AArch64, so the two sides synchronise through the shared words.
 *
 *   word                         loads       writes                    pairs with
 *   header magic                 acquire     release store (format)    the creator's format
 *   slot word                    seq_cst     CAS seq_cst               every hand-off of a slot
 *   slot metadata (sequence ..)  plain       plain, by the slot owner  ordered by the word CAS
 *   holders[g]                   seq_cst     CAS 0->me; store release 0
 *   ring head / tail / cells     seq_cst     CAS seq_cst
 *   futex words, waiter counts   seq_cst     fetch_add seq_cst         (a Dekker pair, below)
 *   sleep deadlines              seq_cst     CAS seq_cst (raise only)  the waker's check
 *   process entry word           seq_cst     CAS 0->pid<<8|3, store release pid<<8|1; CAS ->0
 *   statistics counters          relaxed     fetch_add relaxed          nothing (numbers only)
 *
 * A frame's pixels and metadata are written by the producer with plain stores and published
 * by the CAS that moves the slot word to PUBLISHED; a consumer reads them only after its own
 * CAS on the same word (vbuf_try_take) succeeded, so it sees everything the producer wrote.
 *
 * Sleeping: a waiter increments the waiter count, raises the sleep deadline to now + 150 ms
 * (CLOCK_MONOTONIC, the clock of Java's System.nanoTime), reads the futex word, checks the ring
 * again and only then sleeps with FUTEX_WAIT(word, value read) for at most 100 ms. A waker
 * first queues (ring CAS), then reads the waiter count and, when it is not 0 and the deadline
 * has not passed, increments the futex word and FUTEX_WAKEs. (A sleeper killed in its sleep
 * never takes its count back; the deadline stops it costing wake-ups after 150 ms.)
 * Both sides use seq_cst, so either the waker sees the waiter or the waiter sees the entry; a
 * wake between the waiter's read of the word and its FUTEX_WAIT changes the word, and the
 * kernel returns at once. The futex is shared (no FUTEX_PRIVATE_FLAG): other processes wake it.
 *
 * ---------------------------------------------------------------------------------------------
 * Trust
 * ---------------------------------------------------------------------------------------------
 * Nothing in the file is trusted. vbuf_attach checks the file (regular, owned by this user, not
 * writable by group/others, long enough) before mapping it, then vbuf_validate checks a
 * snapshot of the header against the geometry recomputed from its counts and against the
 * file's real length, and keeps its own copy of every offset: later changes to the header
 * cannot move an access outside the mapping. Slot indices read from rings are checked against
 * the slot count, and a frame's buffer offset and payload size against the validated geometry,
 * before any pointer is formed. (A file truncated by someone else after it was mapped still
 * raises SIGBUS on access, as for any mapped file.) The rules are the numbered list
 * "Validation rules" of docs/SHARED.md, the same in Java and here.
 *
 * Nothing loops without a bound over shared state: a claim naming no live process entry, a
 * free ring full of duplicates, or a word that keeps changing ends in VBUF_ECORRUPT with
 * pool->problem naming the pool and the field; waits read the caller's stop flag.
 *
 * ---------------------------------------------------------------------------------------------
 * Crash safety (what the protocol guarantees if this process is killed at any instruction)
 * ---------------------------------------------------------------------------------------------
 * A consumer registers in the process table (pid and start time) before it takes frames. Taking
 * a frame is: peek the ring head, claim holders[g] (CAS 0 -> my 1-based process index), CAS the
 * slot word's held bit on, then remove the ring entry. Killed before the holder claim: nothing
 * changed. After the claim, before the word CAS: the claim is cleared by the survivors' monitor
 * when it finds this process dead. After the word CAS: the frame is recorded as held by this
 * process; the monitor of any live Java peer releases it (counted as dropped and lost to a
 * crash for the group: never delivered twice) within the pool's reclaim delay (1 s by default).
 * The ring entry left behind is stale and removed by the next reader.
 * C consumers do not run a monitor themselves: recovery is done by the Java processes.
 */
#ifndef VBUF_SHM_H
#define VBUF_SHM_H

#if !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE)
#error "vbuf_shm.h needs syscall(2) and clock_gettime(2): #define _GNU_SOURCE (or _DEFAULT_SOURCE) before including any header"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the vbuf layout is little-endian; this target is not"
#endif
#if ATOMIC_INT_LOCK_FREE != 2 || ATOMIC_LONG_LOCK_FREE != 2 || ATOMIC_LLONG_LOCK_FREE != 2
#error "vbuf needs lock-free (address-free) 32- and 64-bit atomics to share them between processes"
#endif
_Static_assert(sizeof(_Atomic uint64_t) == 8 && _Alignof(_Atomic uint64_t) == 8, "64-bit atomics are 8 bytes");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "32-bit atomics are 4 bytes");

/* ============================================================================================
 * Constants (ControlBlock)
 * ============================================================================================ */
#define VBUF_MAGIC                 0x4C4F4F5046554256ULL /* "VBUFPOOL" read as a little-endian u64 */
#define VBUF_VERSION               3 /* 3: the role claims (VBUF_P_PRODUCER_CLAIM, VBUF_G_CONSUMER_CLAIM) */
#define VBUF_CACHE_LINE            64
#define VBUF_ALIGN                 128 /* every record starts on a 128-byte boundary */

/* ---- header (256 bytes at offset 0) ---- */
#define VBUF_HEADER_BYTES          256
#define VBUF_H_MAGIC               0   /* u64, written last with a release store */
#define VBUF_H_VERSION             8   /* u32 */
#define VBUF_H_HEADER_BYTES        12  /* u32, 256 */
#define VBUF_H_SLOT_COUNT          16  /* u32, 1..VBUF_MAX_BUFFERS */
#define VBUF_H_GROUP_COUNT         20  /* u32, 1..VBUF_MAX_GROUPS */
#define VBUF_H_SLOT_BYTES          24  /* u32, 256 */
#define VBUF_H_FREE_RING_CAPACITY  28  /* u32, power of two */
#define VBUF_H_GROUP_RING_CAPACITY 32  /* u32, power of two */
#define VBUF_H_FLAGS               36  /* u32, bits VBUF_SINGLE_PRODUCER, VBUF_SINGLE_CONSUMERS: declared roles */
#define VBUF_H_BUFFER_BYTES        40  /* u64, bytes per buffer */
#define VBUF_H_SLOTS_OFFSET        48  /* u64 */
#define VBUF_H_FREE_RING_OFFSET    56  /* u64 */
#define VBUF_H_GROUPS_OFFSET       64  /* u64 */
#define VBUF_H_TOTAL_BYTES         72  /* u64, the control block including the process table */
#define VBUF_H_DATA_OFFSET         80  /* u64, first buffer (page aligned) */
#define VBUF_H_BUFFER_STRIDE       88  /* u64, distance between buffers (page multiple) */
#define VBUF_H_WIDTH               96  /* u32, 0 when the pool has no frame layout */
#define VBUF_H_HEIGHT              100 /* u32 */
#define VBUF_H_FORMAT              104 /* u32, PixelFormat ordinal + 1, 0 = none */
#define VBUF_H_STRIDE_ALIGN        108 /* u32 */
#define VBUF_H_PROCESS_OFFSET      112 /* u64 */
#define VBUF_H_PROCESS_CAPACITY    120 /* u32, 1..VBUF_MAX_PROCESS_CAPACITY */
#define VBUF_H_STATE               124 /* u32, bit VBUF_STATE_CLOSED: end of stream */
#define VBUF_STATE_CLOSED          1
/* H_FLAGS bits. A pool that declares one producer, or one consumer per group, admits one live
 * process in that role at a time: the first take of a process claims the role (VBUF_P_PRODUCER_CLAIM,
 * VBUF_G_CONSUMER_CLAIM), and a take while another live process holds it fails with VBUF_EROLE.
 * Within a process, one thread at a time takes that role (not checked). */
#define VBUF_SINGLE_PRODUCER       1
#define VBUF_SINGLE_CONSUMERS      2
/* producer line (offset 128) */
#define VBUF_P_NEXT_SEQUENCE       128 /* u64, the next sequence number (= frames submitted) */
#define VBUF_P_FREE_FUTEX          136 /* u32 futex word producers sleep on when no buffer is free */
#define VBUF_P_FREE_WAITERS        140 /* u32 producers asleep (or about to sleep) on it */
#define VBUF_P_ACQUIRE_WAITS       144
#define VBUF_P_ACQUIRE_TIMEOUTS    152
#define VBUF_P_ACQUIRE_FAILS       160
#define VBUF_P_RECLAIMS            168
#define VBUF_P_RETIRED             176
#define VBUF_P_PEER_RECOVERIES     184
#define VBUF_P_SLOTS_RECOVERED     192
#define VBUF_P_FREE_SLEEP_DEADLINE 200 /* i64 CLOCK_MONOTONIC ns until which a producer may sleep on P_FREE_FUTEX */
/* u64 LIFO hint: the free slot released last, as its ring entry + 1 (0 = none). Releasers may
 * CAS it from 0 instead of offering to the free ring; producers look here first. Only a hint:
 * every take is the slot word's CAS, and a slot that is FREE but neither here nor in the free
 * ring is an orphan that recovery queues again. */
#define VBUF_P_HOT_FREE            208
#define VBUF_P_PRODUCER_CLAIM      216 /* u32 process entry producing into a single-producer pool, 0 = none */

/* ---- slot descriptor (256 bytes each, slotCount of them at H_SLOTS_OFFSET) ---- */
#define VBUF_SLOT_BYTES            256
#define VBUF_S_WORD                0   /* u64 slot word: see VBUF_SW_* */
#define VBUF_S_SEQUENCE            8   /* i64 */
#define VBUF_S_CAPTURE_NANOS       16  /* i64 */
#define VBUF_S_PTS                 24  /* i64 */
#define VBUF_S_SUBMIT_NANOS        32  /* i64, producer's System.nanoTime() at submit, or 0 */
#define VBUF_S_PAYLOAD_BYTES       40  /* i64, valid bytes in the buffer */
#define VBUF_S_WIDTH               48  /* u32 */
#define VBUF_S_HEIGHT              52  /* u32 */
#define VBUF_S_FORMAT              56  /* u32, PixelFormat ordinal + 1, 0 = unset */
#define VBUF_S_FLAGS               60  /* u32, VBUF_FLAG_* */
#define VBUF_S_BUFFER_OFFSET       64  /* i64, the buffer's offset in the file */
#define VBUF_S_BUFFER_BYTES        72  /* i64 */
#define VBUF_S_HOLDERS             128 /* u32[16]: per group, 1-based process index of the holder, 0 none */

/* ---- ring (free ring and group rings) ---- */
#define VBUF_R_HEAD                0   /* u64 position of the oldest entry (a hint: see the ring section) */
#define VBUF_R_TAIL                128 /* u64 position of the next free cell (a hint) */
#define VBUF_R_CELLS               256 /* capacity x u64 cells */
#define VBUF_CELL_BYTES            8

/* ---- group record (384 bytes each, groupCount of them at H_GROUPS_OFFSET) ---- */
#define VBUF_GROUP_BYTES           384
#define VBUF_GROUP_NAME_BYTES      32
#define VBUF_G_NAME                0   /* UTF-8, NUL-terminated */
#define VBUF_G_RING_OFFSET         32  /* u64, the group's ring */
#define VBUF_G_TAKEN               128 /* u64, frames the group's consumers acquired */
#define VBUF_G_ACQUIRE_WAITS       136
#define VBUF_G_ACQUIRE_TIMEOUTS    144
#define VBUF_G_STALE_SKIPPED       152
#define VBUF_G_FUTEX               160 /* u32 futex word the group's consumers sleep on */
#define VBUF_G_WAITERS             164 /* u32 consumers asleep (or about to sleep) on it */
#define VBUF_G_SLEEP_DEADLINE      168 /* i64 CLOCK_MONOTONIC ns until which a consumer of the group may sleep */
#define VBUF_G_CONSUMER_CLAIM      176 /* u32 process entry reading the group of a single-consumers pool, 0 = none */
#define VBUF_G_DROPPED             256
#define VBUF_G_FULL_POPS           264
#define VBUF_G_LOST_TO_CRASH       272

/* ---- process table (processCapacity entries of 64 bytes at H_PROCESS_OFFSET) ---- */
#define VBUF_PROCESS_BYTES         64
#define VBUF_PR_WORD               0   /* u64 pid << 8 | state (VBUF_PROC_*), 0 = free entry */
#define VBUF_PR_START_TIME         8   /* u64 field 22 of /proc/PID/stat (clock ticks after boot) */
#define VBUF_PR_ROLE               16  /* u32 VBUF_ROLE_* */
#define VBUF_PR_ATTACH_MILLIS      24  /* u64 wall-clock ms at attach */
#define VBUF_PROC_LIVE             1
#define VBUF_PROC_RECLAIMING       2
#define VBUF_PROC_CLAIMING         3 /* claimed, start time not yet written: judge by the pid alone */
#define VBUF_ROLE_CREATOR          1
#define VBUF_ROLE_ATTACHED         2

/* ---- limits (FramePool, PoolFile, WaitStrategy.Futex, ShmNames, Frame) ---- */
#define VBUF_MAX_BUFFERS           65536
#define VBUF_MAX_GROUPS            16
#define VBUF_MAX_GROUP_NAME_BYTES  31
#define VBUF_DEFAULT_PROCESS_CAPACITY 64
#define VBUF_MAX_PROCESS_CAPACITY  4096
#define VBUF_DEFAULT_RECLAIM_AFTER_MS 1000 /* survivors recover a dead peer's slots within this */
#define VBUF_FUTEX_SPINS           100  /* polls before a waiter sleeps in the kernel (all spins: no yields) */
#define VBUF_FUTEX_BUSY_SPINS      100  /* of those, polls with a CPU pause (the rest would yield) */
#define VBUF_MAX_SLEEP_NANOS       100000000LL /* longest single futex sleep */
#define VBUF_SLEEP_DEADLINE_SLACK_NANOS 50000000LL /* a sleep registration is honoured this long past it */
#define VBUF_SHM_PREFIX            "vbuf." /* pool NAME is the file /dev/shm/vbuf.NAME */
#define VBUF_SHM_TEMP_PREFIX       ".tmp.vbuf." /* .tmp.vbuf.NAME.PID.NANOS: a pool being formatted by PID (stale once PID is gone) */
#define VBUF_FLAG_KEY_FRAME        1
#define VBUF_FLAG_END_OF_STREAM    2
#define VBUF_FLAG_CORRUPT          4
/* Access bits of Frame.beginCpuAccess / endCpuAccess (DMA_BUF_IOCTL_SYNC around CPU access to a
 * DMA-BUF; not stored in shared memory, listed so the Java and C names agree). */
#define VBUF_CPU_READ              1
#define VBUF_CPU_WRITE             2
#define VBUF_PAGE                  4096 /* data offset and buffer stride are multiples of it */

/* ============================================================================================
 * The slot word (SlotWord): the one field whose CAS hands a slot from one party to the next
 *
 *  63                               34 33          18 17           2 1   0
 * +-----------------------------------+--------------+--------------+-----+
 * |          generation (30)          |  held (16)   | pending (16) |phase|
 * +-----------------------------------+--------------+--------------+-----+
 * pending: groups that have not yet released the frame (phase PUBLISHED); in phase PRODUCER the
 * same bits hold the producer's 1-based process index. held: groups of which a consumer holds the
 * frame now (a subset of pending). generation: +1 each time the slot returns to FREE.
 * A producer's reference (a decoder keeping a published picture as a reference picture) is one
 * more holder: pending and held bit VBUF_SW_REFERENCE_BIT (group index 15, which no group has in a
 * pool of at most 15 groups), its process in holders[15]. A consumer releases as always (CAS of
 * its own bits); the slot is FREE only when the reference is dropped too.
 * ============================================================================================ */
#define VBUF_SW_FREE               0
#define VBUF_SW_PRODUCER           1
#define VBUF_SW_PUBLISHED          2
#define VBUF_SW_RETIRED            3
#define VBUF_SW_MAX_GROUPS         16
#define VBUF_SW_GEN_BITS           30
#define VBUF_SW_GEN_MASK           ((1ULL << VBUF_SW_GEN_BITS) - 1)
#define VBUF_SW_PENDING_SHIFT      2
#define VBUF_SW_HELD_SHIFT         18
#define VBUF_SW_GEN_SHIFT          34
#define VBUF_SW_GROUP_MASK         0xFFFFULL
#define VBUF_SW_REFERENCE_GROUP    15
#define VBUF_SW_REFERENCE_BIT      (1u << VBUF_SW_REFERENCE_GROUP)

static inline unsigned vbuf_sw_phase(uint64_t w) { return (unsigned)(w & 3); }
static inline uint32_t vbuf_sw_pending(uint64_t w) { return (uint32_t)((w >> VBUF_SW_PENDING_SHIFT) & VBUF_SW_GROUP_MASK); }
static inline uint32_t vbuf_sw_held(uint64_t w) { return (uint32_t)((w >> VBUF_SW_HELD_SHIFT) & VBUF_SW_GROUP_MASK); }
static inline uint64_t vbuf_sw_gen(uint64_t w) { return w >> VBUF_SW_GEN_SHIFT; }
static inline uint64_t vbuf_sw_next_gen(uint64_t gen) { return (gen + 1) & VBUF_SW_GEN_MASK; }
static inline uint64_t vbuf_sw_make(unsigned phase, uint32_t pending, uint32_t held, uint64_t gen) {
    return ((uint64_t)phase & 3) | (((uint64_t)pending & VBUF_SW_GROUP_MASK) << VBUF_SW_PENDING_SHIFT)
         | (((uint64_t)held & VBUF_SW_GROUP_MASK) << VBUF_SW_HELD_SHIFT)
         | ((gen & VBUF_SW_GEN_MASK) << VBUF_SW_GEN_SHIFT);
}
/* Ring entries (46 bits): generation << 16 | slot index. */
static inline uint64_t vbuf_entry(uint32_t slot, uint64_t gen) { return ((gen & VBUF_SW_GEN_MASK) << 16) | (slot & 0xFFFFu); }
static inline uint32_t vbuf_entry_slot(uint64_t e) { return (uint32_t)(e & 0xFFFF); }
static inline uint64_t vbuf_entry_gen(uint64_t e) { return (e >> 16) & VBUF_SW_GEN_MASK; }

/* ============================================================================================
 * Ring cells (MpmcRing): every cell is one u64, moved in and out of the ring by one CAS.
 *
 *  63             47  46  45                                        0
 * +-----------------+----+-------------------------------------------+
 * |   lap (17)      |full|              value (46)                    |
 * +-----------------+----+-------------------------------------------+
 * Position p lives in cell p & (capacity-1) during lap p / capacity. EMPTY(lap): position
 * lap*capacity+i may be written; FULL(lap, v): it holds v; taking v turns it into EMPTY(lap+1).
 * head and tail are hints that anyone advances (CAS h -> h+1) when they find them behind, so a
 * party killed between its cell CAS and its index CAS blocks nobody. Zeroed memory is an empty ring.
 * ============================================================================================ */
#define VBUF_RING_EMPTY            (-1LL) /* peek/poll: nothing queued */
#define VBUF_RING_TAKEN            (-2LL) /* peek: head cell taken, head not yet advanced: advance it */
#define VBUF_RING_RETRY            (-3LL) /* peek: the head moved while looking: look again */
#define VBUF_RING_VALUE_BITS       46
#define VBUF_RING_VALUE_MASK       ((1ULL << VBUF_RING_VALUE_BITS) - 1)
#define VBUF_RING_FULL             (1ULL << VBUF_RING_VALUE_BITS)
#define VBUF_RING_LAP_SHIFT        47
#define VBUF_RING_RETRIES          1048576 /* looks at a tail or head that keeps changing before a ring loop gives up */
#define VBUF_RING_LAP_MASK         ((1ULL << (64 - VBUF_RING_LAP_SHIFT)) - 1)

/* ============================================================================================
 * Records as structs (the offsets above, checked at compile time)
 * ============================================================================================ */
struct vbuf_header {
    _Atomic uint64_t magic;             /*   0 */
    uint32_t version;                   /*   8 */
    uint32_t header_bytes;              /*  12 */
    uint32_t slot_count;                /*  16 */
    uint32_t group_count;               /*  20 */
    uint32_t slot_bytes;                /*  24 */
    uint32_t free_ring_capacity;        /*  28 */
    uint32_t group_ring_capacity;       /*  32 */
    uint32_t flags;                     /*  36 */
    uint64_t buffer_bytes;              /*  40 */
    uint64_t slots_offset;              /*  48 */
    uint64_t free_ring_offset;          /*  56 */
    uint64_t groups_offset;             /*  64 */
    uint64_t total_bytes;               /*  72 */
    uint64_t data_offset;               /*  80 */
    uint64_t buffer_stride;             /*  88 */
    uint32_t width;                     /*  96 */
    uint32_t height;                    /* 100 */
    uint32_t format;                    /* 104 */
    uint32_t stride_align;              /* 108 */
    uint64_t process_offset;            /* 112 */
    uint32_t process_capacity;          /* 120 */
    _Atomic uint32_t state;             /* 124 */
    _Atomic uint64_t next_sequence;     /* 128 */
    _Atomic uint32_t free_futex;        /* 136 */
    _Atomic uint32_t free_waiters;      /* 140 */
    _Atomic uint64_t acquire_waits;     /* 144 */
    _Atomic uint64_t acquire_timeouts;  /* 152 */
    _Atomic uint64_t acquire_fails;     /* 160 */
    _Atomic uint64_t reclaims;          /* 168 */
    _Atomic uint64_t retired;           /* 176 */
    _Atomic uint64_t peer_recoveries;   /* 184 */
    _Atomic uint64_t slots_recovered;   /* 192 */
    _Atomic int64_t free_sleep_deadline; /* 200 */
    _Atomic uint64_t hot_free;          /* 208: LIFO hint, entry + 1 (0 = none) */
    _Atomic uint32_t producer_claim;    /* 216: process entry (1-based) producing into a single-producer pool, 0 = none */
    uint8_t reserved[36];               /* 220..255 */
};

struct vbuf_slot {
    _Atomic uint64_t word;              /*   0 */
    int64_t sequence;                   /*   8 */
    int64_t capture_nanos;              /*  16 */
    int64_t pts;                        /*  24 */
    int64_t submit_nanos;               /*  32 */
    int64_t payload_bytes;              /*  40 */
    uint32_t width;                     /*  48 */
    uint32_t height;                    /*  52 */
    uint32_t format;                    /*  56 */
    uint32_t flags;                     /*  60 */
    int64_t buffer_offset;              /*  64 */
    int64_t buffer_bytes;               /*  72 */
    uint8_t reserved0[48];              /*  80..127 */
    _Atomic uint32_t holders[VBUF_MAX_GROUPS]; /* 128..191 */
    uint8_t reserved1[64];              /* 192..255 */
};

struct vbuf_ring_header {
    _Atomic uint64_t head;              /*   0 */
    uint8_t pad0[120];
    _Atomic uint64_t tail;              /* 128 */
    uint8_t pad1[120];
    _Atomic uint64_t cells[];           /* 256 */
};

struct vbuf_group {
    char name[VBUF_GROUP_NAME_BYTES];   /*   0 */
    uint64_t ring_offset;               /*  32 */
    uint8_t reserved0[88];              /*  40..127 */
    _Atomic uint64_t taken;             /* 128 */
    _Atomic uint64_t acquire_waits;     /* 136 */
    _Atomic uint64_t acquire_timeouts;  /* 144 */
    _Atomic uint64_t stale_skipped;     /* 152 */
    _Atomic uint32_t futex;             /* 160 */
    _Atomic uint32_t waiters;           /* 164 */
    _Atomic int64_t sleep_deadline;     /* 168 */
    _Atomic uint32_t consumer_claim;    /* 176: process entry reading the group of a single-consumers pool, 0 = none */
    uint8_t reserved1[76];              /* 180..255 */
    _Atomic uint64_t dropped;           /* 256 */
    _Atomic uint64_t full_pops;         /* 264 */
    _Atomic uint64_t lost_to_crash;     /* 272 */
    uint8_t reserved2[104];             /* 280..383 */
};

struct vbuf_process {
    _Atomic uint64_t word;              /*   0 */
    _Atomic uint64_t start_time;        /*   8 */
    _Atomic uint32_t role;              /*  16 */
    uint32_t reserved0;                 /*  20 */
    _Atomic uint64_t attach_millis;     /*  24 */
    uint8_t reserved1[32];              /*  32..63 */
};

#define VBUF_CHECK_OFFSET(type, field, off) \
    _Static_assert(offsetof(struct type, field) == (off), #type "." #field " is at " #off)
VBUF_CHECK_OFFSET(vbuf_header, magic, VBUF_H_MAGIC);
VBUF_CHECK_OFFSET(vbuf_header, version, VBUF_H_VERSION);
VBUF_CHECK_OFFSET(vbuf_header, header_bytes, VBUF_H_HEADER_BYTES);
VBUF_CHECK_OFFSET(vbuf_header, slot_count, VBUF_H_SLOT_COUNT);
VBUF_CHECK_OFFSET(vbuf_header, group_count, VBUF_H_GROUP_COUNT);
VBUF_CHECK_OFFSET(vbuf_header, slot_bytes, VBUF_H_SLOT_BYTES);
VBUF_CHECK_OFFSET(vbuf_header, free_ring_capacity, VBUF_H_FREE_RING_CAPACITY);
VBUF_CHECK_OFFSET(vbuf_header, group_ring_capacity, VBUF_H_GROUP_RING_CAPACITY);
VBUF_CHECK_OFFSET(vbuf_header, flags, VBUF_H_FLAGS);
VBUF_CHECK_OFFSET(vbuf_header, buffer_bytes, VBUF_H_BUFFER_BYTES);
VBUF_CHECK_OFFSET(vbuf_header, slots_offset, VBUF_H_SLOTS_OFFSET);
VBUF_CHECK_OFFSET(vbuf_header, free_ring_offset, VBUF_H_FREE_RING_OFFSET);
VBUF_CHECK_OFFSET(vbuf_header, groups_offset, VBUF_H_GROUPS_OFFSET);
VBUF_CHECK_OFFSET(vbuf_header, total_bytes, VBUF_H_TOTAL_BYTES);
VBUF_CHECK_OFFSET(vbuf_header, data_offset, VBUF_H_DATA_OFFSET);
VBUF_CHECK_OFFSET(vbuf_header, buffer_stride, VBUF_H_BUFFER_STRIDE);
VBUF_CHECK_OFFSET(vbuf_header, width, VBUF_H_WIDTH);
VBUF_CHECK_OFFSET(vbuf_header, height, VBUF_H_HEIGHT);
VBUF_CHECK_OFFSET(vbuf_header, format, VBUF_H_FORMAT);
VBUF_CHECK_OFFSET(vbuf_header, stride_align, VBUF_H_STRIDE_ALIGN);
VBUF_CHECK_OFFSET(vbuf_header, process_offset, VBUF_H_PROCESS_OFFSET);
VBUF_CHECK_OFFSET(vbuf_header, process_capacity, VBUF_H_PROCESS_CAPACITY);
VBUF_CHECK_OFFSET(vbuf_header, state, VBUF_H_STATE);
VBUF_CHECK_OFFSET(vbuf_header, next_sequence, VBUF_P_NEXT_SEQUENCE);
VBUF_CHECK_OFFSET(vbuf_header, free_futex, VBUF_P_FREE_FUTEX);
VBUF_CHECK_OFFSET(vbuf_header, free_waiters, VBUF_P_FREE_WAITERS);
VBUF_CHECK_OFFSET(vbuf_header, acquire_waits, VBUF_P_ACQUIRE_WAITS);
VBUF_CHECK_OFFSET(vbuf_header, acquire_timeouts, VBUF_P_ACQUIRE_TIMEOUTS);
VBUF_CHECK_OFFSET(vbuf_header, acquire_fails, VBUF_P_ACQUIRE_FAILS);
VBUF_CHECK_OFFSET(vbuf_header, reclaims, VBUF_P_RECLAIMS);
VBUF_CHECK_OFFSET(vbuf_header, retired, VBUF_P_RETIRED);
VBUF_CHECK_OFFSET(vbuf_header, peer_recoveries, VBUF_P_PEER_RECOVERIES);
VBUF_CHECK_OFFSET(vbuf_header, slots_recovered, VBUF_P_SLOTS_RECOVERED);
VBUF_CHECK_OFFSET(vbuf_header, free_sleep_deadline, VBUF_P_FREE_SLEEP_DEADLINE);
VBUF_CHECK_OFFSET(vbuf_header, hot_free, VBUF_P_HOT_FREE);
VBUF_CHECK_OFFSET(vbuf_header, producer_claim, VBUF_P_PRODUCER_CLAIM);
_Static_assert(sizeof(struct vbuf_header) == VBUF_HEADER_BYTES, "header is 256 bytes");

VBUF_CHECK_OFFSET(vbuf_slot, word, VBUF_S_WORD);
VBUF_CHECK_OFFSET(vbuf_slot, sequence, VBUF_S_SEQUENCE);
VBUF_CHECK_OFFSET(vbuf_slot, capture_nanos, VBUF_S_CAPTURE_NANOS);
VBUF_CHECK_OFFSET(vbuf_slot, pts, VBUF_S_PTS);
VBUF_CHECK_OFFSET(vbuf_slot, submit_nanos, VBUF_S_SUBMIT_NANOS);
VBUF_CHECK_OFFSET(vbuf_slot, payload_bytes, VBUF_S_PAYLOAD_BYTES);
VBUF_CHECK_OFFSET(vbuf_slot, width, VBUF_S_WIDTH);
VBUF_CHECK_OFFSET(vbuf_slot, height, VBUF_S_HEIGHT);
VBUF_CHECK_OFFSET(vbuf_slot, format, VBUF_S_FORMAT);
VBUF_CHECK_OFFSET(vbuf_slot, flags, VBUF_S_FLAGS);
VBUF_CHECK_OFFSET(vbuf_slot, buffer_offset, VBUF_S_BUFFER_OFFSET);
VBUF_CHECK_OFFSET(vbuf_slot, buffer_bytes, VBUF_S_BUFFER_BYTES);
VBUF_CHECK_OFFSET(vbuf_slot, holders, VBUF_S_HOLDERS);
_Static_assert(sizeof(struct vbuf_slot) == VBUF_SLOT_BYTES, "slot descriptor is 256 bytes");

VBUF_CHECK_OFFSET(vbuf_ring_header, head, VBUF_R_HEAD);
VBUF_CHECK_OFFSET(vbuf_ring_header, tail, VBUF_R_TAIL);
VBUF_CHECK_OFFSET(vbuf_ring_header, cells, VBUF_R_CELLS);

VBUF_CHECK_OFFSET(vbuf_group, name, VBUF_G_NAME);
VBUF_CHECK_OFFSET(vbuf_group, ring_offset, VBUF_G_RING_OFFSET);
VBUF_CHECK_OFFSET(vbuf_group, taken, VBUF_G_TAKEN);
VBUF_CHECK_OFFSET(vbuf_group, acquire_waits, VBUF_G_ACQUIRE_WAITS);
VBUF_CHECK_OFFSET(vbuf_group, acquire_timeouts, VBUF_G_ACQUIRE_TIMEOUTS);
VBUF_CHECK_OFFSET(vbuf_group, stale_skipped, VBUF_G_STALE_SKIPPED);
VBUF_CHECK_OFFSET(vbuf_group, futex, VBUF_G_FUTEX);
VBUF_CHECK_OFFSET(vbuf_group, waiters, VBUF_G_WAITERS);
VBUF_CHECK_OFFSET(vbuf_group, sleep_deadline, VBUF_G_SLEEP_DEADLINE);
VBUF_CHECK_OFFSET(vbuf_group, consumer_claim, VBUF_G_CONSUMER_CLAIM);
VBUF_CHECK_OFFSET(vbuf_group, dropped, VBUF_G_DROPPED);
VBUF_CHECK_OFFSET(vbuf_group, full_pops, VBUF_G_FULL_POPS);
VBUF_CHECK_OFFSET(vbuf_group, lost_to_crash, VBUF_G_LOST_TO_CRASH);
_Static_assert(sizeof(struct vbuf_group) == VBUF_GROUP_BYTES, "group record is 384 bytes");

VBUF_CHECK_OFFSET(vbuf_process, word, VBUF_PR_WORD);
VBUF_CHECK_OFFSET(vbuf_process, start_time, VBUF_PR_START_TIME);
VBUF_CHECK_OFFSET(vbuf_process, role, VBUF_PR_ROLE);
VBUF_CHECK_OFFSET(vbuf_process, attach_millis, VBUF_PR_ATTACH_MILLIS);
_Static_assert(sizeof(struct vbuf_process) == VBUF_PROCESS_BYTES, "process entry is 64 bytes");

/* ============================================================================================
 * Geometry: where everything is, recomputed from the counts (ControlBlock.Geometry.of)
 * ============================================================================================ */
struct vbuf_geometry {
    uint32_t slot_count, group_count, free_ring_capacity, group_ring_capacity, process_capacity;
    uint64_t slots_offset, free_ring_offset, groups_offset, group_rings_offset, process_offset, total_bytes;
};

static inline uint64_t vbuf_align(uint64_t v) { return (v + VBUF_ALIGN - 1) & ~(uint64_t)(VBUF_ALIGN - 1); }
static inline uint32_t vbuf_ceil_pow2(uint32_t v) {
    uint32_t p = 1;
    while (p < v) p <<= 1;
    return p;
}
static inline uint64_t vbuf_ring_bytes(uint32_t capacity) { return vbuf_align(VBUF_R_CELLS + (uint64_t)capacity * VBUF_CELL_BYTES); }

/* Counts must be in range (slots 1..65536, groups 1..16, processes 0..4096): the sums cannot overflow. */
static inline struct vbuf_geometry vbuf_geometry_of(uint32_t slots, uint32_t groups, uint32_t procs) {
    struct vbuf_geometry g;
    uint32_t cap = vbuf_ceil_pow2(2 * slots > 2 ? 2 * slots : 2);
    g.slot_count = slots;
    g.group_count = groups;
    g.process_capacity = procs;
    g.free_ring_capacity = cap;
    g.group_ring_capacity = cap;
    g.slots_offset = VBUF_HEADER_BYTES;
    g.free_ring_offset = g.slots_offset + (uint64_t)slots * VBUF_SLOT_BYTES;
    g.groups_offset = vbuf_align(g.free_ring_offset + vbuf_ring_bytes(cap));
    g.group_rings_offset = vbuf_align(g.groups_offset + (uint64_t)groups * VBUF_GROUP_BYTES);
    g.process_offset = vbuf_align(g.group_rings_offset + (uint64_t)groups * vbuf_ring_bytes(cap));
    g.total_bytes = vbuf_align(g.process_offset + (uint64_t)procs * VBUF_PROCESS_BYTES);
    return g;
}

static inline uint64_t vbuf_group_ring_offset(const struct vbuf_geometry *g, uint32_t group) {
    return g->group_rings_offset + (uint64_t)group * vbuf_ring_bytes(g->group_ring_capacity);
}

/* ============================================================================================
 * Pixel formats and the frame layout (dev.vbuf.format.PixelFormat and FrameLayout)
 *
 * H_FORMAT and S_FORMAT hold a format id: 0 = none, else the 1-based index in this table (the
 * Java enum's ordinal + 1). A plane's row holds (width / h_div) x unit_bytes bytes of data and
 * height / v_div rows; its stride is the row rounded up to the stride alignment, and each plane
 * starts at an offset aligned to it, right after the previous one. The frame's size is the end of
 * the last plane. 4:2:x formats need a width that is a multiple of 2 (width_multiple), 4:2:0
 * formats a height too (height_multiple). Width and height are 1..VBUF_MAX_DIMENSION, the stride
 * alignment a power of two 1..VBUF_MAX_STRIDE_ALIGN. docs/C-ABI.md has the table in prose.
 * ============================================================================================ */
#define VBUF_MAX_DIMENSION         16384
#define VBUF_MAX_STRIDE_ALIGN      4096
#define VBUF_FORMAT_COUNT          21
#define VBUF_FMT_NONE 0
#define VBUF_FMT_NV12 1
#define VBUF_FMT_NV21 2
#define VBUF_FMT_I420 3
#define VBUF_FMT_YV12 4
#define VBUF_FMT_NV16 5
#define VBUF_FMT_P010 6
#define VBUF_FMT_YUYV 7
#define VBUF_FMT_UYVY 8
#define VBUF_FMT_RGB24 9
#define VBUF_FMT_BGR24 10
#define VBUF_FMT_RGBA 11
#define VBUF_FMT_BGRA 12
#define VBUF_FMT_ARGB 13
#define VBUF_FMT_RGBA64 14
#define VBUF_FMT_GRAY8 15
#define VBUF_FMT_GRAY16 16
#define VBUF_FMT_I422 17
#define VBUF_FMT_I444 18
#define VBUF_FMT_I010 19
#define VBUF_FMT_I210 20
#define VBUF_FMT_I410 21

struct vbuf_plane_spec { uint8_t h_div, v_div, unit_bytes; };
struct vbuf_format_info {
    const char *name;
    uint8_t width_multiple, height_multiple, plane_count;
    struct vbuf_plane_spec plane[3];
};

/* The format with id 1..VBUF_FORMAT_COUNT, or NULL. */
static inline const struct vbuf_format_info *vbuf_format_info(uint32_t id) {
    static const struct vbuf_format_info table[VBUF_FORMAT_COUNT] = {
        {"NV12", 2, 2, 2, {{1, 1, 1}, {2, 2, 2}}},
        {"NV21", 2, 2, 2, {{1, 1, 1}, {2, 2, 2}}},
        {"I420", 2, 2, 3, {{1, 1, 1}, {2, 2, 1}, {2, 2, 1}}},
        {"YV12", 2, 2, 3, {{1, 1, 1}, {2, 2, 1}, {2, 2, 1}}},
        {"NV16", 2, 1, 2, {{1, 1, 1}, {2, 1, 2}}},
        {"P010", 2, 2, 2, {{1, 1, 2}, {2, 2, 4}}},
        {"YUYV", 2, 1, 1, {{2, 1, 4}}},
        {"UYVY", 2, 1, 1, {{2, 1, 4}}},
        {"RGB24", 1, 1, 1, {{1, 1, 3}}},
        {"BGR24", 1, 1, 1, {{1, 1, 3}}},
        {"RGBA", 1, 1, 1, {{1, 1, 4}}},
        {"BGRA", 1, 1, 1, {{1, 1, 4}}},
        {"ARGB", 1, 1, 1, {{1, 1, 4}}},
        {"RGBA64", 1, 1, 1, {{1, 1, 8}}},
        {"GRAY8", 1, 1, 1, {{1, 1, 1}}},
        {"GRAY16", 1, 1, 1, {{1, 1, 2}}},
        {"I422", 2, 1, 3, {{1, 1, 1}, {2, 1, 1}, {2, 1, 1}}},
        {"I444", 1, 1, 3, {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}}},
        {"I010", 2, 2, 3, {{1, 1, 2}, {2, 2, 2}, {2, 2, 2}}},
        {"I210", 2, 1, 3, {{1, 1, 2}, {2, 1, 2}, {2, 1, 2}}},
        {"I410", 1, 1, 3, {{1, 1, 2}, {1, 1, 2}, {1, 1, 2}}},
    };
    return id >= 1 && id <= VBUF_FORMAT_COUNT ? &table[id - 1] : NULL;
}

struct vbuf_plane { uint64_t offset, stride, row_bytes, rows; };

/*
 * The planes of a width x height frame of format id with the given stride alignment (all
 * already checked: see vbuf_layout_problem) into out[0 .. plane_count), and the frame's size.
 */
static inline uint64_t vbuf_layout(uint32_t id, uint32_t width, uint32_t height, uint32_t stride_align,
                                   struct vbuf_plane out[3]) {
    const struct vbuf_format_info *fi = vbuf_format_info(id);
    uint64_t a = stride_align, offset = 0;
    for (unsigned i = 0; fi && i < fi->plane_count; i++) {
        uint64_t row = (uint64_t)(width / fi->plane[i].h_div) * fi->plane[i].unit_bytes;
        uint64_t stride = (row + a - 1) & ~(a - 1);
        offset = (offset + a - 1) & ~(a - 1);
        out[i].offset = offset;
        out[i].stride = stride;
        out[i].row_bytes = row;
        out[i].rows = height / fi->plane[i].v_div;
        offset += stride * out[i].rows;
    }
    return offset;
}

/* ============================================================================================
 * A mapped, validated pool
 * ============================================================================================ */
struct vbuf_ring {
    struct vbuf_ring_header *hdr;
    uint64_t mask;
    unsigned shift;
    uint32_t capacity;
};

struct vbuf_pool {
    uint8_t *base;                 /* the mapping (the whole file) */
    uint64_t file_bytes;
    struct vbuf_geometry geo;      /* validated copies: never re-read from the file */
    uint64_t buffer_bytes, data_offset, buffer_stride;
    uint32_t width, height, format, stride_align;
    char group_names[VBUF_MAX_GROUPS][VBUF_GROUP_NAME_BYTES];
    struct vbuf_ring free_ring;
    struct vbuf_ring group_rings[VBUF_MAX_GROUPS];
    uint32_t me;                   /* this process's 1-based process-table index; 0 = not registered */
    uint32_t roles;                /* the declared roles (VBUF_SINGLE_PRODUCER, VBUF_SINGLE_CONSUMERS), read at attach */
    uint32_t claimed_groups;       /* groups whose consumer role this process holds (bit g) */
    bool producer_claimed;         /* this process holds the producer's role */
    char path[256];
    char problem[384];             /* after VBUF_ECORRUPT: the pool, the field and what to do */
};

/* A frame taken for a group. */
struct vbuf_frame {
    uint32_t slot, group;
    uint64_t gen;
    int64_t sequence, capture_nanos, pts, submit_nanos;
    uint64_t payload_bytes;
    uint32_t width, height, format, flags;
    const uint8_t *data;           /* payload_bytes bytes; NULL when the metadata failed a check */
    const char *problem;           /* why data is NULL (the frame must still be released) */
};

enum vbuf_result {
    VBUF_OK = 0,
    VBUF_NONE = 1,      /* nothing queued (try functions) */
    VBUF_BUSY = 2,      /* contention or stale entries kept us from finishing: call again */
    VBUF_END = 3,       /* end of stream: the producer closed the pool and the group's ring is empty */
    VBUF_TIMEDOUT = 4,
    VBUF_STOPPED = 5,   /* the caller's stop flag was set */
    VBUF_STALE = -2,    /* release of a frame this process no longer holds (it was recovered) */
    VBUF_EINVAL = -3,   /* bad argument (group index, not registered) */
    VBUF_ECORRUPT = -4, /* the pool's shared words hold what no party writes (a hostile or broken writer): the
                           pool's `problem` says which field; detach, remove the pool and start again */
    VBUF_EROLE = -5,    /* the pool admits one producer, or one consumer per group, and another live process holds
                           that role: the pool's `problem` names it and what to do */
};

/*
 * Bounds on every loop over shared state: a word that keeps changing, or holds what no party
 * writes, ends a loop in VBUF_ECORRUPT (with pool->problem naming the field) instead of a hang.
 * Honest contention needs a handful of retries; these are orders of magnitude above that.
 */
#define VBUF_CAS_RETRIES           VBUF_RING_RETRIES /* attempts of one CAS loop on one word */
#define VBUF_STUCK_HOLDER_CHECKS   64        /* busy looks at a holder before its process entry is checked */

static inline struct vbuf_header *vbuf_hdr(const struct vbuf_pool *p) { return (struct vbuf_header *)p->base; }
static inline struct vbuf_slot *vbuf_slot_at(const struct vbuf_pool *p, uint32_t s) {
    return (struct vbuf_slot *)(p->base + p->geo.slots_offset + (uint64_t)s * VBUF_SLOT_BYTES);
}
static inline struct vbuf_group *vbuf_group_at(const struct vbuf_pool *p, uint32_t g) {
    return (struct vbuf_group *)(p->base + p->geo.groups_offset + (uint64_t)g * VBUF_GROUP_BYTES);
}
static inline struct vbuf_process *vbuf_process_at(const struct vbuf_pool *p, uint32_t i) {
    return (struct vbuf_process *)(p->base + p->geo.process_offset + (uint64_t)i * VBUF_PROCESS_BYTES);
}
static inline bool vbuf_end_of_stream(const struct vbuf_pool *p) {
    return (atomic_load(&vbuf_hdr(p)->state) & VBUF_STATE_CLOSED) != 0;
}

/*
 * Formats a message into buf (always NUL-terminated, cut at len - 1). Through vsnprintf, so a
 * caller's buffer of any size never trips gcc's -Wformat-truncation in a -Werror build.
 */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int vbuf_msg(char *buf, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n;
}

/* Records why an operation on the pool gave up (VBUF_ECORRUPT): the pool file, the field, what to do. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline int vbuf_corrupt(struct vbuf_pool *p, const char *fmt, ...) {
    va_list ap;
    int n = vbuf_msg(p->problem, sizeof p->problem, "shared pool %s: ", p->path);
    if (n < 0 || (size_t)n >= sizeof p->problem) return VBUF_ECORRUPT;
    va_start(ap, fmt);
    int m = vsnprintf(p->problem + n, sizeof p->problem - (size_t)n, fmt, ap);
    va_end(ap);
    if (m >= 0 && (size_t)(n + m) < sizeof p->problem)
        vbuf_msg(p->problem + n + m, sizeof p->problem - (size_t)(n + m), "; a process wrote what no vbuf party writes"
                 " there. Detach, remove the pool (vbuf shm rm NAME) and start the producer again");
    return VBUF_ECORRUPT;
}

static inline uint64_t vbuf_rd64(const uint8_t *b, uint64_t off) { uint64_t v; memcpy(&v, b + off, 8); return v; }
static inline uint32_t vbuf_rd32(const uint8_t *b, uint64_t off) { uint32_t v; memcpy(&v, b + off, 4); return v; }

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF), as Java's decoder with REPORT. */
static inline bool vbuf_utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (i + len > n) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

static inline void vbuf_ring_init(struct vbuf_ring *r, uint8_t *base, uint64_t offset, uint32_t capacity) {
    r->hdr = (struct vbuf_ring_header *)(base + offset);
    r->capacity = capacity;
    r->mask = capacity - 1;
    r->shift = 0;
    while ((1u << r->shift) < capacity) r->shift++;
}

#define VBUF_INVALID(...) do { \
        int n_ = vbuf_msg(err, errlen, "shared pool file %s ", path); \
        if (n_ >= 0 && (size_t)n_ < errlen) n_ += vbuf_msg(err + n_, errlen - (size_t)n_, __VA_ARGS__); \
        if (n_ >= 0 && (size_t)n_ < errlen) vbuf_msg(err + n_, errlen - (size_t)n_, "; it was not written by a" \
            " compatible vbuf, or it is damaged. Remove it (vbuf shm rm NAME) and start the producer again"); \
        return -1; \
    } while (0)

/*
 * Validates a mapped pool file of file_bytes bytes (at least VBUF_HEADER_BYTES: check that
 * before mapping) and fills *p. Works on a snapshot of the header: every offset kept in *p was
 * checked, and none is read from the file again. Returns 0, or -1 with a message in err naming
 * the file, what is wrong and what to do (the same rules and order as Java's PoolFileValidator.validate).
 */
static inline int vbuf_validate(uint8_t *base, uint64_t file_bytes, const char *path, struct vbuf_pool *p,
                                char *err, size_t errlen) {
    if (file_bytes < VBUF_HEADER_BYTES)
        VBUF_INVALID("is %llu bytes long, shorter than the %d-byte header: truncated, or not a vbuf pool",
                     (unsigned long long)file_bytes, VBUF_HEADER_BYTES);
    uint64_t magic = atomic_load_explicit(&((struct vbuf_header *)base)->magic, memory_order_acquire);
    uint8_t h[VBUF_HEADER_BYTES];
    memcpy(h, base, sizeof h);
    if (magic == 0) VBUF_INVALID("has no magic number yet (its creator is still formatting it, or died doing so)");
    if (magic != VBUF_MAGIC)
        VBUF_INVALID("has magic 0x%llx, not 0x%llx (\"VBUFPOOL\"): not a vbuf pool",
                     (unsigned long long)magic, (unsigned long long)VBUF_MAGIC);
    uint32_t version = vbuf_rd32(h, VBUF_H_VERSION);
    if (version != VBUF_VERSION) VBUF_INVALID("has layout version %u; this header reads version %d", version, VBUF_VERSION);
    uint32_t header_bytes = vbuf_rd32(h, VBUF_H_HEADER_BYTES), slot_bytes = vbuf_rd32(h, VBUF_H_SLOT_BYTES);
    if (header_bytes != VBUF_HEADER_BYTES || slot_bytes != VBUF_SLOT_BYTES)
        VBUF_INVALID("declares a %u-byte header and %u-byte slots; version %d has %d and %d", header_bytes, slot_bytes,
                     VBUF_VERSION, VBUF_HEADER_BYTES, VBUF_SLOT_BYTES);
    int32_t slots = (int32_t)vbuf_rd32(h, VBUF_H_SLOT_COUNT);
    int32_t groups = (int32_t)vbuf_rd32(h, VBUF_H_GROUP_COUNT);
    int32_t procs = (int32_t)vbuf_rd32(h, VBUF_H_PROCESS_CAPACITY);
    if (slots < 1 || slots > VBUF_MAX_BUFFERS) VBUF_INVALID("declares slot count %d, outside 1..%d", slots, VBUF_MAX_BUFFERS);
    if (groups < 1 || groups > VBUF_MAX_GROUPS) VBUF_INVALID("declares group count %d, outside 1..%d", groups, VBUF_MAX_GROUPS);
    if (procs < 1 || procs > VBUF_MAX_PROCESS_CAPACITY)
        VBUF_INVALID("declares process table capacity %d, outside 1..%d", procs, VBUF_MAX_PROCESS_CAPACITY);
    struct vbuf_geometry g = vbuf_geometry_of((uint32_t)slots, (uint32_t)groups, (uint32_t)procs);
#define VBUF_EXPECT(what, found, expected) do { \
        if ((uint64_t)(found) != (uint64_t)(expected)) \
            VBUF_INVALID("declares %s %lld where its counts give %lld", what, (long long)(found), (long long)(expected)); \
    } while (0)
    VBUF_EXPECT("free ring capacity", (int32_t)vbuf_rd32(h, VBUF_H_FREE_RING_CAPACITY), g.free_ring_capacity);
    VBUF_EXPECT("group ring capacity", (int32_t)vbuf_rd32(h, VBUF_H_GROUP_RING_CAPACITY), g.group_ring_capacity);
    VBUF_EXPECT("slots offset", vbuf_rd64(h, VBUF_H_SLOTS_OFFSET), g.slots_offset);
    VBUF_EXPECT("free ring offset", vbuf_rd64(h, VBUF_H_FREE_RING_OFFSET), g.free_ring_offset);
    VBUF_EXPECT("groups offset", vbuf_rd64(h, VBUF_H_GROUPS_OFFSET), g.groups_offset);
    VBUF_EXPECT("process table offset", vbuf_rd64(h, VBUF_H_PROCESS_OFFSET), g.process_offset);
    VBUF_EXPECT("control block size", vbuf_rd64(h, VBUF_H_TOTAL_BYTES), g.total_bytes);
    if (g.total_bytes > file_bytes)
        VBUF_INVALID("is %llu bytes long but its control block needs %llu: truncated",
                     (unsigned long long)file_bytes, (unsigned long long)g.total_bytes);
    int64_t buffer_bytes = (int64_t)vbuf_rd64(h, VBUF_H_BUFFER_BYTES);
    int64_t data_offset = (int64_t)vbuf_rd64(h, VBUF_H_DATA_OFFSET);
    int64_t stride = (int64_t)vbuf_rd64(h, VBUF_H_BUFFER_STRIDE);
    if (buffer_bytes < 1 || stride < buffer_bytes || stride % VBUF_PAGE != 0)
        VBUF_INVALID("declares buffers of %lld bytes every %lld bytes; a buffer must be at least 1 byte and the stride a"
                     " multiple of %d not below it", (long long)buffer_bytes, (long long)stride, VBUF_PAGE);
    if (data_offset < (int64_t)g.total_bytes || data_offset % VBUF_PAGE != 0)
        VBUF_INVALID("puts its buffers at offset %lld, inside the control block (ends at %llu) or not page-aligned",
                     (long long)data_offset, (unsigned long long)g.total_bytes);
    /* stride <= 2^63 / 65536 or the product overflows: checked without overflowing */
    uint64_t end = 0;
    bool overflow = (uint64_t)stride > (UINT64_MAX - (uint64_t)data_offset) / (uint64_t)slots;
    if (!overflow) end = (uint64_t)data_offset + (uint64_t)stride * (uint64_t)slots;
    if (overflow || end > file_bytes)
        VBUF_INVALID("is %llu bytes long but its %d buffers of %lld bytes from offset %lld end at %s%llu: truncated",
                     (unsigned long long)file_bytes, slots, (long long)stride, (long long)data_offset,
                     overflow ? "an overflowing offset " : "", (unsigned long long)end);
    memset(p, 0, sizeof *p);
    for (int32_t i = 0; i < groups; i++) {
        uint8_t rec[40];
        memcpy(rec, base + g.groups_offset + (uint64_t)i * VBUF_GROUP_BYTES, sizeof rec);
        uint64_t ro = vbuf_rd64(rec, VBUF_G_RING_OFFSET);
        if (ro != vbuf_group_ring_offset(&g, (uint32_t)i)) {
            char what[40];
            snprintf(what, sizeof what, "group %d ring offset", i);
            VBUF_EXPECT(what, ro, vbuf_group_ring_offset(&g, (uint32_t)i));
        }
        size_t len = 0;
        while (len < VBUF_GROUP_NAME_BYTES && rec[len] != 0) len++;
        if (len == 0 || len == VBUF_GROUP_NAME_BYTES)
            VBUF_INVALID("has a group %d name that is empty or not NUL-terminated within %d bytes", i, VBUF_GROUP_NAME_BYTES);
        if (!vbuf_utf8_valid(rec, len)) VBUF_INVALID("has a group %d name that is not UTF-8", i);
        memcpy(p->group_names[i], rec, len);
        p->group_names[i][len] = 0;
        for (int32_t j = 0; j < i; j++)
            if (strcmp(p->group_names[j], p->group_names[i]) == 0)
                VBUF_INVALID("names consumer group '%s' twice (groups %d and %d): consumers could not tell them apart",
                             p->group_names[i], j, i);
    }
#undef VBUF_EXPECT
    uint32_t format = vbuf_rd32(h, VBUF_H_FORMAT);
    if (format != 0) {
        int64_t w = (int32_t)vbuf_rd32(h, VBUF_H_WIDTH), ht = (int32_t)vbuf_rd32(h, VBUF_H_HEIGHT);
        int64_t sa = (int32_t)vbuf_rd32(h, VBUF_H_STRIDE_ALIGN);
        if ((int32_t)format < 1 || format > VBUF_FORMAT_COUNT)
            VBUF_INVALID("declares pixel format id %d, outside 1..%d", (int32_t)format, VBUF_FORMAT_COUNT);
        const struct vbuf_format_info *fi = vbuf_format_info(format);
        if (w < 1 || w > VBUF_MAX_DIMENSION) VBUF_INVALID("declares width %lld, outside 1..%d", (long long)w, VBUF_MAX_DIMENSION);
        if (ht < 1 || ht > VBUF_MAX_DIMENSION) VBUF_INVALID("declares height %lld, outside 1..%d", (long long)ht, VBUF_MAX_DIMENSION);
        if (sa < 1 || sa > VBUF_MAX_STRIDE_ALIGN)
            VBUF_INVALID("declares stride alignment %lld, outside 1..%d", (long long)sa, VBUF_MAX_STRIDE_ALIGN);
        if ((sa & (sa - 1)) != 0)
            VBUF_INVALID("declares a frame layout vbuf rejects (stride alignment %lld is not a power of two)", (long long)sa);
        if (w % fi->width_multiple != 0)
            VBUF_INVALID("declares a frame layout vbuf rejects (width %lld of %s is not a multiple of %d)", (long long)w,
                         fi->name, fi->width_multiple);
        if (ht % fi->height_multiple != 0)
            VBUF_INVALID("declares a frame layout vbuf rejects (height %lld of %s is not a multiple of %d)", (long long)ht,
                         fi->name, fi->height_multiple);
        struct vbuf_plane planes[3];
        uint64_t frame = vbuf_layout(format, (uint32_t)w, (uint32_t)ht, (uint32_t)sa, planes);
        if (frame > (uint64_t)buffer_bytes)
            VBUF_INVALID("declares %s %lldx%lld frames of %llu bytes in buffers of %lld", fi->name, (long long)w,
                         (long long)ht, (unsigned long long)frame, (long long)buffer_bytes);
    }
    p->base = base;
    p->file_bytes = file_bytes;
    p->geo = g;
    p->buffer_bytes = (uint64_t)buffer_bytes;
    p->data_offset = (uint64_t)data_offset;
    p->buffer_stride = (uint64_t)stride;
    p->format = vbuf_rd32(h, VBUF_H_FORMAT);
    p->width = vbuf_rd32(h, VBUF_H_WIDTH);
    p->height = vbuf_rd32(h, VBUF_H_HEIGHT);
    p->stride_align = vbuf_rd32(h, VBUF_H_STRIDE_ALIGN);
    p->roles = vbuf_rd32(h, VBUF_H_FLAGS) & (VBUF_SINGLE_PRODUCER | VBUF_SINGLE_CONSUMERS);
    p->claimed_groups = 0;
    p->producer_claimed = false;
    vbuf_ring_init(&p->free_ring, base, g.free_ring_offset, g.free_ring_capacity);
    for (int32_t i = 0; i < groups; i++)
        vbuf_ring_init(&p->group_rings[i], base, vbuf_group_ring_offset(&g, (uint32_t)i), g.group_ring_capacity);
    size_t plen = strnlen(path, sizeof p->path - 1); /* a longer path is cut (messages only): no format truncation */
    memcpy(p->path, path, plen);
    p->path[plen] = 0;
    return 0;
}

/* The index of the group named `name`, or -1. */
static inline int vbuf_group_index(const struct vbuf_pool *p, const char *name) {
    for (uint32_t i = 0; i < p->geo.group_count; i++)
        if (strcmp(p->group_names[i], name) == 0) return (int)i;
    return -1;
}

enum { VBUF_ATTACH_ALLOW_GROUP_WRITABLE = 1 };

/*
 * Opens (O_RDWR|O_NOFOLLOW), checks (regular file, owned by this user, no write bit for group or
 * others unless VBUF_ATTACH_ALLOW_GROUP_WRITABLE, at least a header long), maps and validates
 * the pool file at `path`. Returns 0, or -1 with a message in err.
 */
static inline int vbuf_attach(const char *path, int flags, struct vbuf_pool *p, char *err, size_t errlen) {
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            vbuf_msg(err, errlen, "no shared pool at %s (the file does not exist); start its producer first"
                     " (e.g. 'vbuf run --shared NAME'), or list pools with 'vbuf shm ls'", path);
        else if (e == ELOOP)
            vbuf_msg(err, errlen, "%s is a symbolic link; vbuf never follows links to a shared pool. Remove it"
                     " ('vbuf shm rm NAME')", path);
        else if (e == EISDIR)
            vbuf_msg(err, errlen, "%s is a directory, not a shared pool file; remove or rename it (rmdir, or 'vbuf shm rm"
                     " NAME' when it is empty), or give the pool another name", path);
        else if (e == EACCES || e == EPERM)
            vbuf_msg(err, errlen, "cannot open shared pool %s: %s (errno %d); run as the pool's owner, or check the"
                     " permissions of the file and its directory", path, strerror(e), e);
        else
            vbuf_msg(err, errlen, "cannot open shared pool %s: %s (errno %d); check that the path is a vbuf pool file"
                     " ('vbuf shm ls')", path, strerror(e), e);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        vbuf_msg(err, errlen, "cannot fstat %s: %s (errno %d)", path, strerror(e), e);
        return -1;
    }
    const char *refuse = NULL;
    char why[200];
    mode_t forbidden = (flags & VBUF_ATTACH_ALLOW_GROUP_WRITABLE) ? 0002 : 0022;
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, sizeof why, "is not a regular file (mode 0%o); refusing to attach. Remove it ('vbuf shm rm NAME')",
                 (unsigned)st.st_mode);
        refuse = why;
    } else if (st.st_uid != getuid()) {
        snprintf(why, sizeof why, "belongs to uid %u, not to this user (uid %u); a pool is attached only by its owner's"
                 " processes", (unsigned)st.st_uid, (unsigned)getuid());
        refuse = why;
    } else if ((st.st_mode & forbidden) != 0) {
        snprintf(why, sizeof why, "has mode 0%o, writable by %s; any of them could corrupt the pool. Accepted: no write"
                 " bit for %s (0600 is the default)", (unsigned)(st.st_mode & 07777),
                 (st.st_mode & 0002) ? "everyone" : "its group", forbidden == 0002 ? "others" : "group or others");
        refuse = why;
    }
    if (refuse) {
        close(fd);
        vbuf_msg(err, errlen, "%s %s", path, refuse);
        return -1;
    }
    if ((uint64_t)st.st_size < VBUF_HEADER_BYTES) {
        close(fd);
        vbuf_msg(err, errlen, "shared pool file %s is %lld bytes long, shorter than the %d-byte header: truncated, or"
                 " not a vbuf pool. Remove it (vbuf shm rm NAME) and start the producer again",
                 path, (long long)st.st_size, VBUF_HEADER_BYTES);
        return -1;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        vbuf_msg(err, errlen, "cannot map %s (%lld bytes): %s (errno %d)", path, (long long)st.st_size, strerror(e), e);
        return -1;
    }
    if (vbuf_validate((uint8_t *)m, (uint64_t)st.st_size, path, p, err, errlen) != 0) {
        munmap(m, (size_t)st.st_size);
        return -1;
    }
    return 0;
}

static inline void vbuf_detach(struct vbuf_pool *p) {
    if (p->base) munmap(p->base, (size_t)p->file_bytes);
    p->base = NULL;
}

/* ============================================================================================
 * Ring operations (MpmcRing), lock-free; nothing here can index outside the ring
 * ============================================================================================ */
static inline uint64_t vbuf_ring_lap(const struct vbuf_ring *r, uint64_t pos) { return (pos >> r->shift) & VBUF_RING_LAP_MASK; }
static inline uint64_t vbuf_cell_empty(uint64_t lap) { return (lap & VBUF_RING_LAP_MASK) << VBUF_RING_LAP_SHIFT; }
static inline uint64_t vbuf_cell_full(uint64_t lap, uint64_t v) { return vbuf_cell_empty(lap) | VBUF_RING_FULL | v; }
static inline _Atomic uint64_t *vbuf_ring_cell(const struct vbuf_ring *r, uint64_t pos) { return &r->hdr->cells[pos & r->mask]; }

static inline uint64_t vbuf_ring_head(const struct vbuf_ring *r) { return atomic_load(&r->hdr->head); }

/* Moves the head from h to h + 1 if nobody has yet. */
static inline void vbuf_ring_advance(const struct vbuf_ring *r, uint64_t h) {
    uint64_t expect = h;
    atomic_compare_exchange_strong(&r->hdr->head, &expect, h + 1);
}

/*
 * The value at position h if it is still there (>= 0), else VBUF_RING_EMPTY (nothing written
 * there yet and h is still the head), VBUF_RING_TAKEN (taken, head not advanced: advance it) or
 * VBUF_RING_RETRY.
 */
static inline int64_t vbuf_ring_peek(const struct vbuf_ring *r, uint64_t h) {
    uint64_t c = atomic_load(vbuf_ring_cell(r, h)); /* SYNC POINT: pairs with the offer's cell CAS */
    uint64_t lap = vbuf_ring_lap(r, h);
    if ((c & ~VBUF_RING_VALUE_MASK) == (vbuf_cell_empty(lap) | VBUF_RING_FULL)) return (int64_t)(c & VBUF_RING_VALUE_MASK);
    /* Taken (EMPTY of the next lap), or taken and already written again for position
     * h + capacity (FULL of the next lap: the head was not yet advanced past h). */
    if (c == vbuf_cell_empty(lap + 1) || (c & ~VBUF_RING_VALUE_MASK) == (vbuf_cell_empty(lap + 1) | VBUF_RING_FULL))
        return VBUF_RING_TAKEN;
    if (c == vbuf_cell_empty(lap) && vbuf_ring_head(r) == h) return VBUF_RING_EMPTY;
    return VBUF_RING_RETRY;
}

/* Takes v out of position h (one CAS) and advances the head; false if someone else took it. */
static inline bool vbuf_ring_remove(const struct vbuf_ring *r, uint64_t h, uint64_t v) {
    uint64_t lap = vbuf_ring_lap(r, h);
    uint64_t expect = vbuf_cell_full(lap, v);
    bool took = atomic_compare_exchange_strong(vbuf_ring_cell(r, h), &expect, vbuf_cell_empty(lap + 1));
    vbuf_ring_advance(r, h);
    return took;
}

enum { VBUF_RING_GAVE_UP = -4 }; /* poll: the head cell kept changing for VBUF_CAS_RETRIES looks */

/* Queues v (0..2^46-1): 1 queued, 0 the ring is full, -1 gave up after VBUF_CAS_RETRIES looks at
   a tail and cells that kept changing under it (a hostile writer: honest peers finish in a few). */
static inline int vbuf_ring_try_offer(const struct vbuf_ring *r, uint64_t v) {
    v &= VBUF_RING_VALUE_MASK;
    for (long tries = 0; tries < VBUF_CAS_RETRIES; tries++) {
        uint64_t t = atomic_load(&r->hdr->tail);
        _Atomic uint64_t *cell = vbuf_ring_cell(r, t);
        uint64_t c = atomic_load(cell);
        uint64_t lap = vbuf_ring_lap(r, t);
        if (c == vbuf_cell_empty(lap)) {
            if (atomic_compare_exchange_strong(cell, &c, vbuf_cell_full(lap, v))) { /* SYNC POINT: the value is in */
                uint64_t expect = t;
                atomic_compare_exchange_strong(&r->hdr->tail, &expect, t + 1);
                return 1;
            }
        } else if ((c & ~VBUF_RING_VALUE_MASK) == (vbuf_cell_empty(lap) | VBUF_RING_FULL) || c == vbuf_cell_empty(lap + 1)) {
            uint64_t expect = t; /* written (maybe read) at t: help the tail on */
            atomic_compare_exchange_strong(&r->hdr->tail, &expect, t + 1);
        } else if ((c & ~VBUF_RING_VALUE_MASK) == (vbuf_cell_empty(lap - 1) | VBUF_RING_FULL)) {
            if (atomic_load(&r->hdr->tail) == t) return 0; /* one lap back still unread: full */
        } else if (atomic_load(&r->hdr->tail) == t) {
            /* the tail has not moved, yet the cell is none of the shapes a party writes at this
               position: a hostile writer put it there. Reset it rather than spin for ever. */
            atomic_compare_exchange_strong(cell, &c, vbuf_cell_empty(lap));
        }
        /* else: the tail we read is stale; read it again */
    }
    return -1;
}

/* Queues v; false when the ring is full (or kept changing: see vbuf_ring_try_offer). */
static inline bool vbuf_ring_offer(const struct vbuf_ring *r, uint64_t v) { return vbuf_ring_try_offer(r, v) > 0; }

/*
 * After peek said RETRY: if h is still the head, its cell can only be EMPTY(lap), FULL(lap, v),
 * EMPTY(lap + 1) or FULL(lap + 1, v) (taken, head not yet advanced, written again for position
 * h + capacity); anything else was written by a hostile (or broken) peer. Such a cell is
 * taken out like a value and the head moved on, so nobody spins on it. True when it repaired
 * one (count it as stale).
 */
static inline bool vbuf_ring_repair_head(const struct vbuf_ring *r, uint64_t h) {
    _Atomic uint64_t *cell = vbuf_ring_cell(r, h);
    uint64_t c = atomic_load(cell);
    uint64_t lap = vbuf_ring_lap(r, h);
    if (c == vbuf_cell_empty(lap) || c == vbuf_cell_empty(lap + 1)
            || (c & ~VBUF_RING_VALUE_MASK) == (vbuf_cell_empty(lap) | VBUF_RING_FULL)
            || (c & ~VBUF_RING_VALUE_MASK) == (vbuf_cell_empty(lap + 1) | VBUF_RING_FULL) || vbuf_ring_head(r) != h)
        return false;
    bool fixed = atomic_compare_exchange_strong(cell, &c, vbuf_cell_empty(lap + 1));
    vbuf_ring_advance(r, h);
    return fixed;
}

/* The oldest value, VBUF_RING_EMPTY, or VBUF_RING_GAVE_UP (the head kept changing under us). */
static inline int64_t vbuf_ring_poll(const struct vbuf_ring *r) {
    for (long tries = 0; tries < VBUF_CAS_RETRIES; tries++) {
        uint64_t h = vbuf_ring_head(r);
        int64_t v = vbuf_ring_peek(r, h);
        if (v >= 0) {
            if (vbuf_ring_remove(r, h, (uint64_t)v)) return v;
        } else if (v == VBUF_RING_TAKEN) {
            vbuf_ring_advance(r, h);
        } else if (v == VBUF_RING_EMPTY) {
            return VBUF_RING_EMPTY;
        } else {
            vbuf_ring_repair_head(r, h);
        }
    }
    return VBUF_RING_GAVE_UP;
}

/* Entries queued: exact when quiescent, a snapshot otherwise. */
static inline uint32_t vbuf_ring_size(const struct vbuf_ring *r) {
    uint64_t head = vbuf_ring_head(r), tail = atomic_load(&r->hdr->tail);
    for (int tries = 0; tries < 64 && head != vbuf_ring_head(r); tries++) { /* bounded: a head that never settles */
        head = vbuf_ring_head(r);
        tail = atomic_load(&r->hdr->tail);
    }
    int64_t d = (int64_t)(tail - head);
    return d <= 0 ? 0 : d >= (int64_t)r->capacity ? r->capacity : (uint32_t)d;
}

/* ============================================================================================
 * Futex (shared, not FUTEX_PRIVATE_FLAG: the sleeper and the waker are different processes)
 * ============================================================================================ */
static inline int64_t vbuf_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleeps while *word == expected, at most timeout_ns; returns 0, or -1 with errno (EAGAIN, ETIMEDOUT, EINTR). */
static inline int vbuf_futex_wait(_Atomic uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts = { (time_t)(timeout_ns / 1000000000LL), (long)(timeout_ns % 1000000000LL) };
    return (int)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expected, &ts, NULL, 0);
}

static inline void vbuf_futex_wake_all(_Atomic uint32_t *word) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Raises *word to at least v (signed comparison of CLOCK_MONOTONIC values). */
static inline void vbuf_set_max(_Atomic int64_t *word, int64_t v) {
    int64_t cur = atomic_load(word);
    for (int tries = 0; tries < 64 && cur - v < 0; tries++) /* bounded: a word someone keeps lowering */
        if (atomic_compare_exchange_strong(word, &cur, v)) return;
}

/*
 * Wakes the sleepers on a futex word, if any: one load when nobody registered. A sleeper also
 * renews a deadline a little beyond the longest sleep, so a sleeper that was SIGKILLed (and
 * never took its count back) stops costing wake-up system calls once its deadline passes.
 */
static inline void vbuf_wake(_Atomic uint32_t *word, _Atomic uint32_t *waiters, _Atomic int64_t *deadline) {
    if (atomic_load(waiters) != 0 && vbuf_now_ns() - atomic_load(deadline) < 0) {
        atomic_fetch_add(word, 1);
        vbuf_futex_wake_all(word);
    }
}

/*
 * Sleeps on `word` until woken, at most max_ns and at most VBUF_MAX_SLEEP_NANOS (so end of
 * stream, a stop flag and dead peers are noticed), unless `ring` already has an entry.
 * Registers as a waiter (count, then deadline) first, so that a peer that queues after our
 * check sees the waiter and wakes us.
 */
static inline void vbuf_sleep_on(const struct vbuf_pool *p, _Atomic uint32_t *word, _Atomic uint32_t *waiters,
                                 _Atomic int64_t *deadline, const struct vbuf_ring *ring, int64_t max_ns) {
    atomic_fetch_add(waiters, 1);
    vbuf_set_max(deadline, vbuf_now_ns() + VBUF_MAX_SLEEP_NANOS + VBUF_SLEEP_DEADLINE_SLACK_NANOS);
    uint32_t v = atomic_load(word);
    if (vbuf_ring_size(ring) == 0 && !vbuf_end_of_stream(p) && max_ns > 0)
        vbuf_futex_wait(word, v, max_ns < VBUF_MAX_SLEEP_NANOS ? max_ns : VBUF_MAX_SLEEP_NANOS);
    atomic_fetch_sub(waiters, 1);
}

static inline void vbuf_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ============================================================================================
 * The process table
 * ============================================================================================ */

/* Field 22 of /proc/PID/stat (start time in clock ticks after boot), or -1 (no such live process). */
static inline int64_t vbuf_proc_start_time(long pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *close_paren = strrchr(buf, ')'); /* comm may hold spaces and parentheses: the last ')' ends it */
    if (!close_paren || close_paren[1] != ' ') return -1;
    char *f = close_paren + 2; /* field 3 (state) */
    if (*f == 'Z' || *f == 'X' || *f == 'x') return -1;
    for (int field = 3; field < 22; field++) {
        f = strchr(f, ' ');
        if (!f) return -1;
        f++;
    }
    int64_t v = 0;
    if (*f < '0' || *f > '9') return -1;
    while (*f >= '0' && *f <= '9') v = v * 10 + (*f++ - '0');
    return v;
}

/*
 * Claims an entry of the process table for this process (CAS of its word 0 -> pid << 8 |
 * CLAIMING, then start time, role and attach time, then pid << 8 | LIVE with a release store:
 * a freed entry keeps its last process's start time, and a reader trusts the start time only
 * under LIVE), so that the survivors can recover what this process holds if it dies. Returns 0
 * (p->me is the 1-based index), or -1 with a message.
 */
static inline int vbuf_register(struct vbuf_pool *p, char *err, size_t errlen) {
    long pid = (long)getpid();
    int64_t start = vbuf_proc_start_time(pid);
    for (uint32_t i = 0; i < p->geo.process_capacity; i++) {
        struct vbuf_process *e = vbuf_process_at(p, i);
        uint64_t expect = 0;
        if (atomic_load(&e->word) != 0) continue;
        if (atomic_compare_exchange_strong(&e->word, &expect, ((uint64_t)pid << 8) | VBUF_PROC_CLAIMING)) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            atomic_store_explicit(&e->start_time, start > 0 ? (uint64_t)start : 0, memory_order_relaxed);
            atomic_store_explicit(&e->role, VBUF_ROLE_ATTACHED, memory_order_relaxed);
            atomic_store_explicit(&e->attach_millis, (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000,
                                  memory_order_relaxed);
            atomic_store_explicit(&e->word, ((uint64_t)pid << 8) | VBUF_PROC_LIVE, memory_order_release); /* SYNC POINT */
            p->me = i + 1;
            return 0;
        }
    }
    uint32_t dead = 0;
    for (uint32_t i = 0; i < p->geo.process_capacity; i++) {
        struct vbuf_process *e = vbuf_process_at(p, i);
        uint64_t w = atomic_load(&e->word);
        if (w == 0 || (w & 0xFF) == VBUF_PROC_CLAIMING) continue;
        int64_t st = vbuf_proc_start_time((long)(w >> 8));
        uint64_t recorded = atomic_load(&e->start_time);
        if (st < 0 || (recorded != 0 && (uint64_t)st != recorded)) dead++;
    }
    if (dead > 0)
        vbuf_msg(err, errlen, "shared pool %s has all %u process entries in use, %u of them by processes that are gone;"
                 " a Java peer of the pool frees those within its reclaim delay (1 s by default): try again then, or"
                 " stop the pool's processes and create it again", p->path, p->geo.process_capacity, dead);
    else
        vbuf_msg(err, errlen, "shared pool %s has all %u process entries in use by live processes; stop some of them,"
                 " or create the pool with a larger process capacity", p->path, p->geo.process_capacity);
    return -1;
}

/*
 * Whether process entry idx (1-based, in range) is held by a live process: LIVE, and its pid's
 * start time is the one recorded (a recycled pid is not the same process).
 */
static inline bool vbuf_entry_alive(const struct vbuf_pool *p, uint32_t idx) {
    struct vbuf_process *e = vbuf_process_at(p, idx - 1);
    uint64_t w = atomic_load(&e->word);
    if ((w & 0xFF) != VBUF_PROC_LIVE) return false;
    int64_t st = vbuf_proc_start_time((long)(w >> 8));
    uint64_t recorded = atomic_load(&e->start_time);
    return st >= 0 && (recorded == 0 || (uint64_t)st == recorded);
}

/*
 * Claims a declared role at *claim (HandOff.claimRole): kept if it names this process, taken if
 * it names none, a dead process (its recovery clears it too) or no entry of the table; refused
 * with VBUF_EROLE (p->problem says who holds it and what to do) if it names a live process.
 * group < 0: the producer's role.
 */
static inline int vbuf_claim_role(struct vbuf_pool *p, _Atomic uint32_t *claim, int group) {
    for (uint32_t tries = 0; tries < VBUF_CAS_RETRIES; tries++) {
        uint32_t c = atomic_load(claim);
        if (c == p->me) return VBUF_OK;
        if (c != 0 && c <= p->geo.process_capacity && vbuf_entry_alive(p, c)) {
            long pid = (long)(atomic_load(&vbuf_process_at(p, c - 1)->word) >> 8);
            if (group < 0)
                vbuf_msg(p->problem, sizeof p->problem, "shared pool %s was created for one producer at a time, and"
                         " process %ld is producing into it; stop that producer (or let it close the pool) and try"
                         " again, or create the pool for several producers", p->path, pid);
            else
                vbuf_msg(p->problem, sizeof p->problem, "shared pool %s was created for one consumer per group, and"
                         " process %ld is reading group '%s'; stop that consumer first, read another group, or create"
                         " the pool for several consumers per group", p->path, pid, p->group_names[group]);
            return VBUF_EROLE;
        }
        if (atomic_compare_exchange_strong(claim, &c, p->me)) return VBUF_OK;
    }
    if (group < 0) return vbuf_corrupt(p, "the producer's claim keeps changing");
    return vbuf_corrupt(p, "group '%s''s consumer claim keeps changing", p->group_names[group]);
}

/* The consumer's role of group g, claimed once per process (a pool declaring one consumer per group). */
static inline int vbuf_claim_group(struct vbuf_pool *p, uint32_t g) {
    if (!(p->roles & VBUF_SINGLE_CONSUMERS) || (p->claimed_groups & (1u << g))) return VBUF_OK;
    int r = vbuf_claim_role(p, &vbuf_group_at(p, g)->consumer_claim, (int)g);
    if (r == VBUF_OK) p->claimed_groups |= 1u << g;
    return r;
}

/* The producer's role, claimed once per process (a pool declaring one producer). */
static inline int vbuf_claim_producer(struct vbuf_pool *p) {
    if (!(p->roles & VBUF_SINGLE_PRODUCER) || p->producer_claimed) return VBUF_OK;
    int r = vbuf_claim_role(p, &vbuf_hdr(p)->producer_claim, -1);
    if (r == VBUF_OK) p->producer_claimed = true;
    return r;
}

/* ============================================================================================
 * Consumer protocol
 * ============================================================================================ */

/*
 * Returns IDLE slot s (generation gen) to the free ring and wakes producers asleep on it. The
 * ring has room for two entries per slot, so it is full only after crash recovery queued
 * duplicates: then its oldest entries are popped, and any that is still a live free slot is
 * queued again, so no slot is lost (FramePool.offerFree).
 */
static inline bool vbuf_is_live_free(const struct vbuf_pool *p, uint64_t e) {
    uint32_t s = vbuf_entry_slot(e);
    if (s >= p->geo.slot_count) return false;
    uint64_t w = atomic_load(&vbuf_slot_at(p, s)->word);
    return vbuf_sw_phase(w) == VBUF_SW_FREE && vbuf_sw_gen(w) == vbuf_entry_gen(e);
}

/*
 * A popped entry is queued again only if it is a live free slot popped for the first time in
 * this call: a free slot needs one entry, so a value popped twice is a duplicate (left by
 * recovery, or written by a hostile process) and is dropped. At most slotCount distinct live
 * entries exist and the ring holds two per slot, so the loop ends; it is bounded all the same.
 * Returns VBUF_OK, or VBUF_ECORRUPT (pool->problem says why) when the ring stays full anyway.
 */
static inline int vbuf_offer_free(struct vbuf_pool *p, uint32_t s, uint64_t gen) {
    enum { STACK = 32, SEEN = 64 };
    uint64_t todo[STACK], seen[SEEN];
    int n = 0, nseen = 0;
    todo[n++] = vbuf_entry(s, gen);
    long rounds = 0, limit = 4L * p->free_ring.capacity + 64;
    while (n > 0) {
        uint64_t e = todo[n - 1];
        int q = vbuf_ring_try_offer(&p->free_ring, e);
        if (q > 0) { n--; continue; }
        if (q < 0 || ++rounds > limit || n == STACK)
            return vbuf_corrupt(p, "the free ring (offset %llu) stays full of entries that are not free slots, or keeps"
                                " changing, while slot %u is returned", (unsigned long long)p->geo.free_ring_offset, s);
        int64_t old = vbuf_ring_poll(&p->free_ring);
        if (old < 0 || (uint64_t)old == e || !vbuf_is_live_free(p, (uint64_t)old)) continue;
        bool dup = false;
        for (int k = 0; k < nseen && !dup; k++) dup = seen[k] == (uint64_t)old;
        for (int k = 0; k < n && !dup; k++) dup = todo[k] == (uint64_t)old;
        if (dup) continue; /* one entry of that slot is queued already */
        if (nseen < SEEN) seen[nseen++] = (uint64_t)old;
        todo[n++] = (uint64_t)old;
    }
    struct vbuf_header *h = vbuf_hdr(p);
    vbuf_wake(&h->free_futex, &h->free_waiters, &h->free_sleep_deadline);
    return VBUF_OK;
}

static inline void vbuf_fill_frame(const struct vbuf_pool *p, uint32_t s, uint32_t g, uint64_t gen, struct vbuf_frame *f) {
    const struct vbuf_slot *sl = vbuf_slot_at(p, s);
    uint64_t expected_off = p->data_offset + (uint64_t)s * p->buffer_stride; /* validated: inside the file */
    f->slot = s;
    f->group = g;
    f->gen = gen;
    f->sequence = sl->sequence;
    f->capture_nanos = sl->capture_nanos;
    f->pts = sl->pts;
    f->submit_nanos = sl->submit_nanos;
    int64_t payload = sl->payload_bytes;
    int64_t off = sl->buffer_offset;
    f->width = sl->width;
    f->height = sl->height;
    f->format = sl->format;
    f->flags = sl->flags;
    f->data = NULL;
    f->payload_bytes = 0;
    if (off != (int64_t)expected_off) {
        f->problem = "the slot's buffer offset is not where the validated geometry puts its buffer";
    } else if (payload < 0 || (uint64_t)payload > p->buffer_bytes) {
        f->problem = "the slot's payload size is negative or larger than a buffer";
    } else {
        f->problem = NULL;
        f->payload_bytes = (uint64_t)payload;
        f->data = p->base + expected_off;
    }
}

/*
 * Takes group g's next frame without waiting (FramePool.pollFilled): peek the ring head, check
 * the slot (index in range, PUBLISHED, same generation, group pending and not held), claim
 * holders[g] (CAS 0 -> me), CAS the group's held bit on, then remove the ring entry. Entries
 * that are stale (frame taken back, released, or index out of range) are removed and counted.
 * Returns VBUF_OK (frame in *f: release it), VBUF_NONE, VBUF_BUSY or VBUF_EINVAL.
 */
/*
 * A consumer of group g found holders[g] of slot s set to `holder` again and again. A holder is
 * a live process's 1-based index (or 0): parties clear their claims before their process entry
 * is freed. So a holder beyond the table, or naming an entry that is free while the claim stays,
 * was written by someone else: VBUF_ECORRUPT. A live (or dead, soon recovered) holder: 0, wait.
 */
static inline int vbuf_check_holder(struct vbuf_pool *p, uint32_t s, uint32_t g, uint32_t holder) {
    if (holder > p->geo.process_capacity)
        return vbuf_corrupt(p, "slot %u's holder for group '%s' is %u, beyond the %u entries of the process table",
                            s, p->group_names[g], holder, p->geo.process_capacity);
    if (atomic_load(&vbuf_process_at(p, holder - 1)->word) == 0 && atomic_load(&vbuf_slot_at(p, s)->holders[g]) == holder)
        return vbuf_corrupt(p, "slot %u's holder for group '%s' is process entry %u, which is free (no process holds the"
                            " frame, and nobody will clear the claim)", s, p->group_names[g], holder);
    return 0;
}

static inline int vbuf_try_take(struct vbuf_pool *p, uint32_t g, struct vbuf_frame *f) {
    if (g >= p->geo.group_count || p->me == 0) return VBUF_EINVAL;
    int claimed = vbuf_claim_group(p, g);
    if (claimed != VBUF_OK) return claimed;
    const struct vbuf_ring *r = &p->group_rings[g];
    struct vbuf_group *rec = vbuf_group_at(p, g);
    uint32_t bit = 1u << g;
    unsigned busy = 0;
    uint32_t stuck_slot = UINT32_MAX, stuck_holder = 0;
    for (uint32_t tries = 0; tries < 4 * r->capacity + 256; tries++) {
        uint64_t h = vbuf_ring_head(r);
        int64_t e = vbuf_ring_peek(r, h);
        if (e < 0) {
            if (e == VBUF_RING_EMPTY) return VBUF_NONE;
            if (e == VBUF_RING_TAKEN) vbuf_ring_advance(r, h);
            else if (vbuf_ring_repair_head(r, h)) /* RETRY: a malformed cell is skipped, never spun on */
                atomic_fetch_add_explicit(&rec->stale_skipped, 1, memory_order_relaxed);
            continue;
        }
        uint32_t s = vbuf_entry_slot((uint64_t)e);
        uint64_t gen = vbuf_entry_gen((uint64_t)e);
        if (s >= p->geo.slot_count) { /* never trust an index */
            if (vbuf_ring_remove(r, h, (uint64_t)e)) atomic_fetch_add_explicit(&rec->stale_skipped, 1, memory_order_relaxed);
            continue;
        }
        struct vbuf_slot *sl = vbuf_slot_at(p, s);
        uint64_t w = atomic_load(&sl->word);
        if (vbuf_sw_phase(w) != VBUF_SW_PUBLISHED || vbuf_sw_gen(w) != gen
                || (vbuf_sw_pending(w) & bit) == 0 || (vbuf_sw_held(w) & bit) != 0) {
            if (vbuf_ring_remove(r, h, (uint64_t)e)) atomic_fetch_add_explicit(&rec->stale_skipped, 1, memory_order_relaxed);
            continue;
        }
        uint32_t nobody = 0;
        if (!atomic_compare_exchange_strong(&sl->holders[g], &nobody, p->me)) {
            /* another consumer of the group is taking this very entry: let it finish. The same
               claim seen again and again is checked: a claim no live party made is an error. */
            if (s != stuck_slot || nobody != stuck_holder) { stuck_slot = s; stuck_holder = nobody; busy = 0; }
            if (++busy % VBUF_STUCK_HOLDER_CHECKS == 0) {
                int c = vbuf_check_holder(p, s, g, nobody);
                if (c != 0) return c;
            }
            if (busy < 64) vbuf_cpu_relax(); else sched_yield();
            continue;
        }
        uint64_t nw = vbuf_sw_make(VBUF_SW_PUBLISHED, vbuf_sw_pending(w), vbuf_sw_held(w) | bit, gen);
        if (atomic_compare_exchange_strong(&sl->word, &w, nw)) { /* SYNC POINT: the frame is ours; its data visible */
            vbuf_ring_remove(r, h, (uint64_t)e);
            atomic_fetch_add_explicit(&rec->taken, 1, memory_order_relaxed);
            vbuf_fill_frame(p, s, g, gen, f);
            return VBUF_OK;
        }
        atomic_store_explicit(&sl->holders[g], 0, memory_order_release);
    }
    return VBUF_BUSY;
}

/*
 * Releases a frame (FramePool.releaseFilled): CAS the slot word clearing the group's pending
 * and held bits (the last group turns the slot FREE with generation + 1), then clear
 * holders[g], then (last group) queue the slot on the free ring and wake sleeping producers.
 * Returns VBUF_OK, or VBUF_STALE when this process no longer holds the frame.
 */
static inline int vbuf_release(struct vbuf_pool *p, const struct vbuf_frame *f) {
    if (f->group >= p->geo.group_count || f->slot >= p->geo.slot_count) return VBUF_EINVAL;
    struct vbuf_slot *sl = vbuf_slot_at(p, f->slot);
    uint32_t bit = 1u << f->group;
    for (long tries = 0; tries < VBUF_CAS_RETRIES; tries++) {
        uint64_t w = atomic_load(&sl->word);
        if (vbuf_sw_phase(w) != VBUF_SW_PUBLISHED || vbuf_sw_gen(w) != f->gen || (vbuf_sw_held(w) & bit) == 0)
            return VBUF_STALE;
        uint32_t pending = vbuf_sw_pending(w) & ~bit;
        uint64_t ng = vbuf_sw_next_gen(f->gen);
        uint64_t nw = pending == 0 ? vbuf_sw_make(VBUF_SW_FREE, 0, 0, ng)
                                   : vbuf_sw_make(VBUF_SW_PUBLISHED, pending, vbuf_sw_held(w) & ~bit, f->gen);
        if (atomic_compare_exchange_strong(&sl->word, &w, nw)) { /* SYNC POINT: the frame goes back */
            atomic_store_explicit(&sl->holders[f->group], 0, memory_order_release);
            return pending == 0 ? vbuf_offer_free(p, f->slot, ng) : VBUF_OK;
        }
    }
    return vbuf_corrupt(p, "slot %u's word kept changing for %d attempts to release it", f->slot, VBUF_CAS_RETRIES);
}

/* Sleeps min(ns, left) nanoseconds (a signal ends it early: the caller checks its stop flag). */
static inline void vbuf_nap(int64_t ns, int64_t left) {
    if (left < ns) ns = left;
    if (ns <= 0) return;
    struct timespec ts = { (time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL) };
    nanosleep(&ts, NULL);
}

/*
 * Takes group g's next frame, waiting up to timeout_ns (< 0: no limit): VBUF_FUTEX_SPINS polls
 * (spinning; yields past VBUF_FUTEX_BUSY_SPINS, none by default), then sleeps on the group's futex
 * word between polls. A queued frame
 * that stays claimed by another consumer (VBUF_BUSY) is waited for with naps of up to 10 ms, not
 * spun on. *stop (may be NULL) is read after every poll and every sleep.
 * Returns VBUF_OK, VBUF_END (end of stream and nothing queued), VBUF_TIMEDOUT, VBUF_STOPPED,
 * VBUF_EINVAL, or VBUF_ECORRUPT (p->problem names the field).
 */
static inline int vbuf_acquire_filled(struct vbuf_pool *p, uint32_t g, int64_t timeout_ns,
                                      volatile sig_atomic_t *stop, struct vbuf_frame *f) {
    int r = vbuf_try_take(p, g, f);
    if (r == VBUF_OK || r < 0) return r;
    const struct vbuf_ring *ring = &p->group_rings[g];
    if (vbuf_end_of_stream(p) && vbuf_ring_size(ring) == 0) return VBUF_END;
    if (timeout_ns == 0) return VBUF_TIMEDOUT;
    struct vbuf_group *rec = vbuf_group_at(p, g);
    atomic_fetch_add_explicit(&rec->acquire_waits, 1, memory_order_relaxed);
    int64_t start = vbuf_now_ns(), nap = 50000;
    for (int attempt = 0;; attempt++) {
        if (stop && *stop) return VBUF_STOPPED;
        int64_t left = timeout_ns < 0 ? INT64_MAX : timeout_ns - (vbuf_now_ns() - start);
        if (r == VBUF_BUSY && attempt >= 100) {
            vbuf_nap(nap, left);
            if (nap < 10000000) nap *= 2;
        } else if (attempt >= VBUF_FUTEX_SPINS) {
            vbuf_sleep_on(p, &rec->futex, &rec->waiters, &rec->sleep_deadline, ring, left);
        } else if (attempt < VBUF_FUTEX_BUSY_SPINS) vbuf_cpu_relax();
        else sched_yield();
        r = vbuf_try_take(p, g, f);
        if (r == VBUF_OK || r < 0) return r;
        if (stop && *stop) return VBUF_STOPPED;
        if (vbuf_end_of_stream(p) && vbuf_ring_size(ring) == 0) return VBUF_END;
        if (timeout_ns >= 0 && vbuf_now_ns() - start >= timeout_ns) {
            atomic_fetch_add_explicit(&rec->acquire_timeouts, 1, memory_order_relaxed);
            return VBUF_TIMEDOUT;
        }
    }
}

/*
 * Leaves the process table: first releases every frame this process still holds and clears its
 * holder claims (what the survivors' recovery would do, but as ordinary releases) and its role
 * claims, then frees
 * the entry (CAS of its word from this process's pid << 8 | LIVE to 0, release).
 */
static inline void vbuf_deregister(struct vbuf_pool *p) {
    /* bounded: slots x groups, each release bounded itself */
    if (p->me == 0) return;
    for (uint32_t s = 0; s < p->geo.slot_count; s++) {
        struct vbuf_slot *sl = vbuf_slot_at(p, s);
        for (uint32_t g = 0; g < p->geo.group_count; g++) {
            if (atomic_load(&sl->holders[g]) != p->me) continue;
            uint64_t w = atomic_load(&sl->word);
            if (vbuf_sw_phase(w) == VBUF_SW_PUBLISHED && (vbuf_sw_held(w) & (1u << g)) != 0) {
                struct vbuf_frame f = { .slot = s, .group = g, .gen = vbuf_sw_gen(w) };
                vbuf_release(p, &f);
            }
            uint32_t mine = p->me;
            atomic_compare_exchange_strong(&sl->holders[g], &mine, 0);
        }
    }
    /* role claims go before the entry (a claim never names a free entry) */
    uint32_t me = p->me;
    atomic_compare_exchange_strong(&vbuf_hdr(p)->producer_claim, &me, 0);
    for (uint32_t g = 0; g < p->geo.group_count; g++) {
        me = p->me;
        atomic_compare_exchange_strong(&vbuf_group_at(p, g)->consumer_claim, &me, 0);
    }
    p->claimed_groups = 0;
    p->producer_claimed = false;
    /* CAS, not a plain store: if a peer judged this process dead and recovered the entry, it
       may belong to another process by now, and must not be freed under it. */
    uint64_t mine = ((uint64_t)getpid() << 8) | VBUF_PROC_LIVE;
    atomic_compare_exchange_strong_explicit(&vbuf_process_at(p, p->me - 1)->word, &mine, 0,
                                            memory_order_release, memory_order_relaxed);
    p->me = 0;
}

#endif /* VBUF_SHM_H */
