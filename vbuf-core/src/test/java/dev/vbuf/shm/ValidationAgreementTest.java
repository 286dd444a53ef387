package dev.vbuf.shm;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.ControlBlock;
import dev.vbuf.pool.FramePool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One validation of untrusted pool files, stated in docs/SHARED.md ("Validation rules") and
 * implemented twice (Java's attach, C's vbuf_attach / vbuf_validate): the same corpus of bad
 * files goes through both, and every file must get the same verdict. The corpus is a list of
 * named, hand-made cases (one per rule, with the layout fields and duplicate group names the
 * two sides once disagreed on) and seeded random mutations of real pools' control blocks.
 */
class ValidationAgreementTest {
    static Path verdicts;

    final String base = "va" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final List<Path> files = new ArrayList<>();

    @BeforeAll
    static void build() throws Exception {
        CBuild.assumeGcc();
        verdicts = CBuild.compile(CBuild.root().resolve("vbuf-core/src/test/c/vbuf_verdicts.c"),
                CBuild.outDir().resolve("vbuf_verdicts"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (Path f : files) Files.deleteIfExists(f);
    }

    /** A real pool's file image, made by the Java creator with keepFile so it outlives the pool. */
    byte[] image(String suffix, dev.vbuf.pool.PoolBuilder b) throws IOException {
        String name = base + suffix;
        Path p = ShmNames.path(name);
        files.add(p);
        try (FramePool pool = b.shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).jmx(false).keepFile(true).build()) {
            return Files.readAllBytes(p);
        } finally {
            Files.deleteIfExists(p);
        }
    }

    static ByteBuffer le(byte[] b) { return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN); }

    record Case(String name, byte[] bytes) {}

    static Case mutate(String name, byte[] image, Consumer<ByteBuffer> change) {
        byte[] b = image.clone();
        change.accept(le(b));
        return new Case(name, b);
    }

