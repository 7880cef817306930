package io.github.tcpproxy;

import java.time.Duration;

/**
 * Active health checking, as HAProxy's {@code check inter/rise/fall}: every {@link #interval()}
 * the proxy opens a TCP connection to each backend (then closes it at once); {@link #fall()}
 * failures in a row mark a backend down, {@link #rise()} successes in a row mark it up again.
 * Checks run on the proxy's reactor threads, not on a thread per backend. When the proxy sends
 * the PROXY protocol ({@link TcpProxy.Builder#sendProxyProtocol}), a check that connected sends
 * a header naming no client (v1 {@code PROXY UNKNOWN}, v2 {@code LOCAL}) before it closes, as
 * HAProxy's checks do. Immutable.
 *
 * <pre>{@code
 * TcpProxy.builder()...healthCheck(HealthCheck.tcp().withInterval(Duration.ofSeconds(1)).withFall(2))
 * }</pre>
 *
 * @param interval time between two checks of one backend
 * @param timeout how long one check's connect may take
 * @param rise successes in a row that mark a down backend up
 * @param fall failures in a row that mark an up backend down
 */
public record HealthCheck(Duration interval, Duration timeout, int rise, int fall) {

    /**
     * Checks every value.
     *
     * @throws IllegalArgumentException naming the value if a duration is null or not positive,
     *     or rise or fall is less than 1
     */
    public HealthCheck {
        TcpProxy.Builder.positive("health check interval", interval);
        TcpProxy.Builder.positive("health check timeout", timeout);
        if (rise < 1) {
            throw new IllegalArgumentException("health check rise " + rise + " must be 1 or more");
        }
        if (fall < 1) {
            throw new IllegalArgumentException("health check fall " + fall + " must be 1 or more");
        }
    }

    /** HAProxy's defaults: every 2 s, 2 s timeout, rise 2, fall 3. */
    public static HealthCheck tcp() {
        return new HealthCheck(Duration.ofSeconds(2), Duration.ofSeconds(2), 2, 3);
    }

    /** A copy with another interval. */
    public HealthCheck withInterval(Duration interval) {
        return new HealthCheck(interval, timeout, rise, fall);
    }

    /** A copy with another connect timeout. */
    public HealthCheck withTimeout(Duration timeout) {
        return new HealthCheck(interval, timeout, rise, fall);
    }

    /** A copy with another rise count. */
    public HealthCheck withRise(int rise) {
        return new HealthCheck(interval, timeout, rise, fall);
    }

    /** A copy with another fall count. */
    public HealthCheck withFall(int fall) {
        return new HealthCheck(interval, timeout, rise, fall);
    }
}
