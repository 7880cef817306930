package io.github.tcpproxy.bench;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the interoperability tests do when a real program they run is not installed. */
final class InteropPrograms {
    private InteropPrograms() {
    }

    /**
     * Nothing when {@code missing} is null; else skips the calling test, or fails it when the
     * environment variable {@code requireEnv} is {@code 1} (as CI sets it, having installed them).
     *
     * @param missing what is not installed and where it was looked for, or null
     * @param tests which tests need it, such as "HAProxy interoperability tests"
     * @param hint how to install it, or null
     */
    static void skipOrFail(String missing, String requireEnv, String tests, String hint) {
        if (missing == null) {
            return;
        }
        if ("1".equals(System.getenv(requireEnv))) {
            fail(missing + ", and " + requireEnv + "=1 requires the " + tests + " to run");
        }
        assumeTrue(false, missing + ": " + tests + " skipped (" + requireEnv + "=1 makes this a failure"
                + (hint != null ? "; " + hint : "") + ")");
    }
}
