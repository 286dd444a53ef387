package dev.vbuf.memory;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.DmaBufIo;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Mman;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared memory (S2.2): each buffer is its own memfd ({@code memfd_create} with
 * {@code MFD_CLOEXEC | MFD_ALLOW_SEALING}), sized with {@code ftruncate} and mapped
 * {@code MAP_SHARED | MAP_POPULATE}, so it is pre-faulted at allocation and
 * {@link Allocation#fd(int)} exports it: another process that receives the descriptor (or a
 * device, through udmabuf) maps the same pages, with no copy. All-or-nothing: a failure part
 * way unmaps and closes what was made, then throws {@link BufferAllocationException}.
 */
public final class MemfdAllocator implements Allocator {
    private static final long PAGE = AlignedAllocator.PAGE;
    private final boolean udmabuf;

    public MemfdAllocator() { this(false); }

    /**
     * @param udmabuf true to also export every buffer as a DMA-BUF through /dev/udmabuf
     *                (UDMABUF_CREATE over the memfd sealed with F_SEAL_SHRINK): {@code fd(i)} is
     *                then the DMA-BUF, and CPU access is bracketed with DMA_BUF_IOCTL_SYNC
     */
    public MemfdAllocator(boolean udmabuf) { this.udmabuf = udmabuf; }

    @Override
    public String name() { return udmabuf ? "memfd+udmabuf" : "memfd"; }

    @Override
    public Allocation allocate(int count, long bufferBytes, long alignment) {
        AlignedAllocator.checkRequest(count, bufferBytes, alignment);
        if (alignment > PAGE) {
            throw new IllegalArgumentException("memfd buffers are page aligned (4096); alignment " + alignment
                    + " needs the aligned or huge-page allocator");
        }
        long mapped = (bufferBytes + PAGE - 1) & -PAGE;
        List<MemorySegment> maps = new ArrayList<>(count);
        int[] fds = new int[count];
        int[] dmabufs = new int[count];
        java.util.Arrays.fill(dmabufs, -1);
        int made = 0;
        int dev = -1;
        try {
            if (udmabuf) {
                if (!java.nio.file.Files.exists(DmaBuf.UDMABUF)) {
                    throw new BufferAllocationException(DmaBuf.UDMABUF + " does not exist, so memfd buffers cannot be"
                            + " exported as DMA-BUFs; this kernel needs CONFIG_UDMABUF (modprobe udmabuf), or use plain memfd");
                }
                dev = FileIo.open(DmaBuf.UDMABUF.toString(), Abi.O_RDWR | Abi.O_CLOEXEC);
            }
            for (; made < count; made++) {
                fds[made] = Mman.memfdCreate("vbuf-" + made, Abi.MFD_CLOEXEC | Abi.MFD_ALLOW_SEALING);
                try {
                    FileIo.ftruncate(fds[made], mapped);
                    maps.add(Mman.mmap(mapped, Abi.PROT_READ | Abi.PROT_WRITE,
                            Abi.MAP_SHARED | Abi.MAP_POPULATE, fds[made], 0));
                    if (udmabuf) {
                        DmaBufIo.sealForUdmabuf(fds[made]);
                        dmabufs[made] = DmaBufIo.udmabufCreate(dev, fds[made], 0, mapped);
                    }
                } catch (RuntimeException e) {
                    if (maps.size() > made) Mman.munmap(maps.remove(made));
                    FileIo.close(fds[made]);
                    throw e;
                }
            }
        } catch (NativeException e) {
            free(maps, fds, dmabufs, made);
            throw new BufferAllocationException("could not allocate memfd buffer " + made + " of " + count + " ("
                    + bufferBytes + " bytes each): " + e.getMessage()
                    + "; check free memory and the open-file limit (ulimit -n), or use fewer buffers", e);
        } finally {
            if (dev >= 0) FileIo.close(dev);
        }
        MemorySegment[] buffers = new MemorySegment[count];
        for (int i = 0; i < count; i++) buffers[i] = maps.get(i).asSlice(0, bufferBytes);
        return new Allocation() {
            private boolean closed;
            @Override public int count() { return count; }
            @Override public MemorySegment buffer(int i) { return buffers[i]; }
            @Override public long physicalAddress(int i) { return Pagemap.physicalAddress(buffers[i].address()); }
            @Override public int fd(int i) { return udmabuf ? dmabufs[i] : fds[i]; }
            @Override public void syncCpu(int i, int access, boolean begin) {
                if (udmabuf) DmaBufIo.sync(dmabufs[i], access, begin);
            }
            @Override public String backing() {
                return "memfd shared memory, one file per buffer, pre-faulted (MAP_POPULATE)"
                        + (udmabuf ? ", exported as DMA-BUFs through /dev/udmabuf (F_SEAL_SHRINK, UDMABUF_CREATE)" : "");
            }
            @Override public synchronized void close() {
                if (closed) return;
                closed = true;
                free(maps, fds, dmabufs, count);
            }
        };
    }

    private static void free(List<MemorySegment> maps, int[] fds, int[] dmabufs, int n) {
        for (MemorySegment m : maps) Mman.munmap(m);
        for (int i = 0; i < n; i++) {
            if (dmabufs[i] >= 0) FileIo.close(dmabufs[i]);
            FileIo.close(fds[i]);
        }
    }
}
