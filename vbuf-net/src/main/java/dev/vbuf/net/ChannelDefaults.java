package dev.vbuf.net;

import io.aeron.ChannelUri;

import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;

/**
 * Settings a UDP channel gets for video frames when its URI does not give them: Aeron's defaults
 * are made for small messages (1408-byte datagrams, 128 KiB receiver window and socket buffers),
 * and a 4K frame is 33 MB.
 *
 * <h2>Overview</h2>
 * <ul>
 * <li>{@code mtu} (sender): the largest datagram that leaves through the interface that reaches
 * the endpoint without IP fragmentation: that interface's MTU less the IP and UDP headers, rounded
 * down to Aeron's 32-byte frame alignment, at most Aeron's 65,504. On loopback and on a veth pair
 * with a 64 KiB MTU (scripts/netns-up) that is 65,504 (fifty times fewer datagrams than the
 * default), on 9000-byte jumbo Ethernet 8,960, on plain Ethernet 1,472. An IP-fragmented datagram
 * is lost whole when any one fragment is lost, so vbuf never picks an MTU above the link's; a user
 * who wants that anyway writes {@code mtu=} into the channel. When the interface cannot be found
 * (a host name that does not resolve, a route through a gateway), Aeron's default stays.</li>
 * <li>{@code term-length} (sender): 64 MiB, so that the publication's window (half a term) is not
 * what limits a stream of large frames. The cost: three terms per publication and per image, files
 * in the driver's directory under /dev/shm that Aeron touches when it makes them (192 MiB on each
 * side of a stream).</li>
 * <li>{@code so-rcvbuf} and {@code rcv-wnd} (receiver), {@code so-sndbuf} (sender): the kernel's
 * largest socket buffer ({@code net.core.rmem_max} / {@code wmem_max}), at most 32 MiB. A
 * receiver window larger than the socket buffer would let the sender overrun it; so both are the
 * same. scripts/netns-up raises the two sysctls to 32 MiB where it runs as root.</li>
 * </ul>
 * IPC channels and URIs that are not Aeron UDP channels are returned unchanged; a parameter the URI
 * gives is never replaced.
 */
public final class ChannelDefaults {
    /** Aeron's largest datagram payload ({@code Configuration.MAX_UDP_PAYLOAD_LENGTH}). */
    static final int MAX_MTU = 65_504;
    /** Aeron's default MTU: vbuf never picks less. */
    static final int AERON_DEFAULT_MTU = 1_408;
    static final String TERM_LENGTH = "64m";
    static final int MAX_SOCKET_BUFFER = 32 << 20;
    /** Aeron's default socket buffer and window: vbuf never picks less. */
    static final int AERON_DEFAULT_WINDOW = 128 << 10;

    private ChannelDefaults() {}

    /** The channel a sender publishes on: {@code mtu}, {@code term-length} and {@code so-sndbuf} added where missing. */
    public static String forSending(String channel) {
        ChannelUri uri = udp(channel);
        if (uri == null) return channel;
        String before = uri.toString();
        if (uri.get("mtu") == null) {
            int mtu = mtuFor(uri);
            if (mtu > 0) uri.put("mtu", Integer.toString(mtu));
        }
        if (uri.get("term-length") == null) uri.put("term-length", TERM_LENGTH);
        if (uri.get("so-sndbuf") == null) {
            int b = socketBuffer("wmem_max");
            if (b > 0) uri.put("so-sndbuf", Integer.toString(b));
        }
        String after = uri.toString();
        return after.equals(before) ? channel : after;
    }

    /** The channel a receiver subscribes to: {@code so-rcvbuf} and {@code rcv-wnd} added where missing. */
    public static String forReceiving(String channel) {
        ChannelUri uri = udp(channel);
        if (uri == null) return channel;
        int b = socketBuffer("rmem_max");
        if (b <= 0) return channel;
        String given = uri.get("so-rcvbuf");
        if (given != null) return channel; // a window of Aeron's default fits any buffer the user asks for
        uri.put("so-rcvbuf", Integer.toString(b));
        if (uri.get("rcv-wnd") == null) uri.put("rcv-wnd", Integer.toString(b));
        return uri.toString();
    }