    static void groupName(ByteBuffer b, int g, String name) {
        int rec = (int) (b.getLong((int) ControlBlock.H_GROUPS_OFFSET) + (long) g * ControlBlock.GROUP_BYTES);
        byte[] raw = new byte[ControlBlock.GROUP_NAME_BYTES];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, raw, 0, Math.min(n.length, raw.length));
        b.put(rec, raw);
    }

    /** The hand-made corpus: one or more cases per validation rule, accepted ones included. */
    List<Case> namedCases() throws IOException {
        byte[] nv12 = image("-nv12", FramePool.builder().layout(FrameLayout.of(PixelFormat.NV12, 320, 240)).count(4)
                .groups("a", "b", "c"));
        byte[] rgba = image("-rgba", FramePool.builder().layout(FrameLayout.of(PixelFormat.RGBA, 64, 48, 256)).count(3)
                .groups("x"));
        byte[] raw = image("-raw", FramePool.builder().bufferSize(10_000).count(2).groups("only"));
        long buffer = le(nv12).getLong((int) ControlBlock.H_BUFFER_BYTES);
        long dataOffset = le(nv12).getLong((int) ControlBlock.H_DATA_OFFSET);
        int W = (int) ControlBlock.H_WIDTH, H = (int) ControlBlock.H_HEIGHT, F = (int) ControlBlock.H_FORMAT,
                SA = (int) ControlBlock.H_STRIDE_ALIGN;
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("good-nv12", nv12));
        cs.add(new Case("good-rgba", rgba));
        cs.add(new Case("good-raw", raw));
        cs.add(new Case("empty", new byte[0]));
        cs.add(new Case("short", new byte[100]));
        cs.add(new Case("text", "not a vbuf pool at all ".repeat(40).getBytes(StandardCharsets.UTF_8)));
        cs.add(mutate("no-magic", nv12, b -> b.putLong((int) ControlBlock.H_MAGIC, 0)));
        cs.add(mutate("version-9", nv12, b -> b.putInt((int) ControlBlock.H_VERSION, 9)));
        cs.add(mutate("header-bytes", nv12, b -> b.putInt((int) ControlBlock.H_HEADER_BYTES, 128)));
        cs.add(mutate("slot-bytes", nv12, b -> b.putInt((int) ControlBlock.H_SLOT_BYTES, 512)));
        cs.add(mutate("slots-0", nv12, b -> b.putInt((int) ControlBlock.H_SLOT_COUNT, 0)));
        cs.add(mutate("slots-65537", nv12, b -> b.putInt((int) ControlBlock.H_SLOT_COUNT, 65537)));
        cs.add(mutate("slots-5", nv12, b -> b.putInt((int) ControlBlock.H_SLOT_COUNT, 5)));
        cs.add(mutate("groups-0", nv12, b -> b.putInt((int) ControlBlock.H_GROUP_COUNT, 0)));
        cs.add(mutate("groups-17", nv12, b -> b.putInt((int) ControlBlock.H_GROUP_COUNT, 17)));
        cs.add(mutate("processes-0", nv12, b -> b.putInt((int) ControlBlock.H_PROCESS_CAPACITY, 0)));
        cs.add(mutate("processes-4097", nv12, b -> b.putInt((int) ControlBlock.H_PROCESS_CAPACITY, 4097)));
        cs.add(mutate("free-ring-capacity", nv12, b -> b.putInt((int) ControlBlock.H_FREE_RING_CAPACITY, 4)));
        cs.add(mutate("group-ring-capacity", nv12, b -> b.putInt((int) ControlBlock.H_GROUP_RING_CAPACITY, 16)));
        cs.add(mutate("slots-offset", nv12, b -> b.putLong((int) ControlBlock.H_SLOTS_OFFSET, 512)));
        cs.add(mutate("free-ring-offset", nv12, b -> b.putLong((int) ControlBlock.H_FREE_RING_OFFSET, 8)));
        cs.add(mutate("groups-offset", nv12, b -> b.putLong((int) ControlBlock.H_GROUPS_OFFSET, -1)));
        cs.add(mutate("process-offset", nv12, b -> b.putLong((int) ControlBlock.H_PROCESS_OFFSET, 1L << 40)));
        cs.add(mutate("total-bytes", nv12, b -> b.putLong((int) ControlBlock.H_TOTAL_BYTES, 4096)));
        cs.add(mutate("buffer-0", nv12, b -> b.putLong((int) ControlBlock.H_BUFFER_BYTES, 0)));
        cs.add(mutate("buffer-negative", nv12, b -> b.putLong((int) ControlBlock.H_BUFFER_BYTES, -5)));
        cs.add(mutate("buffer-above-stride", nv12, b -> b.putLong((int) ControlBlock.H_BUFFER_BYTES,
                b.getLong((int) ControlBlock.H_BUFFER_STRIDE) + 1)));
        cs.add(mutate("stride-unaligned", nv12, b -> b.putLong((int) ControlBlock.H_BUFFER_STRIDE,
                b.getLong((int) ControlBlock.H_BUFFER_STRIDE) + 8)));
        cs.add(mutate("stride-huge", nv12, b -> b.putLong((int) ControlBlock.H_BUFFER_STRIDE, 1L << 60)));
        cs.add(mutate("data-inside-control", nv12, b -> b.putLong((int) ControlBlock.H_DATA_OFFSET, 4096)));
        cs.add(mutate("data-unaligned", nv12, b -> b.putLong((int) ControlBlock.H_DATA_OFFSET, dataOffset + 64)));
        cs.add(new Case("truncated-in-data", java.util.Arrays.copyOf(nv12, (int) dataOffset + 10)));
        cs.add(new Case("truncated-in-control", java.util.Arrays.copyOf(nv12, 1000)));
        cs.add(mutate("group-ring-offset", nv12, b -> {
            int rec = (int) b.getLong((int) ControlBlock.H_GROUPS_OFFSET) + ControlBlock.GROUP_BYTES;
            b.putLong(rec + (int) ControlBlock.G_RING_OFFSET, 0);
        }));
        cs.add(mutate("group-name-empty", nv12, b -> groupName(b, 1, "")));
        cs.add(mutate("group-name-unterminated", nv12, b -> groupName(b, 0, "x".repeat(ControlBlock.GROUP_NAME_BYTES))));
        cs.add(mutate("group-name-not-utf8", nv12, b -> {
            int rec = (int) b.getLong((int) ControlBlock.H_GROUPS_OFFSET);
            b.put(rec, (byte) 0xC3).put(rec + 1, (byte) 0x28).put(rec + 2, (byte) 0);
        }));
        cs.add(mutate("group-name-overlong-utf8", nv12, b -> {
            int rec = (int) b.getLong((int) ControlBlock.H_GROUPS_OFFSET);
            b.put(rec, (byte) 0xC0).put(rec + 1, (byte) 0xAF).put(rec + 2, (byte) 0);
        }));
        cs.add(mutate("group-name-utf8", nv12, b -> groupName(b, 2, "caméra-ü")));
        cs.add(mutate("group-names-duplicate", nv12, b -> groupName(b, 2, "a")));
        cs.add(mutate("group-names-duplicate-adjacent", nv12, b -> groupName(b, 1, "a")));
        cs.add(mutate("group-names-case-differs", nv12, b -> groupName(b, 1, "A")));
        // the frame layout fields (the rules C did not check before)
        cs.add(mutate("format-none", nv12, b -> b.putInt(F, 0)));
        cs.add(mutate("format-17", nv12, b -> b.putInt(F, 17)));
        cs.add(mutate("format-negative", nv12, b -> b.putInt(F, -1)));
        cs.add(mutate("format-gray8", nv12, b -> b.putInt(F, PixelFormat.GRAY8.ordinal() + 1)));
        cs.add(mutate("format-rgba64-too-big", nv12, b -> b.putInt(F, PixelFormat.RGBA64.ordinal() + 1)));
        cs.add(mutate("width-0", nv12, b -> b.putInt(W, 0)));
        cs.add(mutate("width-16385", nv12, b -> b.putInt(W, 16385)));
        cs.add(mutate("width-negative", nv12, b -> b.putInt(W, Integer.MIN_VALUE)));
        cs.add(mutate("width-odd-nv12", nv12, b -> b.putInt(W, 319)));
        cs.add(mutate("height-odd-nv12", nv12, b -> b.putInt(H, 239)));
        cs.add(mutate("height-odd-nv16", nv12, b -> b.putInt(F, PixelFormat.NV16.ordinal() + 1).putInt(H, 159)));
        cs.add(mutate("width-odd-yuyv", nv12, b -> b.putInt(F, PixelFormat.YUYV.ordinal() + 1).putInt(W, 101)));
        cs.add(mutate("height-0", nv12, b -> b.putInt(H, 0)));
        cs.add(mutate("height-16385", nv12, b -> b.putInt(H, 16385)));
        cs.add(mutate("frame-bigger-than-buffer", nv12, b -> b.putInt(W, 322)));
        cs.add(mutate("frame-exactly-buffer", nv12, b -> b.putInt(F, PixelFormat.GRAY8.ordinal() + 1)
                .putInt(W, (int) buffer).putInt(H, 1).putInt(SA, 1)));
        cs.add(mutate("frame-one-byte-over", nv12, b -> b.putInt(F, PixelFormat.GRAY8.ordinal() + 1)
                .putInt(W, (int) buffer + 1).putInt(H, 1).putInt(SA, 1)));
        cs.add(mutate("stride-align-0", nv12, b -> b.putInt(SA, 0)));
        cs.add(mutate("stride-align-3", nv12, b -> b.putInt(SA, 3)));
        cs.add(mutate("stride-align-96", nv12, b -> b.putInt(SA, 96)));
        cs.add(mutate("stride-align-4096", nv12, b -> b.putInt(SA, 4096)));
        cs.add(mutate("stride-align-8192", nv12, b -> b.putInt(SA, 8192)));
        cs.add(mutate("stride-align-1", nv12, b -> b.putInt(SA, 1)));
        cs.add(mutate("raw-with-layout-garbage", raw, b -> b.putInt(W, -7).putInt(H, 0)));
        cs.add(mutate("raw-with-format", raw, b -> b.putInt(F, 1).putInt(W, 16).putInt(H, 16).putInt(SA, 64)));
        cs.add(mutate("rgba-align-512", rgba, b -> b.putInt(SA, 512)));
        cs.add(mutate("rgba-as-rgb24", rgba, b -> b.putInt(F, PixelFormat.RGB24.ordinal() + 1)));
        // slot words, rings, holders and the process table are not validated at attach: accepted
        cs.add(mutate("slot-words-garbage", nv12, b -> {
            for (int s = 0; s < 4; s++) b.putLong((int) b.getLong((int) ControlBlock.H_SLOTS_OFFSET) + s * ControlBlock.SLOT_BYTES, -1L);
        }));
        return cs;
    }

    /** Seeded random mutations: bit flips and lying bytes, mostly where validation reads, some cuts. */
    List<Case> fuzzedCases(int n) throws IOException {
        byte[] nv12 = image("-fz", FramePool.builder().layout(FrameLayout.of(PixelFormat.I420, 64, 32)).count(3)
                .groups("p", "q"));
        long total = le(nv12).getLong((int) ControlBlock.H_TOTAL_BYTES);
        long groups = le(nv12).getLong((int) ControlBlock.H_GROUPS_OFFSET);
        Random rnd = new Random(20261202);
        List<Case> cs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = nv12.clone();
            int changes = 1 + rnd.nextInt(3);
            for (int k = 0; k < changes; k++) {
                int at = switch (rnd.nextInt(4)) {
                    case 0 -> rnd.nextInt(ControlBlock.HEADER_BYTES);
                    case 1 -> (int) ControlBlock.H_WIDTH + rnd.nextInt(16); // the layout fields
                    case 2 -> (int) groups + rnd.nextInt(2 * ControlBlock.GROUP_BYTES);
                    default -> rnd.nextInt((int) total);
                };
                b[at] = switch (rnd.nextInt(3)) {
                    case 0 -> (byte) rnd.nextInt(256);
                    case 1 -> (byte) (b[at] ^ (1 << rnd.nextInt(8)));
                    default -> (byte) (b[at] + (rnd.nextBoolean() ? 1 : -1));
                };
            }
            int cut = rnd.nextInt(10) == 0 ? rnd.nextInt(b.length) : b.length;
            cs.add(new Case("fuzz-" + i, java.util.Arrays.copyOf(b, cut)));
        }
        return cs;
    }

    /** Java's verdict: null when attach (observing: no registration) accepts, else its message. */
    static String javaVerdict(String name) {
        try (FramePool p = FramePool.attach(name, new dev.vbuf.pool.PoolBuilder.AttachOptions().jmx(false).observe(true))) {
            return p.getTotalCount() > 0 ? null : "no slots";
        } catch (RuntimeException e) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }

    /** C's verdicts for all files in one run: null when accepted, else its message. */
    static Map<Path, String> cVerdicts(List<Path> paths) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(verdicts.toString()));
        for (Path p : paths) cmd.add(p.toString());
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "the C validator finished");
        assertEquals(0, proc.exitValue(), "the C validator was not killed by a signal on any file: " + out);
        Map<Path, String> v = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("ok ")) v.put(Path.of(line.substring(3)), null);
            else if (line.startsWith("refused ")) {
                int colon = line.indexOf(": ");
                v.put(Path.of(line.substring(8, colon)), line.substring(colon + 2));
            }
        }
        assertEquals(paths.size(), v.size(), "one verdict per file: " + out);
        return v;
    }

    /** Writes the corpus (mode 0600) and returns, per case, "Java verdict / C verdict" where they differ. */
    List<String> disagreements(List<Case> corpus, int[] counts) throws Exception {
        List<Path> paths = new ArrayList<>();
        for (Case c : corpus) {
            Path p = ShmNames.path(base + "-" + c.name());
            files.add(p);
            Files.write(p, c.bytes());
            paths.add(p);
        }
        Map<Path, String> cv = cVerdicts(paths);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < corpus.size(); i++) {
            Path p = paths.get(i);
            String j = javaVerdict(base + "-" + corpus.get(i).name());
            String c = cv.get(p);
            if ((j == null) != (c == null)) {
                wrong.add(corpus.get(i).name() + ": Java " + (j == null ? "accepts" : "refuses (" + j + ")") + ", C "
                        + (c == null ? "accepts" : "refuses (" + c + ")"));
            } else {
                counts[j == null ? 0 : 1]++;
                if (j != null) {
                    assertTrue(j.contains(p.toString()) || j.contains(base), corpus.get(i).name() + ": Java names the file: " + j);
                    assertTrue(c.contains(p.toString()), corpus.get(i).name() + ": C names the file: " + c);
                }
            }
        }
        return wrong;
    }

    @Test
    void theHandMadeCorpusGetsTheSameVerdictFromJavaAndC() throws Exception {
        List<Case> corpus = namedCases();
        int[] counts = new int[2];
        List<String> wrong = disagreements(corpus, counts);
        assertEquals(List.of(), wrong, "files Java and C judge differently");
        System.out.println("validation agreement, hand-made corpus: " + corpus.size() + " files, " + counts[0]
                + " accepted and " + counts[1] + " refused by both");
        assertTrue(counts[0] >= 8 && counts[1] >= 50, "the corpus has both kinds: " + counts[0] + "/" + counts[1]);
    }

    @Test
    void duplicateGroupNamesAreRefusedWithTheFileAndARemedy() throws Exception {
        byte[] img = image("-dup", FramePool.builder().bufferSize(4096).count(2).groups("u", "v"));
        Case dup = mutate("dup-names", img, b -> groupName(b, 1, "u"));
        Path p = ShmNames.path(base + "-dup-names");
        files.add(p);
        Files.write(p, dup.bytes());
        String j = javaVerdict(base + "-dup-names");
        assertNotNull(j, "Java refuses a pool that names a group twice");
        assertTrue(j.contains(p.toString()) && j.contains("'u'") && j.contains("vbuf shm rm"), j);
        String c = cVerdicts(List.of(p)).get(p);
        assertNotNull(c, "C refuses it too");
        assertTrue(c.contains(p.toString()) && c.contains("'u'") && c.contains("vbuf shm rm"), c);
    }

    @Test
    void aFuzzedCorpusGetsTheSameVerdictFromJavaAndC() throws Exception {
        List<Case> corpus = fuzzedCases(400);
        int[] counts = new int[2];
        List<String> wrong = disagreements(corpus, counts);
        assertEquals(List.of(), wrong, "fuzzed files Java and C judge differently");
        System.out.println("validation agreement, fuzzed corpus: " + corpus.size() + " files, " + counts[0]
                + " accepted and " + counts[1] + " refused by both");
        assertTrue(counts[0] > 10 && counts[1] > 100, "the fuzz hit both verdicts: " + counts[0] + "/" + counts[1]);
    }

    /** C's frame layout arithmetic (the table of formats in vbuf_shm.h) is Java's FrameLayout's. */
    @Test
    void theCFormatTableComputesJavasFrameLayouts() throws Exception {
        int[][] sizes = {{2, 2, 1}, {320, 240, 64}, {1920, 1080, 64}, {17 * 2, 9 * 2, 1}, {64, 48, 256}, {16384, 2, 4096}, {6, 4, 2}};
        List<String> cmd = new ArrayList<>(List.of(verdicts.toString(), "--layout"));
        List<String> expected = new ArrayList<>();
        for (PixelFormat f : PixelFormat.values()) {
            for (int[] s : sizes) {
                FrameLayout l = FrameLayout.of(f, s[0], s[1], s[2]);
                cmd.addAll(List.of(Integer.toString(f.ordinal() + 1), Integer.toString(s[0]), Integer.toString(s[1]),
                        Integer.toString(s[2])));
                StringBuilder e = new StringBuilder(f.name()).append(' ').append(l.frameBytes());
                for (dev.vbuf.format.Plane p : l.planes()) e.append(' ').append(p.offset()).append('/').append(p.stride()).append('/').append(p.rows());
                expected.add(e.toString());
            }
        }
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS));
        assertEquals(expected, List.of(out.split("\n")), "format table and plane arithmetic of vbuf_shm.h");
        assertEquals(PixelFormat.values().length, 21, "VBUF_FORMAT_COUNT in vbuf_shm.h is 21: add the new format there");
    }
}
