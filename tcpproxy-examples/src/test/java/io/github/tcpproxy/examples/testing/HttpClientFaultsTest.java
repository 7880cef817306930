package io.github.tcpproxy.examples.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.fault.FaultHandle;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.fault.FlowDirection;
import io.github.tcpproxy.junit5.TcpProxyExtension;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How to test a real client through a misbehaving network: {@link HttpClient} against a small
 * local HTTP server, with the tcpproxy JUnit 5 extension in between. Each test adds its faults;
 * the extension removes them after the test.
 */
@Timeout(60)
class HttpClientFaultsTest {
    private static final String BODY = "hello through the proxy\n".repeat(1000);

    static HttpServer server;

    /** One proxy for the class, in front of the server; started once the server runs. */
    @RegisterExtension
    static final TcpProxyExtension PROXY = TcpProxyExtension.to(() -> server.getAddress());

    private HttpClient client;

    @BeforeAll
    static void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.createContext("/", exchange -> {
            byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterAll
    static void stopServer() {
        server.stop(0);
    }

    @BeforeEach
    void newClient() {
        // A new client per test: no kept-alive connection from an earlier test.
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private HttpResponse<String> get(Duration timeout) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PROXY.port() + "/"))
                .timeout(timeout).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void worksThroughTheProxy() throws Exception {
        HttpResponse<String> response = get(Duration.ofSeconds(10));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(BODY);
    }

    @Test
    void latencySlowsTheResponseDown(RunningProxy proxy) throws Exception {
        proxy.addFault(Faults.latency(Duration.ofMillis(300)), FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT));
        long start = System.nanoTime();
        HttpResponse<String> response = get(Duration.ofSeconds(10));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(300);
        assertThat(response.body()).isEqualTo(BODY);
    }

    @Test
    void theClientTimesOutOnAStalledServer(RunningProxy proxy) {
        proxy.addFault(Faults.blackHole(), FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT));
        assertThatThrownBy(() -> get(Duration.ofMillis(300))).isInstanceOf(HttpTimeoutException.class);
    }

    @Test
    void aResponseCutShortIsAnError(RunningProxy proxy) {
        proxy.addFault(Faults.limitData(100), FaultTarget.all().direction(FlowDirection.BACKEND_TO_CLIENT));
        assertThatThrownBy(() -> get(Duration.ofSeconds(10))).isInstanceOf(IOException.class);
    }

    @Test
    void aRefusedConnectionIsAConnectException(RunningProxy proxy) throws Exception {
        try (FaultHandle refuse = proxy.addFault(Faults.refuseConnections())) {
            assertThatThrownBy(() -> get(Duration.ofSeconds(10))).isInstanceOf(ConnectException.class);
        }
        assertThat(get(Duration.ofSeconds(10)).statusCode()).as("listening again").isEqualTo(200);
    }

    @Test
    void aGetIsRetriedOnceAfterAReset(RunningProxy proxy) throws Exception {
        // HttpClient retries an idempotent request once when its connection fails: one reset
        // goes unnoticed, two in a row reach the caller.
        try (FaultHandle reset = proxy.addFault(Faults.acceptThenReset(), FaultTarget.all().newConnections().first(1))) {
            assertThat(get(Duration.ofSeconds(10)).body()).as("retried after one reset").isEqualTo(BODY);
        }
        newClient();
        proxy.addFault(Faults.acceptThenReset(), FaultTarget.all().newConnections().first(2));
        assertThatThrownBy(() -> get(Duration.ofSeconds(10))).isInstanceOf(IOException.class);
        assertThat(get(Duration.ofSeconds(10)).body()).as("the third connection gets through").isEqualTo(BODY);
    }
}