    private static ChannelUri udp(String channel) {
        try {
            ChannelUri uri = ChannelUri.parse(channel);
            return "udp".equals(uri.media()) ? uri : null;
        } catch (RuntimeException e) {
            return null; // NetLink.checkChannel names the problem
        }
    }

    /**
     * The MTU for the interface that reaches the channel's endpoint (or, for multicast, its
     * {@code interface}), or 0 when it cannot be told.
     */
    static int mtuFor(ChannelUri uri) {
        String endpoint = uri.get("endpoint");
        if (endpoint == null) return 0;
        String host = host(endpoint);
        try {
            InetAddress to = InetAddress.getByName(host);
            if (to.isMulticastAddress()) {
                String itf = uri.get("interface");
                if (itf == null) return 0;
                String h = itf.contains("/") ? itf.substring(0, itf.indexOf('/')) : itf; // address[:port][/prefix]
                if (h.startsWith("[")) h = h.substring(1, h.indexOf(']'));
                else if (h.indexOf(':') >= 0 && h.indexOf(':') == h.lastIndexOf(':')) h = h.substring(0, h.indexOf(':'));
                to = InetAddress.getByName(h);
            }
            int linkMtu = linkMtu(to);
            return linkMtu <= 0 ? 0 : datagramMtu(linkMtu, to instanceof java.net.Inet6Address);
        } catch (Exception e) {
            return 0; // unknown host or interfaces not readable: Aeron's default
        }
    }

    /** The datagram size for a link MTU: less the IP and UDP headers, 32-byte aligned, within Aeron's range; 0 if below Aeron's default. */
    static int datagramMtu(int linkMtu, boolean ipv6) {
        int m = Math.min(MAX_MTU, (linkMtu - (ipv6 ? 48 : 28)) & ~31);
        return m >= AERON_DEFAULT_MTU ? m : 0;
    }

    private static String host(String endpoint) {
        if (endpoint.startsWith("[")) return endpoint.substring(1, endpoint.indexOf(']'));
        int colon = endpoint.lastIndexOf(':');
        return colon < 0 ? endpoint : endpoint.substring(0, colon);
    }

    /** MTU of the interface through which {@code to} is reached directly (its own subnet, or this host), else 0. */
    private static int linkMtu(InetAddress to) throws Exception {
        int best = 0, bestPrefix = -1;
        for (Enumeration<NetworkInterface> e = NetworkInterface.getNetworkInterfaces(); e.hasMoreElements(); ) {
            NetworkInterface ni = e.nextElement();
            if (!ni.isUp()) continue;
            for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
                InetAddress a = ia.getAddress();
                if (a.getClass() != to.getClass()) continue;
                if (a.equals(to) || to.isLoopbackAddress()) { // this host: the kernel sends it over loopback
                    NetworkInterface lo = loopback();
                    return lo != null ? lo.getMTU() : 0;
                }
                int prefix = ia.getNetworkPrefixLength();
                if (prefix > bestPrefix && samePrefix(a, to, prefix)) {
                    best = ni.getMTU();
                    bestPrefix = prefix;
                }
            }
        }
        return best;
    }

    private static NetworkInterface loopback() throws Exception {
        for (Enumeration<NetworkInterface> e = NetworkInterface.getNetworkInterfaces(); e.hasMoreElements(); ) {
            NetworkInterface ni = e.nextElement();
            if (ni.isLoopback() && ni.isUp()) return ni;
        }
        return null;
    }

    static boolean samePrefix(InetAddress a, InetAddress b, int prefix) {
        byte[] x = a.getAddress(), y = b.getAddress();
        if (x.length != y.length || prefix < 0 || prefix > 8 * x.length) return false;
        for (int i = 0; i < prefix; i++) {
            int mask = 0x80 >>> (i & 7);
            if ((x[i >>> 3] & mask) != (y[i >>> 3] & mask)) return false;
        }
        return true;
    }

    /** min(/proc/sys/net/core/NAME, 32 MiB), or 0 when that is unreadable or not above Aeron's default. */
    static int socketBuffer(String name) {
        try {
            long v = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core", name)).getFirst().trim()); // (readString stops short on /proc)
            int b = (int) Math.min(v, MAX_SOCKET_BUFFER);
            return b > AERON_DEFAULT_WINDOW ? b : 0;
        } catch (Exception e) {
            return 0;
        }
    }
}
