package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HelpersTest {
    @Test
    void jsonEscapesAndNests() {
        String s = new Json().begin().put("a", "q\"b\\\n\u0001").put("n", 3).put("d", 1.25).put("w", 2.0)
                .put("nan", Double.NaN).begin("o").put("t", true).end().end().toString();
        assertEquals("{\"a\":\"q\\\"b\\\\\\n\\u0001\",\"n\":3,\"d\":1.25,\"w\":2,\"nan\":null,\"o\":{\"t\":true}}", s);
    }

    @Test
    void sizes() {
        var c = new SizeConverter();
        assertEquals(new FrameSize(3840, 2160), c.convert("3840x2160"));
        assertEquals(new FrameSize(1920, 1080), c.convert("1080p"));
        assertEquals(new FrameSize(7680, 4320), c.convert("8K"));
        assertThrows(CommandLine.TypeConversionException.class, () -> c.convert("16385x1"));
        assertThrows(CommandLine.TypeConversionException.class, () -> c.convert("x"));
    }

    @Test
    void units() {
        assertEquals("11.9 MiB", Units.bytes(12_441_600));
        assertEquals("1.00 GiB", Units.bytes(1L << 30));
        assertEquals("512 B", Units.bytes(512));
        assertEquals("59.94", Units.plain(59.94));
        assertEquals("60", Units.plain(60));
    }
}
