package dev.vbuf.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The NUMA nodes this machine has, from /sys/devices/system/node (S0.1): which are online and
 * how much memory each has free. A machine without that directory (a kernel built without
 * NUMA) has one node, 0.
 */
public final class NumaNodes {
    static final Path ROOT = Path.of("/sys/devices/system/node");

    /** One node: its number and its memory in bytes (-1 when unreadable). */
    public record Node(int id, long totalBytes, long freeBytes) {}

    private NumaNodes() {}

    /** The online nodes, in order ("0", "0-1", "0,2-3" in /sys/devices/system/node/online). */
    public static List<Integer> online() {
        try {
            return parseList(Files.readString(ROOT.resolve("online")).trim());
        } catch (IOException e) {
            return List.of(0);
        }
    }

    /** The online nodes with their memory. */
    public static List<Node> nodes() {
        List<Node> out = new ArrayList<>();
        for (int id : online()) {
            long total = -1, free = -1;
            try {
                for (String line : Files.readAllLines(ROOT.resolve("node" + id).resolve("meminfo"))) {
                    if (line.contains("MemTotal:")) total = kib(line);
                    else if (line.contains("MemFree:")) free = kib(line);
                }
            } catch (IOException ignored) {
                // leave -1
            }
            out.add(new Node(id, total, free));
        }
        return out;
    }

    /** Checks that {@code node} exists; the error lists the nodes that do. */
    public static void check(int node) {
        List<Integer> nodes = online();
        if (!nodes.contains(node)) {
            throw new IllegalArgumentException("NUMA node " + node + " does not exist on this machine; it has node"
                    + (nodes.size() == 1 ? " " : "s ") + join(nodes) + " (from " + ROOT + "/online); pick one of those"
                    + " (see 'vbuf info')");
        }
    }

    static String join(List<Integer> nodes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < nodes.size(); i++) sb.append(i == 0 ? "" : ", ").append(nodes.get(i));
        return sb.toString();
    }

    /** "0-2,4" -> [0, 1, 2, 4]. */
    static List<Integer> parseList(String s) {
        List<Integer> out = new ArrayList<>();
        if (s.isBlank()) return out;
        for (String part : s.split(",")) {
            int dash = part.indexOf('-');
            if (dash < 0) {
                out.add(Integer.parseInt(part.trim()));
            } else {
                int lo = Integer.parseInt(part.substring(0, dash).trim()), hi = Integer.parseInt(part.substring(dash + 1).trim());
                for (int i = lo; i <= hi; i++) out.add(i);
            }
        }
        return out;
    }

    private static long kib(String line) {
        String digits = line.substring(line.indexOf(':') + 1).replaceAll("[^0-9]", "");
        return digits.isEmpty() ? -1 : Long.parseLong(digits) * 1024;
    }
}
