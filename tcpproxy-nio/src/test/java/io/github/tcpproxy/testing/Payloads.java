package io.github.tcpproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Test data and the means to check it arrived byte for byte: seeded pseudo-random bytes (the same
 * seed gives the same bytes, so a receiver can check without a copy), SHA-256 in hex, reads with a
 * size bound so a peer that sends too much fails instead of filling the heap, and a slow reader.
 *
 * <p>{@link #random(int, long)}, {@link #write(OutputStream, long, long)} and
 * {@link #sha256(long, long)} produce the same byte stream for the same seed.
 */
public final class Payloads {
    private static final int CHUNK = 64 * 1024;

    private Payloads() {
    }

    /** What a reader got up to end of stream: how many bytes and their SHA-256 in hex. */
    public record Received(long bytes, String sha256) {
    }

    /** {@code size} seeded pseudo-random bytes. */
    public static byte[] random(int size, long seed) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        try {
            write(out, seed, size);
        } catch (IOException e) {
            throw new AssertionError("a ByteArrayOutputStream cannot fail", e);
        }
        return out.toByteArray();
    }

    /**
     * Writes {@code size} seeded pseudo-random bytes to {@code out} in 64 KiB writes, without
     * holding them all in memory, and flushes.
     *
     * @return the SHA-256 in hex of what was written
     */
    public static String write(OutputStream out, long seed, long size) throws IOException {
        MessageDigest digest = sha256();
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[CHUNK];
        for (long left = size; left > 0; ) {
            random.nextBytes(chunk);
            int n = (int) Math.min(CHUNK, left);
            out.write(chunk, 0, n);
            digest.update(chunk, 0, n);
            left -= n;
        }
        out.flush();
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The SHA-256 in hex of the bytes {@link #write(OutputStream, long, long)} writes for this seed and size. */
    public static String sha256(long seed, long size) {
        try {
            return write(OutputStream.nullOutputStream(), seed, size);
        } catch (IOException e) {
            throw new AssertionError("the null output stream cannot fail", e);
        }
    }

    /** The SHA-256 of {@code data} in hex. */
    public static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    /**
     * Reads exactly {@code n} bytes.
     *
     * @throws EOFException if the stream ends before, saying how many bytes came
     */
    public static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] data = new byte[n];
        int got = 0;
        while (got < n) {
            int r = in.read(data, got, n - got);
            if (r < 0) {
                throw new EOFException("end of stream after " + got + " of " + n + " bytes");
            }
            got += r;
        }
        return data;
    }

    /**
     * Reads up to end of stream into memory.
     *
     * @throws IOException if more than {@code maxBytes} arrive
     */
    public static byte[] readToEof(InputStream in, int maxBytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        for (int r; (r = in.read(buf)) >= 0; ) {
            if (out.size() + r > maxBytes) {
                throw new IOException("more than " + maxBytes + " bytes before end of stream");
            }
            out.write(buf, 0, r);
        }
        return out.toByteArray();
    }

    /**
     * Reads up to end of stream, keeping only the count and the SHA-256: for transfers too big to
     * hold.
     *
     * @throws IOException if more than {@code maxBytes} arrive
     */
    public static Received drain(InputStream in, long maxBytes) throws IOException {
        MessageDigest digest = sha256();
        byte[] buf = new byte[CHUNK];
        long total = 0;
        for (int r; (r = in.read(buf)) >= 0; ) {
            total += r;
            if (total > maxBytes) {
                throw new IOException("more than " + maxBytes + " bytes before end of stream");
            }
            digest.update(buf, 0, r);
        }
        return new Received(total, HexFormat.of().formatHex(digest.digest()));
    }

    /**
     * Wraps {@code in} so that it reads at most {@code maxRead} bytes per call and pauses for
     * {@code pause} after each read: a slow consumer, to make a sender (or a proxy) feel
     * backpressure. The pause is the reader's behaviour, not a wait for anything.
     */
    public static InputStream slow(InputStream in, int maxRead, Duration pause) {
        long pauseNanos = pause.toNanos();
        return new FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, Math.min(len, maxRead));
                if (n > 0) {
                    LockSupport.parkNanos(pauseNanos);
                }
                return n;
            }
        };
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
