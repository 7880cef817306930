package io.github.tcpproxy.bench;

import java.util.Locale;

/**
 * The bench's backends. Every proxy gets one listen address per backend the run uses, relayed to
 * that backend, and {@link Target#address} gives it per target; HAProxy's {@code listen} sections
 * are named by {@link #id()}.
 */
enum Service {
    /** {@link StreamServer}: the stream and request/response workloads. */
    STREAM,
    /** {@link NioServer}'s rate port: the connection-rate workload. */
    RATE,
    /** {@link NioServer}'s idle port: the idle and scale workloads. */
    IDLE,
    /** A {@code redis-server} the bench starts: the redis workload, only when Redis is installed. */
    REDIS,
    /** {@link HalfCloseServer}: the half-close workload. */
    HALFCLOSE;

    /** The lower-case name, as in {@code --only} and HAProxy's config. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
