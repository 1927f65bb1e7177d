package dev.pagoda.pool.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The file behind a pool: whole pages read and written at their positions ({@code pread}/{@code pwrite} through
 * {@link FileChannel}), the lock that keeps a second pool off it, and optionally {@code O_DIRECT}.
 *
 * <p><b>One pool per file.</b> The file is locked with {@link FileChannel#tryLock()}, which another process's pool
 * respects. Within one JVM a POSIX lock cannot tell pools apart, and worse, closing <i>any</i> descriptor of a file
 * drops every lock the process holds on it: a second pool that merely opened the file to find it locked would
 * unlock it for everyone. So pools of this JVM first claim the file's identity (device and inode, from
 * {@link BasicFileAttributes#fileKey()}) in a set of open files, before any descriptor is opened, and a file
 * already claimed is refused without being opened.
 *
 * <p><b>Interrupts.</b> A {@link FileChannel} closes itself when a thread blocked in it is interrupted, which would
 * end the pool for every thread because one was interrupted. So each transfer clears the calling thread's interrupt
 * status first and sets it again afterwards; an interrupt that arrives during the transfer still closes the
 * channel, and then the file is opened and locked again and the transfer repeated. Another process could take the
 * lock in that moment; the pool then refuses further I/O with an {@link IllegalStateException}.
 *
 * <p><b>{@code O_DIRECT}.</b> With {@code direct}, transfers bypass the OS page cache; buffers, positions and
 * lengths must be multiples of the file system's block size, which frames (aligned to the page size) and whole
 * pages are when the page size is a multiple of the block size. A file system that refuses {@code O_DIRECT} is
 * reported by {@link #open} with an {@link UnsupportedOperationException} naming it.
 */
public final class PageFile {
    /**
     * {@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, found reflectively: a compile-time reference draws javac's
     * "internal proprietary API" warning, which no {@code -Xlint} option silences. Null on a JDK without it.
     */
    private static final OpenOption DIRECT = directOption();
    /** The identities of the files open by a pool in this JVM. */
    private static final Set<Object> OPEN = ConcurrentHashMap.newKeySet();

    private final Path path;
    private final Object identity;
    private final long pageSize;
    private final boolean direct;
    private final long initialPages;
    /** The channel in use; replaced (under this object's monitor) when an interrupt closed it. */
    private volatile FileChannel channel;
    private FileLock lock;
    private volatile boolean closed;

    private PageFile(final Path path, final Object identity, final long pageSize, final boolean direct,
                     final FileChannel channel, final FileLock lock, final long initialPages) {
        this.path = path;
        this.identity = identity;
        this.pageSize = pageSize;
        this.direct = direct;
        this.channel = channel;
        this.lock = lock;
        this.initialPages = initialPages;
    }

    /**
     * Opens (creating it if missing) and locks the file of a pool.
     *
     * @param path     the file
     * @param pageSize the page size; the file's length must be a multiple of it
     * @param maxPages the most pages the file may hold
     * @param direct   whether to open it with {@code O_DIRECT}
     * @return the open file
     * @throws IllegalArgumentException      if the length is not a multiple of the page size or holds more than
     *                                       {@code maxPages} pages, or (with {@code direct}) the page size is not a
     *                                       multiple of the file system's block size
     * @throws IllegalStateException         if a pool of this JVM or another process has the file open
     * @throws UnsupportedOperationException if {@code direct} and the file system refuses {@code O_DIRECT}
     * @throws IOException                   if the file cannot be created, opened or read
     */
    public static PageFile open(final Path path, final long pageSize, final long maxPages, final boolean direct)
            throws IOException {
        try {
            Files.createFile(path);
        } catch (final FileAlreadyExistsException exists) {
            // an existing file: its pages are the pool's
        }
        final Object identity = identity(path);
        if (!OPEN.add(identity)) {
            throw new IllegalStateException("file " + path + " is already open by another pool in this JVM: one pool "
                    + "per file");
        }
        FileChannel channel = null;
        try {
            if (direct) {
                final long block = Files.getFileStore(path).getBlockSize();
                if (pageSize % block != 0) {
                    throw new IllegalArgumentException("pageSize must be a multiple of the block size " + block
                            + " of " + path + "'s file system for O_DIRECT: pageSize=" + pageSize);
                }
            }
            channel = openChannel(path, direct);
            final FileLock lock = lock(channel, path);
            final long length = channel.size();
            if (length % pageSize != 0) {
                throw new IllegalArgumentException("the length of file " + path + " must be a multiple of pageSize "
                        + pageSize + ": length=" + length);
            }
            if (length / pageSize > maxPages) {
                throw new IllegalArgumentException("file " + path + " holds " + length / pageSize
                        + " pages, more than maxPages=" + maxPages);
            }
            return new PageFile(path, identity, pageSize, direct, channel, lock, length / pageSize);
        } catch (final IOException | RuntimeException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (final IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            OPEN.remove(identity);
            throw e;
        }
    }

    private static Object identity(final Path path) throws IOException {
        final Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        return key != null ? key : path.toRealPath();
    }

    private static OpenOption directOption() {
        try {
            for (final Object option : Class.forName("com.sun.nio.file.ExtendedOpenOption").getEnumConstants()) {
                if (((Enum<?>) option).name().equals("DIRECT")) {
                    return (OpenOption) option;
                }
            }
        } catch (final ClassNotFoundException absent) {
            // a JDK without jdk.unsupported's file options: direct I/O is refused below
        }
        return null;
    }

    private static FileChannel openChannel(final Path path, final boolean direct) throws IOException {
        if (direct && DIRECT == null) {
            throw new UnsupportedOperationException("directIo(true) needs com.sun.nio.file.ExtendedOpenOption.DIRECT "
                    + "(module jdk.unsupported), which this JDK lacks");
        }
        final OpenOption[] options = direct
                ? new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE, DIRECT}
                : new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
        try {
            return FileChannel.open(path, options);
        } catch (final IOException refused) {
            if (!direct) {
                throw refused;
            }
            // Is it O_DIRECT the file system refuses (EINVAL), or the file? Open it plainly to tell.
            try (FileChannel plain = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                plain.size();
            }
            final UnsupportedOperationException e = new UnsupportedOperationException("directIo(true): the file "
                    + "system of " + path + " (" + Files.getFileStore(path).type() + ") refuses O_DIRECT: "
                    + refused.getMessage());
            e.initCause(refused);
            throw e;
        }
    }

    private static FileLock lock(final FileChannel channel, final Path path) throws IOException {
        final FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (final OverlappingFileLockException e) {
            throw new IllegalStateException("file " + path + " is locked by another channel of this JVM", e);
        }
        if (lock == null) {
            throw new IllegalStateException("file " + path + " is locked by another process (another pool?): one "
                    + "pool per file");
        }
        return lock;
    }

    /**
     * How many whole pages the file held when it was opened.
     *
     * @return its length over the page size
     */
    public long initialPages() {
        return initialPages;
    }

    /**
     * The file's path.
     *
     * @return the path
     */
    public Path path() {
        return path;
    }

    /**
     * Whether transfers bypass the page cache.
     *
     * @return true with {@code O_DIRECT}
     */
    public boolean direct() {
        return direct;
    }

    /**
     * Reads page {@code pid} into {@code frame}, a whole page; bytes past the end of the file read as zero.
     *
     * @param pid   the page id
     * @param frame a buffer of exactly one page, positioned at 0
     * @throws IOException if the read fails
     */
    public void read(final long pid, final ByteBuffer frame) throws IOException {
        transfer(pid, frame, false);
    }

    /**
     * Writes {@code frame}, a whole page, as page {@code pid}, extending the file if the page is past its end.
     *
     * @param pid   the page id
     * @param frame a buffer of exactly one page, positioned at 0
     * @throws IOException if the write fails
     */
    public void write(final long pid, final ByteBuffer frame) throws IOException {
        transfer(pid, frame, true);
    }

    /**
     * Moves a whole page between the file and {@code frame} with positional calls until none of it is left, with
     * the calling thread's interrupt status set aside (and restored after), and the channel opened again if an
     * interrupt closed it meanwhile.
     */
    private void transfer(final long pid, final ByteBuffer frame, final boolean write) throws IOException {
        final long position = pid * pageSize;
        boolean interrupted = Thread.interrupted();
        try {
            while (frame.hasRemaining()) {
                final FileChannel ch = channel;
                try {
                    if (write) {
                        ch.write(frame, position + frame.position());
                    } else if (ch.read(frame, position + frame.position()) < 0) {
                        while (frame.hasRemaining()) {
                            frame.put((byte) 0);
                        }
                    }
                } catch (final AsynchronousCloseException e) {
                    interrupted |= Thread.interrupted();
                    reopen(ch, e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Cuts the file back to {@code pages} pages, after an extension that failed half way.
     *
     * @param pages the pages to keep
     * @throws IOException if the truncation fails
     */
    public void truncate(final long pages) throws IOException {
        channel.truncate(pages * pageSize);
    }

    /**
     * The channel closed under a transfer: by an interrupt of this or another thread (the JDK's
     * {@code ClosedByInterruptException} and {@code AsynchronousCloseException}), or by {@link #close}. In the first
     * case open and lock the file again, once for all the threads that saw the same channel close. The caller has
     * taken its interrupt status already.
     */
    private synchronized void reopen(final FileChannel dead, final AsynchronousCloseException cause) throws IOException {
        if (closed) {
            throw cause;
        }
        if (channel != dead) {
            return; // another thread has reopened it already
        }
        final FileChannel fresh = openChannel(path, direct);
        final FileLock fresh0;
        try {
            fresh0 = fresh.tryLock();
        } catch (final IOException | OverlappingFileLockException e) {
            fresh.close();
            throw new IllegalStateException("file " + path + " could not be locked again after an interrupt closed "
                    + "its channel", e);
        }
        if (fresh0 == null) {
            fresh.close();
            throw new IllegalStateException("file " + path + " was locked by another process after an interrupt "
                    + "closed the pool's channel; the pool cannot write it any more", cause);
        }
        lock = fresh0;
        channel = fresh;
    }

    /**
     * Unlocks and closes the file and lets another pool open it. Idempotent.
     *
     * @throws IOException if closing fails; the file is released from this JVM's set all the same
     */
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            try {
                channel.close();
            } finally {
                OPEN.remove(identity);
            }
        }
    }
}
