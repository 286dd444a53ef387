package dev.vbuf.monitor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian's headless Chromium driven over its DevTools protocol (a WebSocket, the JDK's own
 * client): navigate, evaluate JavaScript in the page, take a screenshot. For tests only.
 */
final class Chromium implements AutoCloseable {
    private final Process process;
    private final Path profile;
    private final WebSocket ws;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<String>> pending = new ConcurrentHashMap<>();

    /** The browser's executable, or null when none is installed. */
    static Path find() {
        for (String p : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
            if (Files.isExecutable(Path.of(p))) return Path.of(p);
        }
        return null;
    }

    Chromium(Path exe) throws Exception {
        profile = Files.createTempDirectory("vbuf-chromium");
        process = new ProcessBuilder(exe.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0", "--user-data-dir=" + profile, "--window-size=1280,1300", "about:blank")
                .redirectErrorStream(true).start();
        String browserWs = null;
        var r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        StringBuilder log = new StringBuilder();
        for (String line; System.nanoTime() < deadline && (line = r.readLine()) != null; ) {
            log.append(line).append('\n');
            Matcher m = Pattern.compile("DevTools listening on (ws://\\S+)").matcher(line);
            if (m.find()) {
                browserWs = m.group(1);
                break;
            }
        }
        if (browserWs == null) {
            close0();
            throw new IOException("Chromium did not start its DevTools endpoint:\n" + log);
        }
        Thread.ofPlatform().daemon().start(() -> { // keep draining its output
            try {
                while (r.readLine() != null) { /* discard */ }
            } catch (IOException ignored) {
                // ended
            }
        });
        URI u = URI.create(browserWs);
        HttpClient http = HttpClient.newHttpClient();
        String list = http.send(HttpRequest.newBuilder(URI.create("http://" + u.getHost() + ":" + u.getPort() + "/json/list")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher page = Pattern.compile("\"type\"\\s*:\\s*\"page\"[^}]*?\"webSocketDebuggerUrl\"\\s*:\\s*\"(ws://[^\"]+)\"").matcher(list);
        Matcher page2 = Pattern.compile("\"webSocketDebuggerUrl\"\\s*:\\s*\"(ws://[^\"]+/page/[^\"]+)\"").matcher(list);
        String pageWs = page.find() ? page.group(1) : page2.find() ? page2.group(1) : null;
        if (pageWs == null) throw new IOException("no page target in " + list);
        ws = http.newWebSocketBuilder().buildAsync(URI.create(pageWs), new WebSocket.Listener() {
            final StringBuilder part = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                part.append(data);
                if (last) {
                    String msg = part.toString();
                    part.setLength(0);
                    Matcher id = Pattern.compile("^\\{\"id\":(\\d+),").matcher(msg);
                    if (id.find()) {
                        CompletableFuture<String> f = pending.remove(Integer.parseInt(id.group(1)));
                        if (f != null) f.complete(msg);
                    }
                }
                w.request(1);
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
    }

    /** Sends a DevTools command; returns the raw JSON answer. */
    String call(String method, String paramsJson) throws Exception {
        int id = ids.incrementAndGet();
        var f = new CompletableFuture<String>();
        pending.put(id, f);
        ws.sendText("{\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + paramsJson + "}", true).get(10, TimeUnit.SECONDS);
        String answer = f.get(60, TimeUnit.SECONDS);
        if (answer.contains("\"error\":")) throw new IOException(method + " failed: " + answer);
        return answer;
    }

    void navigate(String url) throws Exception {
        call("Page.navigate", "{\"url\":\"" + url + "\"}");
    }

    /** Evaluates {@code expression} in the page; its value as a string ("" for null or undefined). */
    String eval(String expression) throws Exception {
        String a = call("Runtime.evaluate", "{\"expression\":" + quote("String((function(){try{return (" + expression
                + ");}catch(e){return ''}})() ?? '')") + ",\"returnByValue\":true}");
        Matcher m = Pattern.compile("\"value\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(a);
        return m.find() ? m.group(1).replace("\\\"", "\"").replace("\\\\", "\\") : "";
    }

    /** Waits until {@code expression} is truthy; returns its value. */
    String await(String what, String expression, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String v = "";
        while (System.nanoTime() < deadline) {
            v = eval(expression);
            if (!v.isEmpty() && !v.equals("false") && !v.equals("0")) return v;
            Thread.sleep(100);
        }
        throw new AssertionError("the page never showed " + what + " within " + timeout + " (" + expression + " = '" + v
                + "'); page text: " + eval("document.body.innerText").replace("\\n", " | "));
    }

    void screenshot(Path to) throws Exception {
        String a = call("Page.captureScreenshot", "{\"format\":\"png\"}");
        Matcher m = Pattern.compile("\"data\":\"([^\"]+)\"").matcher(a);
        if (!m.find()) throw new IOException("no screenshot in the answer");
        Files.createDirectories(to.toAbsolutePath().getParent());
        Files.write(to, Base64.getDecoder().decode(m.group(1)));
    }

    /**
     * Screenshots of a running {@code vbuf serve} for the docs: {@code URL OUT.png SECONDS [URL2 OUT2.png]} (run with
     * the test classes on the class path).
     */
    public static void main(String[] args) throws Exception {
        try (Chromium c = new Chromium(find())) {
            for (int i = 0; i + 1 < args.length; i += 2) {
                if (args[i].matches("[0-9]+")) break;
                c.navigate(args[i]);
                Thread.sleep(Long.parseLong(args[args.length - 1]) * 1000);
                c.screenshot(Path.of(args[i + 1]));
            }
        }
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private void close0() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> s = Files.walk(profile)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    @Override
    public void close() {
        if (ws != null) ws.abort();
        close0();
    }
}
