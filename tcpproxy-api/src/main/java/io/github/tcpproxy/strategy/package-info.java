/**
 * The built-in strategies, each registered as a {@link io.github.tcpproxy.spi.StrategyProvider}
 * exactly as a user's would be. They are pure logic over the backend views: no I/O, testable
 * without sockets, thread-safe, non-blocking, and free of allocation per selection once warm.
 *
 * <p>The set is Linux IPVS's schedulers plus two random ones. Names (IPVS short name as alias):
 * {@code round-robin} (rr), {@code weighted-round-robin} (wrr), {@code least-connections} (lc),
 * {@code weighted-least-connections} (wlc), {@code shortest-expected-delay} (sed),
 * {@code never-queue} (nq), {@code locality-least-connections} (lblc),
 * {@code locality-least-connections-replicated} (lblcr), {@code destination-hash} (dh),
 * {@code source-hash} (sh), {@code maglev} (mh), {@code weighted-failover} (fo),
 * {@code weighted-overflow} (ovf), {@code weighted-random-two} (twos), {@code random} and
 * {@code power-of-two} (p2c).
 *
 * <p>Shared rules, as in IPVS: a backend is eligible when
 * {@link io.github.tcpproxy.spi.SelectionContext#isEligible(io.github.tcpproxy.spi.BackendView)}
 * holds (weight above 0, up, under its connection limit, not excluded after a failed connect);
 * a backend's connection overhead is {@code 256 * active + inactive}; ratios are compared by
 * cross-multiplying, exactly; ties go to the earlier backend in configuration order (for the
 * random ones, to the first draw). Strategies that derive tables from the backends (wrr, dh, sh,
 * mh) cache them keyed on the identity of {@link io.github.tcpproxy.spi.SelectionContext#backends()}
 * and on the weights, and rebuild them on the first selection after a change.
 */
package io.github.tcpproxy.strategy;
