/**
 * vbuf-cli: the {@code vbuf} command. Not a library: it exports nothing; its command classes are
 * open to picocli, which reads their annotated fields.
 */
module dev.vbuf.cli {
    requires dev.vbuf.media;
    requires info.picocli;
    requires HdrHistogram;
    requires jdk.management; // process CPU time and per-thread allocation (com.sun.management)
    requires dev.vbuf.bench; // vbuf bench: the cross-process harness
    requires dev.vbuf.net;   // vbuf send, vbuf receive: frames across machines on Aeron
    requires dev.vbuf.monitor; // vbuf top, vbuf serve

    opens dev.vbuf.cli to info.picocli;
    opens dev.vbuf.cli.bench to info.picocli;
}
