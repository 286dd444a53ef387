package dev.vbuf.net;

import io.aeron.ChannelUri;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.NetworkInterface;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The settings a UDP channel gets for large frames, and that a channel's own settings win. */
class ChannelDefaultsTest {
    @Test
    void datagramsFitTheLinkWithoutIpFragments() {
        assertEquals(65_504, ChannelDefaults.datagramMtu(65_536, false), "loopback");
        assertEquals(65_504, ChannelDefaults.datagramMtu(65_535, false), "a veth pair at 64 KiB");
        assertEquals(8_960, ChannelDefaults.datagramMtu(9_000, false), "jumbo Ethernet: 9000 - 28, 32-byte aligned");
        assertEquals(1_472, ChannelDefaults.datagramMtu(1_500, false), "Ethernet");
        assertEquals(1_440, ChannelDefaults.datagramMtu(1_500, true), "Ethernet, IPv6 headers");
        assertEquals(0, ChannelDefaults.datagramMtu(1_280, false), "below Aeron's default: left to Aeron");
    }

    @Test
    void prefixesCompareBitByBit() throws Exception {
        InetAddress a = InetAddress.getByName("10.200.0.1"), b = InetAddress.getByName("10.200.0.2");
        assertTrue(ChannelDefaults.samePrefix(a, b, 24));
        assertTrue(ChannelDefaults.samePrefix(a, b, 30));
        assertFalse(ChannelDefaults.samePrefix(a, b, 31));
        assertFalse(ChannelDefaults.samePrefix(a, InetAddress.getByName("::1"), 8), "different families");
        assertFalse(ChannelDefaults.samePrefix(a, b, 33), "prefix longer than the address");
    }

    @Test
    void loopbackGetsTheLargestDatagramAndBigTerms() throws Exception {
        int lo = 0;
        for (var e = NetworkInterface.getNetworkInterfaces(); e.hasMoreElements(); ) {
            var ni = e.nextElement();
            if (ni.isLoopback() && ni.isUp()) lo = ni.getMTU();
        }
        ChannelUri uri = ChannelUri.parse(ChannelDefaults.forSending("aeron:udp?endpoint=127.0.0.1:40123"));
        assertEquals("127.0.0.1:40123", uri.get("endpoint"));
        int expected = ChannelDefaults.datagramMtu(lo, false);
        assertEquals(expected == 0 ? null : Integer.toString(expected), uri.get("mtu"), "loopback MTU " + lo);
        assertEquals("64m", uri.get("term-length"));
    }

    @Test
    void aChannelsOwnSettingsWin() {
        String ch = "aeron:udp?endpoint=127.0.0.1:40123|mtu=8k|term-length=16m|so-sndbuf=262144";
        ChannelUri s = ChannelUri.parse(ChannelDefaults.forSending(ch));
        assertEquals("8k", s.get("mtu"));
        assertEquals("16m", s.get("term-length"));
        assertEquals("262144", s.get("so-sndbuf"));
        ChannelUri r = ChannelUri.parse(ChannelDefaults.forReceiving("aeron:udp?endpoint=127.0.0.1:40123|so-rcvbuf=262144"));
        assertEquals("262144", r.get("so-rcvbuf"));
        assertNull(r.get("rcv-wnd"), "a window above the channel's own socket buffer would be refused by Aeron");
    }

    @Test
    void receiversGetAWindowAsLargeAsTheirSocketBuffer() {
        int b = ChannelDefaults.socketBuffer("rmem_max");
        ChannelUri r = ChannelUri.parse(ChannelDefaults.forReceiving("aeron:udp?endpoint=127.0.0.1:40123"));
        if (b == 0) {
            assertNull(r.get("so-rcvbuf"), "rmem_max at or below Aeron's default: left to Aeron");
        } else {
            assertEquals(Integer.toString(b), r.get("so-rcvbuf"));
            assertEquals(r.get("so-rcvbuf"), r.get("rcv-wnd"));
            assertTrue(b <= ChannelDefaults.MAX_SOCKET_BUFFER);
        }
        assertEquals(r.toString(), ChannelDefaults.forReceiving(r.toString()), "applying twice changes nothing");
    }

    @Test
    void ipcAndMulticastWithoutInterfaceAreLeftAlone() {
        assertEquals("aeron:ipc", ChannelDefaults.forSending("aeron:ipc"));
        assertEquals("aeron:ipc", ChannelDefaults.forReceiving("aeron:ipc"));
        assertNull(ChannelUri.parse(ChannelDefaults.forSending("aeron:udp?endpoint=239.255.90.1:40125")).get("mtu"),
                "a multicast group without an interface: the link is not known");
        assertEquals("not a channel", ChannelDefaults.forSending("not a channel"));
    }
}
