/**
 * Pool sizing: how many frame buffers a stream needs and how much memory they take.
 *
 * <p>{@link dev.vbuf.sizing.PoolSizer} implements seed 000's pool-size formula with
 * units that agree (every term is a number of frames) and exact decimal arithmetic;
 * {@link dev.vbuf.sizing.PoolPlan} is its result, able to explain itself step by step;
 * {@link dev.vbuf.sizing.Durations} parses and prints the short duration forms used on
 * command lines ({@code 16ms}, {@code 2.5ms}, {@code 500us}).
 */
package dev.vbuf.sizing;
