/**
 * A JUnit 5 extension for tcpproxy: {@link io.github.tcpproxy.junit5.TcpProxyExtension} gives a
 * test class (static field) or each test (instance field) a proxy on port 0, injects it into test
 * methods, and removes faults after each test.
 */
module io.github.tcpproxy.junit5 {
    requires transitive io.github.tcpproxy;
    requires transitive org.junit.jupiter.api;

    exports io.github.tcpproxy.junit5;
}
