package dev.vbuf.shm;

import dev.vbuf.pool.ControlBlock;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.WaitStrategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * include/vbuf_shm.h says the same as the Java descriptor: every numeric (and string, and
 * duration) public static final constant of the layout classes (every one of SlotWord and
 * MpmcRing, PoolFile's page size and the futex strategy's sleep limits), found by reflection so
 * that nothing is forgotten, must exist in the header under its mechanical C name with the
 * same value; every layout constant of the header must exist in Java; and the header's
 * geometry, slot-word and
 * ring-entry arithmetic must give what the Java code gives.
 *
 * <p>C names: {@code ControlBlock.H_SLOT_COUNT -> VBUF_H_SLOT_COUNT} (also FramePool,
 * PoolFile, ProcessTable, Frame), {@code SlotWord.X -> VBUF_SW_X}, {@code MpmcRing.X -> VBUF_RING_X},
 * {@code WaitStrategy.Futex.X -> VBUF_FUTEX_X}, {@code ShmNames.X -> VBUF_SHM_X}; a
 * {@link Duration} constant {@code X} is {@code VBUF_X_MS} in milliseconds.
 */
class CHeaderTest {
    /**
     * Layout classes and the prefix of their constants' C names. Public constants of the public
     * classes; every constant of SlotWord and MpmcRing, which are nothing but layout.
     */
    static final Map<String, String> CLASSES = new LinkedHashMap<>();
    static {
        CLASSES.put("dev.vbuf.pool.ControlBlock", "VBUF_");
        CLASSES.put("dev.vbuf.pool.FramePool", "VBUF_");
        CLASSES.put("dev.vbuf.shm.PoolFile", "VBUF_");
        CLASSES.put("dev.vbuf.shm.ProcessTable", "VBUF_");
        CLASSES.put("dev.vbuf.pool.Frame", "VBUF_");
        CLASSES.put("dev.vbuf.pool.SlotWord", "VBUF_SW_");
        CLASSES.put("dev.vbuf.pool.MpmcRing", "VBUF_RING_");
        CLASSES.put("dev.vbuf.pool.WaitStrategy$Futex", "VBUF_FUTEX_");
        CLASSES.put("dev.vbuf.shm.ShmNames", "VBUF_SHM_");
    }
    static final List<String> ALL_FIELDS = List.of("dev.vbuf.pool.SlotWord", "dev.vbuf.pool.MpmcRing");
    /** Non-public constants that are part of the layout too. */
    static final List<String> EXTRA = List.of("dev.vbuf.shm.PoolFile#PAGE");
    /** Non-public constants whose C name is not the mechanical one. */
    static final Map<String, String> EXTRA_NAMED = Map.of(
            "dev.vbuf.pool.WaitStrategy$Futex#MAX_SLEEP_NANOS", "VBUF_MAX_SLEEP_NANOS",
            "dev.vbuf.pool.WaitStrategy$Futex#SLEEP_DEADLINE_SLACK_NANOS", "VBUF_SLEEP_DEADLINE_SLACK_NANOS");
    /** Header constants in these families are layout: each must have a Java counterpart. */
    static final Pattern LAYOUT_DEFINE = Pattern.compile(
            "(?m)^#define\\s+(VBUF_(?:H|P|S|R|G|PR|SW|RING|PROC|ROLE|STATE|FUTEX|SHM)_[A-Z0-9_]+|VBUF_[A-Z_]+_BYTES)\\b");

    /** (slots, groups, processes) whose geometry C and Java must agree on. */
    static final int[][] GEOMETRIES = {
            {1, 1, 1}, {1, 1, 0}, {2, 3, 64}, {3, 16, 4096}, {8, 1, 64}, {17, 5, 7}, {100, 2, 64},
            {1000, 16, 1}, {4097, 9, 300}, {65535, 16, 4096}, {65536, 16, 4096}, {65536, 1, 1},
    };
    static final long[][] WORDS = { // phase, pending, held, gen
            {0, 0, 0, 0}, {1, 5, 0, 7}, {2, 0xFFFF, 0xFFFF, (1L << 30) - 1}, {3, 0x1234, 0x0034, 123_456_789},
            {2, 0x8001, 0x8000, 1L << 29},
    };
    static final long[][] ENTRIES = {{0, 0}, {7, 99}, {65535, (1L << 30) - 1}, {12345, 1L << 29}};

    static Map<String, String> java;
    static Map<String, String> c;
    static String header;

