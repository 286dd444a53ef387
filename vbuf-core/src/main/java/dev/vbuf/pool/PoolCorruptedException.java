package dev.vbuf.pool;

/**
 * A shared pool's live words (slot words, holder claims, rings) hold what no vbuf party writes:
 * a process of the same user wrote nonsense into the pool file. Thrown by the operation that
 * found it, instead of looping for ever; the message names the pool, the field and what to do.
 * The pool stays usable for what is not damaged; the remedy is to detach, remove the pool
 * ({@code vbuf shm rm NAME}) and start its producer again.
 */
public final class PoolCorruptedException extends IllegalStateException {
    /** @param where the pool ("shared pool /dev/shm/vbuf.NAME") or the structure, @param what the field and its state */
    public PoolCorruptedException(String where, String what) {
        super(where + ": " + what + "; a process wrote what no vbuf party writes there. Detach, remove"
                + " the pool (vbuf shm rm NAME) and start the producer again");
    }
}
