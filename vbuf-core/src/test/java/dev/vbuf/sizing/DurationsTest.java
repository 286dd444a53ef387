package dev.vbuf.sizing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
            "16ms, 16000000", "2.5ms, 2500000", "1s, 1000000000", "500us, 500000", "250ns, 250",
            "' 16 ms ', 16000000", "16MS, 16000000", "3µs, 3000", "0ms, 0", "0.000000001s, 1", ".5s, 500000000",
            "1.5us, 1500",
    })
    void parses(String text, long nanos) {
        assertEquals(Duration.ofNanos(nanos), Durations.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"16", "ms", "16 m", "1h", "abc", "", "1.2.3ms", "1e3ms", "0.5ns", "-1ms", "99999999999999999999s"})
    void rejects(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"16000000, 16 ms", "2500000, 2.5 ms", "1000000000, 1 s", "500000, 500 us", "250, 250 ns",
            "0, 0 ms", "1500000000, 1.5 s"})
    void formatsAndRoundTrips(long nanos, String text) {
        assertEquals(text, Durations.format(Duration.ofNanos(nanos)));
        assertEquals(Duration.ofNanos(nanos), Durations.parse(text));
    }

    @ParameterizedTest
    @CsvSource({"16000000, 0.016", "1, 0.000000001", "61000000000, 61"})
    void secondsAreExact(long nanos, String seconds) {
        assertEquals(0, new BigDecimal(seconds).compareTo(Durations.seconds(Duration.ofNanos(nanos))));
    }
}
