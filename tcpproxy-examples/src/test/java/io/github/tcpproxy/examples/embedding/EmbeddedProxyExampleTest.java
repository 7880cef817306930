package io.github.tcpproxy.examples.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class EmbeddedProxyExampleTest {

    @Test
    void theLineComesBackThroughTheProxy() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        String answer = EmbeddedProxyExample.run(new PrintStream(out, true, StandardCharsets.UTF_8));

        assertThat(answer).isEqualTo("hello through tcpproxy");
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("answer: hello through tcpproxy", "stats: ");
    }
}
