package dev.vbuf.monitor;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The page of {@code vbuf serve} in a real browser (Debian's headless Chromium over DevTools):
 * it loads the overview, sees a live pool appear, sees its frame counter advance, sees drops
 * appear once the pool's consumer turns slow, and draws the pool's page (screenshots in
 * target/, and in -Dvbuf.screenshots=DIR when given). Skipped where Chromium is not installed
 * (scripts/install-monitor-test-tools installs it).
 */
class BrowserTest {
    @Test
    void overviewShowsALivePoolItsFramesAndItsDropsAndThePoolPageDraws() throws Exception {
        Path exe = Chromium.find();
        Assumptions.assumeTrue(exe != null, "Chromium is not installed; run scripts/install-monitor-test-tools to install it"
                + " (Debian's chromium package) and run this test");
        String name = "web-" + ProcessHandle.current().pid();
        try (Monitor monitor = new Monitor(new Monitor.Options(Duration.ofMillis(5), Duration.ofMillis(200), Duration.ofSeconds(5))).start();
             MonitorServer server = new MonitorServer(monitor, InetAddress.getLoopbackAddress(), 0);
             Chromium browser = new Chromium(exe)) {
            String base = "http://127.0.0.1:" + server.port();
            browser.navigate(base + "/");
            browser.await("the live connection", "document.body.dataset.updates >= 1", Duration.ofSeconds(30));
            assertFalse(browser.eval("!!document.querySelector('[data-pool^=\"" + name + "@\"]')").equals("true"),
                    "the pool does not exist yet");
            try (LivePool live = new LivePool(name, 100)) {
                String card = "document.querySelector('[data-pool^=\"" + name + "@\"]')";
                browser.await("the new pool's card", "!!" + card, Duration.ofSeconds(30));
                long first = Long.parseLong(browser.await("its frame counter", card + ".querySelector('.published').textContent",
                        Duration.ofSeconds(10)));
                browser.await("its frame counter advancing", "Number(" + card + ".querySelector('.published').textContent) > " + (first + 20),
                        Duration.ofSeconds(30));
                long drops = Long.parseLong(browser.eval(card + ".querySelector('.drops').textContent"));
                live.slowMs = 40; // 25 frames/s read of 100 made: drop-oldest takes frames back
                browser.await("drops after the consumer turned slow",
                        "Number(" + card + ".querySelector('.drops').textContent) > " + (drops + 10), Duration.ofSeconds(30));
                browser.screenshot(Path.of("target", "monitor-overview.png"));
                String id = browser.eval(card + ".dataset.pool");
                browser.navigate(base + "/pool/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
                browser.await("the pool page's frame counter", "document.getElementById('f-published') && document.body.dataset.updates >= 15",
                        Duration.ofSeconds(30));
                assertTrue(Long.parseLong(browser.eval("document.getElementById('f-drops').textContent")) > drops + 10);
                assertEquals("6", browser.eval("document.querySelectorAll('#groups tr').length + 4"),
                        "the groups table: a header and group 'main'"); // 2 rows + 4
                // the canvases were drawn: some pixel of the lag chart is not the background
                assertEquals("true", browser.eval("(() => { const c = document.getElementById('lag'); const d = c.getContext('2d')"
                        + ".getImageData(0, 0, c.width, c.height).data; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;"
                        + " return false; })()"));
                Path shot = Path.of("target", "monitor-pool.png");
                browser.screenshot(shot);
                String keep = System.getProperty("vbuf.screenshots");
                if (keep != null) {
                    browser.screenshot(Path.of(keep, "monitor-pool.png"));
                    browser.navigate(base + "/");
                    browser.await("the overview again", "document.body.dataset.updates >= 5", Duration.ofSeconds(30));
                    browser.screenshot(Path.of(keep, "monitor-overview.png"));
                }
            }
        }
    }
}
