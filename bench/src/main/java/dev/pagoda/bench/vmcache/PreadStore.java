package dev.pagoda.bench.vmcache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * No cache of its own: each read is a {@link FileChannel#read(ByteBuffer, long)} of the whole page into a direct
 * buffer the thread reuses, each update a read, a change and a {@link FileChannel#write(ByteBuffer, long)} of the
 * page. The kernel's page cache serves the reads; no latch, so two updates of one page may lose one of them.
 */
final class PreadStore implements PageStore {
    private final FileChannel channel;
    private final long pageSize;
    private final ThreadLocal<ByteBuffer> buffers;

    PreadStore(final Path path, final long pageSize) {
        this.pageSize = pageSize;
        this.buffers = ThreadLocal.withInitial(
                () -> ByteBuffer.allocateDirect(Math.toIntExact(pageSize)).order(ByteOrder.nativeOrder()));
        try {
            this.channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public long read(final long pid) {
        final ByteBuffer buffer = load(pid);
        long sum = 0;
        for (int o = 0; o < pageSize; o += (int) READ_STRIDE) {
            sum += buffer.getLong(o);
        }
        return sum;
    }

    @Override
    public void update(final long pid, final long value) {
        final ByteBuffer buffer = load(pid);
        buffer.putLong((int) UPDATE_OFFSET, value).clear();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer, pid * pageSize + buffer.position());
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ByteBuffer load(final long pid) {
        final ByteBuffer buffer = buffers.get().clear();
        try {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, pid * pageSize + buffer.position()) < 0) {
                    throw new IOException("page " + pid + " beyond the end of the file");
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer;
    }

    @Override
    public long heldBytes() {
        return 0;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
