package io.github.tcpproxy.strategy;

import io.github.tcpproxy.spi.BackendView;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hash functions and table helpers for the hashing schedulers (dh, sh, mh). Everything here is
 * a fixed function of its input, never of the JVM ({@code Object.hashCode}, random seeds), so
 * that every proxy instance with the same backends makes the same choice.
 */
final class Hashing {
    /** The kernel's {@code GOLDEN_RATIO_32}, the multiplier of {@code hash_32()}. */
    private static final int GOLDEN_RATIO_32 = 0x61C88647;

    /**
     * {@code Inet4Address.hashCode()} has returned the address as an int since JDK 1.0; using it
     * avoids the array copy {@code getAddress()} makes on every call. Checked once here, so that
     * a JDK that changes it only costs us the copy.
     */
    private static final boolean IPV4_HASH_IS_ADDRESS = checkIpv4HashCode();

    private Hashing() {
    }

    private static boolean checkIpv4HashCode() {
        try {
            byte[] probe = {(byte) 192, 0, 2, (byte) 201};
            return InetAddress.getByAddress(probe).hashCode() == toInt(probe, 0);
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /**
     * The address folded to 32 bits as IPVS does: an IPv4 address as its number, an IPv6 address
     * as the XOR of its four 32-bit words.
     */
    static int fold(InetAddress address) {
        if (address instanceof Inet4Address) {
            return IPV4_HASH_IS_ADDRESS ? address.hashCode() : toInt(address.getAddress(), 0);
        }
        byte[] b = address.getAddress();
        int folded = 0;
        for (int i = 0; i + 3 < b.length; i += 4) {
            folded ^= toInt(b, i);
        }
        return folded;
    }

    private static int toInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    /** The kernel's {@code hash_32(key, bits)}: multiplicative hashing, top {@code bits} bits. */
    static int hash32(int key, int bits) {
        return (key * GOLDEN_RATIO_32) >>> (32 - bits);
    }

    /** A 64-bit finalizer (the SplitMix64 one): every input bit affects every output bit. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** {@code hash} reduced to {@code 0..size-1} without bias worth mentioning for size below 2^31. */
    static int reduce(long hash, int size) {
        return (int) ((hash >>> 1) % size);
    }

    /**
     * A fixed 64-bit hash of a socket address's IP bytes and port (FNV-1a, then mixed), the same
     * in every JVM. Allocates: call it when building tables, not per connection.
     */
    static long addressHash(InetSocketAddress address, long seed) {
        long h = 0xcbf29ce484222325L ^ seed;
        InetAddress ip = address.getAddress();
        byte[] bytes = ip == null
                ? address.getHostString().getBytes(java.nio.charset.StandardCharsets.UTF_8)
                : ip.getAddress();
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        int port = address.getPort();
        h = (h ^ (port >>> 8)) * 0x100000001b3L;
        h = (h ^ (port & 0xff)) * 0x100000001b3L;
        return mix64(h);
    }

    /** Whether {@code n} is a prime number (trial division; for table sizes, at build time). */
    static boolean isPrime(long n) {
        if (n < 2) {
            return false;
        }
        if (n % 2 == 0) {
            return n == 2;
        }
        for (long d = 3; d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }

    /** The largest prime below {@code n}, or 2 if there is none. */
    static long primeBelow(long n) {
        for (long p = n - 1; p > 2; p--) {
            if (isPrime(p)) {
                return p;
            }
        }
        return 2;
    }

    /** The smallest prime above {@code n}. */
    static long primeAbove(long n) {
        long p = Math.max(2, n + 1);
        while (!isPrime(p)) {
            p++;
        }
        return p;
    }

    /**
     * The weights a hash table is built from: the current weight, or for a backend drained to 0
     * the last positive weight it had (IPVS mh's {@code last_weight}), so that quiescing a
     * backend does not reshuffle anyone else. A backend never seen with a positive weight falls
     * back to its configured weight, and has none (0) if that is 0 too.
     *
     * @param previous the backends of the table being replaced, or null
     * @param previousWeights that table's table weights, in its order
     */
    static int[] tableWeights(List<BackendView> backends, List<BackendView> previous, int[] previousWeights) {
        int n = backends.size();
        int[] result = new int[n];
        Map<InetSocketAddress, Integer> last = null;
        for (int i = 0; i < n; i++) {
            BackendView b = backends.get(i);
            int w = b.weight();
            if (w > 0) {
                result[i] = w;
                continue;
            }
            if (last == null) {
                last = new HashMap<>();
                if (previous != null) {
                    for (int j = 0; j < previous.size() && j < previousWeights.length; j++) {
                        last.put(previous.get(j).address(), previousWeights[j]);
                    }
                }
            }
            Integer remembered = last.get(b.address());
            result[i] = remembered != null ? remembered : Math.max(0, b.backend().weight());
        }
        return result;
    }

    /**
     * How many consecutive table entries each backend takes per round: weight / gcd, shifted
     * right until the largest fits in {@code maxBits} bits (IPVS mh's {@code rshift}), at least
     * 1 for every positive weight and 0 for weight 0.
     */
    static int[] turns(int[] weights, int maxBits) {
        int g = Scheduling.gcdOfPositive(weights);
        int[] turns = new int[weights.length];
        if (g == 0) {
            return turns;
        }
        int top = Scheduling.max(weights) / g;
        int shift = Math.max(0, 32 - Integer.numberOfLeadingZeros(top) - maxBits);
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] > 0) {
                turns[i] = Math.max(1, (weights[i] / g) >> shift);
            }
        }
        return turns;
    }
}