    @BeforeAll
    static void compileAndRun() throws Exception {
        CBuild.assumeGcc();
        java = javaConstants();
        header = Files.readString(CBuild.root().resolve("include/vbuf_shm.h"));
        StringBuilder src = new StringBuilder("""
                #define _GNU_SOURCE
                #include "vbuf_shm.h"
                #include <inttypes.h>
                int main(void) {
                """);
        for (var e : java.entrySet()) {
            String name = e.getKey();
            if (e.getValue().startsWith("\"")) {
                src.append("    printf(\"%s \\\"%s\\\"\\n\", \"").append(name).append("\", ").append(name).append(");\n");
            } else {
                src.append("    printf(\"%s %lld\\n\", \"").append(name).append("\", (long long)(").append(name).append("));\n");
            }
        }
        for (int[] g : GEOMETRIES) {
            src.append(String.format("    { struct vbuf_geometry g = vbuf_geometry_of(%du, %du, %du);%n", g[0], g[1], g[2]));
            src.append(String.format("      printf(\"geometry %d %d %d %%u %%u %%\" PRIu64 \" %%\" PRIu64 \" %%\" PRIu64 \" %%\" PRIu64"
                    + " \" %%\" PRIu64 \" %%\" PRIu64 \" %%\" PRIu64 \"\\n\", g.free_ring_capacity, g.group_ring_capacity,"
                    + " g.slots_offset, g.free_ring_offset, g.groups_offset, g.group_rings_offset, g.process_offset,"
                    + " g.total_bytes, vbuf_group_ring_offset(&g, %du - 1)); }%n", g[0], g[1], g[2], g[1]));
        }
        for (long[] w : WORDS) {
            src.append(String.format("    { uint64_t w = vbuf_sw_make(%du, %du, %du, %dULL);%n", w[0], w[1], w[2], w[3]));
            src.append(String.format("      printf(\"word %d %d %d %d %%\" PRId64 \" %%u %%u %%u %%\" PRIu64 \"\\n\", (int64_t)w,"
                    + " vbuf_sw_phase(w), vbuf_sw_pending(w), vbuf_sw_held(w), vbuf_sw_gen(w)); }%n", w[0], w[1], w[2], w[3]));
        }
        for (long[] e : ENTRIES) {
            src.append(String.format("    { uint64_t e = vbuf_entry(%du, %dULL);%n", e[0], e[1]));
            src.append(String.format("      printf(\"entry %d %d %%\" PRId64 \" %%u %%\" PRIu64 \"\\n\", (int64_t)e,"
                    + " vbuf_entry_slot(e), vbuf_entry_gen(e)); }%n", e[0], e[1]));
        }
        src.append("    return 0;\n}\n");
        Path dir = CBuild.outDir();
        Path source = dir.resolve("header_constants.c");
        Files.writeString(source, src);
        Path exe = CBuild.compile(source, dir.resolve("header_constants"), "-Wpedantic");
        Process p = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the constants program finished");
        assertEquals(0, p.exitValue(), out);
        c = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int sp = line.indexOf(' ');
            String key = line.substring(0, sp);
            if (key.equals("geometry") || key.equals("word") || key.equals("entry")) {
                String[] f = line.split(" ");
                c.put(String.join(" ", List.of(f).subList(0, key.equals("geometry") ? 4 : key.equals("word") ? 5 : 3)),
                        line.substring(String.join(" ", List.of(f).subList(0, key.equals("geometry") ? 4 : key.equals("word") ? 5 : 3)).length() + 1));
            } else {
                c.put(key, line.substring(sp + 1));
            }
        }
    }

    /** Every static final number, string or duration of the layout classes, by C name. */
    static Map<String, String> javaConstants() throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        for (var e : CLASSES.entrySet()) {
            Class<?> cls = Class.forName(e.getKey());
            for (Field f : cls.getDeclaredFields()) {
                int mod = f.getModifiers();
                if (!Modifier.isStatic(mod) || !Modifier.isFinal(mod) || f.isSynthetic()) continue;
                String renamed = EXTRA_NAMED.get(e.getKey() + "#" + f.getName());
                if (!Modifier.isPublic(mod) && !ALL_FIELDS.contains(e.getKey())
                        && !EXTRA.contains(e.getKey() + "#" + f.getName()) && renamed == null) {
                    continue; // private details (test hooks, caches), not layout
                }
                Class<?> t = f.getType();
                f.setAccessible(true);
                String name = renamed != null ? renamed : e.getValue() + f.getName();
                String value;
                if (t == long.class || t == int.class) {
                    value = Long.toString(((Number) f.get(null)).longValue());
                } else if (t == String.class) {
                    value = "\"" + f.get(null) + "\"";
                } else if (t == Duration.class) {
                    name += "_MS";
                    value = Long.toString(((Duration) f.get(null)).toMillis());
                } else {
                    continue; // VarHandles, patterns, singletons: not layout
                }
                String before = m.putIfAbsent(name, value);
                if (before != null && !before.equals(value)) {
                    fail(name + " would be both " + origin.get(name) + " = " + before + " and " + cls.getSimpleName() + "."
                            + f.getName() + " = " + value + "; give one of them another C name");
                }
                origin.putIfAbsent(name, cls.getSimpleName() + "." + f.getName());
            }
        }
        return m;
    }

    @Test
    void everyJavaConstantHasItsValueInTheHeader() {
        assertTrue(java.size() > 100, "reflection found the layout constants (" + java.size() + ")");
        List<String> wrong = new ArrayList<>();
        for (var e : java.entrySet()) {
            String got = c.get(e.getKey());
            if (!e.getValue().equals(got)) wrong.add(e.getKey() + ": Java " + e.getValue() + ", C " + got);
        }
        assertEquals(List.of(), wrong, "constants whose C value differs from Java's");
        // spot checks that the mechanical names are what the header documents
        assertEquals(Long.toString(ControlBlock.H_SLOT_COUNT), c.get("VBUF_H_SLOT_COUNT"));
        assertEquals(Long.toString(ControlBlock.MAGIC), c.get("VBUF_MAGIC"));
        assertEquals(Long.toString(FramePool.MAX_BUFFERS), c.get("VBUF_MAX_BUFFERS"));
        assertEquals(Long.toString(PoolFile.MAX_PROCESS_CAPACITY), c.get("VBUF_MAX_PROCESS_CAPACITY"));
        assertEquals(Long.toString(ProcessTable.PROC_RECLAIMING), c.get("VBUF_PROC_RECLAIMING"));
        assertEquals("100000000", c.get("VBUF_MAX_SLEEP_NANOS"));
        assertEquals(Long.toString(Frame.FLAG_END_OF_STREAM), c.get("VBUF_FLAG_END_OF_STREAM"));
        assertEquals(Long.toString(WaitStrategy.Futex.SPINS), c.get("VBUF_FUTEX_SPINS"));
        assertEquals("\"" + ShmNames.PREFIX + "\"", c.get("VBUF_SHM_PREFIX"));
    }

    @Test
    void everyLayoutConstantOfTheHeaderExistsInJava() {
        var extra = new TreeSet<String>();
        Matcher m = LAYOUT_DEFINE.matcher(header);
        while (m.find()) if (!java.containsKey(m.group(1)) && !m.group(1).equals("VBUF_SHM_H")) extra.add(m.group(1));
        assertEquals(new TreeSet<String>(), extra, "layout constants in vbuf_shm.h with no Java counterpart"
                + " (add them to the Java descriptor, or rename them out of the layout families)");
    }

    @Test
    void geometryMatchesControlBlockGeometry() {
        for (int[] x : GEOMETRIES) {
            ControlBlock.Geometry g = ControlBlock.Geometry.of(x[0], x[1], x[2]);
            String expected = g.freeRingCapacity() + " " + g.groupRingCapacity() + " " + g.slotsOffset() + " "
                    + g.freeRingOffset() + " " + g.groupsOffset() + " " + g.groupRingsOffset() + " " + g.processOffset()
                    + " " + g.totalBytes() + " " + g.groupRingOffset(x[1] - 1);
            assertEquals(expected, c.get("geometry " + x[0] + " " + x[1] + " " + x[2]),
                    "geometry of " + x[0] + " slots, " + x[1] + " groups, " + x[2] + " processes");
        }
    }

    @Test
    void slotWordAndRingEntryPackingMatchSlotWord() throws Exception {
        Class<?> sw = Class.forName("dev.vbuf.pool.SlotWord");
        Method make = sw.getDeclaredMethod("make", int.class, int.class, int.class, long.class);
        Method entry = sw.getDeclaredMethod("entry", int.class, long.class);
        make.setAccessible(true);
        entry.setAccessible(true);
        for (long[] w : WORDS) {
            long word = (long) make.invoke(null, (int) w[0], (int) w[1], (int) w[2], w[3]);
            assertEquals(word + " " + w[0] + " " + w[1] + " " + w[2] + " " + w[3],
                    c.get("word " + w[0] + " " + w[1] + " " + w[2] + " " + w[3]), "slot word " + List.of(w[0], w[1], w[2], w[3]));
        }
        for (long[] e : ENTRIES) {
            long v = (long) entry.invoke(null, (int) e[0], e[1]);
            assertEquals(v + " " + e[0] + " " + e[1], c.get("entry " + e[0] + " " + e[1]), "ring entry " + e[0] + "/" + e[1]);
        }
    }
}
