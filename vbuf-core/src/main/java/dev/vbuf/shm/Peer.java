package dev.vbuf.shm;

/**
 * One entry of a shared pool's process table, as read at one instant.
 *
 * @param index        the entry's 1-based index (the number slot words and holder fields record)
 * @param pid          the process id
 * @param startTime    the process's start time (clock ticks after boot), 0 if not yet written
 * @param role         "creator" or "attached"
 * @param state        "live", or "reclaiming" while a survivor recovers it
 * @param alive        whether that process (pid and start time) is alive now
 * @param attachMillis wall-clock milliseconds when it attached
 */
public record Peer(int index, long pid, long startTime, String role, String state, boolean alive, long attachMillis) {}
