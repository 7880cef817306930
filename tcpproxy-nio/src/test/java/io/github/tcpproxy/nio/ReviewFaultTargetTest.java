package io.github.tcpproxy.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.fault.FaultTarget;
import io.github.tcpproxy.fault.Faults;
import io.github.tcpproxy.testing.EchoServer;
import io.github.tcpproxy.testing.Sockets;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Review: faults aimed at one backend, against FaultTarget.backend's Javadoc. */
@Timeout(60)
class ReviewFaultTargetTest {

    /**
     * FaultTarget.backend: "the fault acts on a connection once that backend is chosen for it ...
     * so other backends are not touched". FaultRegistry.Registration.selects lets a fault onto a
     * new connection whose backend is not chosen yet (backendAddress() is null at accept), and
     * FaultChain.attach starts it at once; a fault that ends connections from a timer
     * (resetAfter, closeAfter, timeout) or from start() (acceptThenReset) then ends connections
     * that went to another backend: FaultChain.requestEnd never asks Entry.matches.
     */
    @Test
    void aTimedFaultAimedAtOneBackendLeavesConnectionsToAnotherAlone() throws Exception {
        try (EchoServer a = EchoServer.start("a\n");
                EchoServer b = EchoServer.start("b\n");
                RunningProxy proxy = Loopback.proxyTo(a, b).strategy("round-robin").start()) {
            proxy.addFault(Faults.resetAfter(Duration.ofMillis(200)), FaultTarget.all().backend(b.address()));
            try (Socket first = Sockets.connect(proxy.localAddress());
                    Socket second = Sockets.connect(proxy.localAddress())) {
                String firstBackend = Greetings.read(first);
                String secondBackend = Greetings.read(second);
                Socket onA = firstBackend.equals("a") ? first : second;
                Socket onB = firstBackend.equals("a") ? second : first;
                assertThat(firstBackend + secondBackend).as("one client on each backend").isIn("ab", "ba");

                // The one on b is reset by the fault; both faults were started at accept, so by
                // then the timer started for the client on a (if any) has fired too.
                assertThat(Sockets.readOutcome(onB)).as("client on b, 200 ms after the fault started")
                        .isInstanceOf(SocketException.class);
                assertThatCode(() -> EchoServer.assertEchoes(onA, new byte[] {1, 2, 3}))
                        .as("client on a, with a fault aimed at b only").doesNotThrowAnyException();
            }
        }
    }
}
