package io.github.tcpproxy.bench;

import io.github.tcpproxy.spi.Strategies;
import io.github.tcpproxy.spi.StrategyProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code java -jar tcpproxy-bench.jar jmh [JMH options]}: JMH's own command line, except that
 * unless {@code -p strategy=...} is given, {@code StrategyBench} runs over every strategy that
 * {@link Strategies} finds and can create without options, not only those listed in its source.
 */
final class JmhLauncher {
    private JmhLauncher() {
    }

    static void run(String[] args) throws Exception {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        boolean strategyGiven = false;
        boolean help = false;
        for (int i = 0; i < all.size(); i++) {
            String a = all.get(i);
            if ((a.equals("-p") && i + 1 < all.size() && all.get(i + 1).startsWith("strategy="))
                    || a.startsWith("-pstrategy=")) {
                strategyGiven = true;
            }
            if (a.equals("-h") || a.equals("-l") || a.equals("-lp") || a.equals("-lprof") || a.equals("-lrf")) {
                help = true;
            }
        }
        if (!strategyGiven && !help) {
            List<String> names = new ArrayList<>();
            for (StrategyProvider p : Strategies.providers()) {
                try {
                    Strategies.create(p.name());
                    names.add(p.name());
                } catch (RuntimeException e) {
                    System.err.println("StrategyBench: skipping " + p.name() + " (" + e.getMessage() + ")");
                }
            }
            if (!names.isEmpty()) {
                all.add(0, "strategy=" + String.join(",", names));
                all.add(0, "-p");
                System.err.println("StrategyBench strategies: " + String.join(", ", names));
            }
        }
        org.openjdk.jmh.Main.main(all.toArray(new String[0]));
    }
}
