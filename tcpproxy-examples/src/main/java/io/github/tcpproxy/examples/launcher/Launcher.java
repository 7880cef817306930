package io.github.tcpproxy.examples.launcher;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.RunningProxy;
import io.github.tcpproxy.TcpProxy;
import io.github.tcpproxy.TcpProxyException;
import io.github.tcpproxy.internal.Addresses;
import io.github.tcpproxy.spi.Strategies;
import io.github.tcpproxy.spi.StrategyProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The {@code tcpproxy} command: {@code java -jar tcpproxy.jar --listen 127.0.0.1:9090 --backend
 * 127.0.0.1:8080}, {@code --config proxy.yaml}, or {@code --demo}. Run with {@code --help} for
 * every option.
 *
 * <p>Bad input is reported as one line on standard error, {@code tcpproxy: <what is wrong>}, and
 * exit status 2; a failure at run time (the listen address in use) exits with 1. A running proxy
 * stops on SIGTERM or Ctrl-C: open connections get the drain time to finish, then the process ends;
 * a second SIGTERM or Ctrl-C resets them at once.
 * Started with {@code --config}, it re-reads the file on SIGHUP and applies the backends it lists
 * to the running proxy ({@link BackendReload}).
 *
 * <p>This class holds no logger on purpose: slf4j-simple reads its settings when the first
 * logger is created, and {@code --verbose} must be applied before that happens.
 */
public final class Launcher {
    /** Exit status: done, or stopped normally. */
    public static final int EXIT_OK = 0;
    /** Exit status: a failure at run time, such as the listen address being in use. */
    public static final int EXIT_FAILURE = 1;
    /** Exit status: bad command line or config file. */
    public static final int EXIT_USAGE = 2;

    /** The slf4j-simple property that sets the level of tcpproxy's own loggers. */
    static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.log.io.github.tcpproxy";

    private static final int DEMO_BACKENDS = 3;

    private Launcher() {
    }

    /** Runs the command line, then exits the JVM with its status. */
    public static void main(String[] args) {
        // slf4j-simple reads these once, when the first logger is created: set them first. A
        // -D given on the java command line wins.
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        int status = run(args, System.out, System.err);
        System.out.flush();
        // When a shutdown hook is what ended run(), exit() blocks until the hooks are done and
        // the JVM then ends with the signal's status (143 for SIGTERM); that is expected.
        System.exit(status);
    }

    /**
     * Runs the command line as {@code main} does, without exiting the JVM: prints help, the
     * version or the strategies and returns, or starts the proxy and blocks until a shutdown
     * hook (SIGTERM, Ctrl-C) has stopped it.
     *
     * @return the exit status: {@link #EXIT_OK}, {@link #EXIT_FAILURE} or {@link #EXIT_USAGE}
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        // SIGTERM and Ctrl-C: the first drains, a second one resets what is left at once. Handled
        // from before the proxy starts, so that no signal finds the JVM's default in place. Where
        // they cannot be handled, the shutdown hook below drains on the JVM's own shutdown.
        Stopper stopper = new Stopper(out);
        AutoCloseable term = Hangup.onSignal("TERM", stopper::signal);
        AutoCloseable interrupt = Hangup.onSignal("INT", stopper::signal);
        Result result = start(args, out, err);
        Session session = result.session();
        if (session == null) {
            restore(term, interrupt);
            return result.exitCode();
        }
        Thread hook = new Thread(() -> {
            out.println("tcpproxy: stopping; open connections get up to "
                    + Durations.format(result.drainTimeout()) + " to finish");
            session.close();
            out.println("tcpproxy: stopped");
            out.flush();
        }, "tcpproxy-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopper.attach(session, result.drainTimeout());
        AutoCloseable hangup = null;
        if (result.reload() != null) {
            hangup = Hangup.onHangup(result.reload()::reload);
            if (hangup != null) {
                out.println("Reload the backends from the config file with: kill -HUP " + ProcessHandle.current().pid());
                out.flush();
            }
        }
        try {
            session.awaitClosed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            session.close();
        }
        restore(hangup, term, interrupt);
        if (stopper.signals() > 0) {
            out.println("tcpproxy: stopped");
            out.flush();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Shutdown in progress: the hook is what closed the session, nothing to remove.
        }
        return EXIT_OK;
    }

    private static void restore(AutoCloseable... handlers) {
        for (AutoCloseable handler : handlers) {
            if (handler != null) {
                try {
                    handler.close();
                } catch (Exception e) {
                    // The JVM is about to exit anyway: a signal now would only find a closed proxy.
                }
            }
        }
    }

    /**
     * What SIGTERM and Ctrl-C do: the first stops accepting and lets open connections drain, the
     * second resets what is left at once. {@link #signal()} runs on the JVM's signal thread and
     * returns at once; the closing happens on threads of its own. Signals that come before the
     * session is {@linkplain #attach attached} take effect when it is.
     */
    static final class Stopper {
        private final PrintStream out;
        private Session session;
        private Duration drainTimeout;
        private int signals;
        private int acted;

        Stopper(PrintStream out) {
            this.out = out;
        }

        Stopper(Session session, PrintStream out, Duration drainTimeout) {
            this(out);
            attach(session, drainTimeout);
        }

        /** The session that signals stop, from now on and for the signals that came already. */
        synchronized void attach(Session session, Duration drainTimeout) {
            this.session = session;
            this.drainTimeout = drainTimeout;
            act();
        }

        /** One SIGTERM or Ctrl-C. */
        synchronized void signal() {
            signals++;
            act();
        }

        private void act() {
            if (session == null) {
                return;
            }
            while (acted < Math.min(signals, 2)) {
                acted++;
                if (acted == 1) {
                    out.println("tcpproxy: stopping; open connections get up to " + Durations.format(drainTimeout)
                            + " to finish (signal again to stop at once)");
                    out.flush();
                    start("tcpproxy-stop", session::close);
                } else {
                    out.println("tcpproxy: stopping at once; resetting open connections");
                    out.flush();
                    start("tcpproxy-stop-now", session::closeNow);
                }
            }
        }

        /** How many signals came. */
        synchronized int signals() {
            return signals;
        }

        private static void start(String name, Runnable action) {
            Thread t = new Thread(action, name);
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * What {@link #start} did: either it finished with an exit status, or it started a proxy
     * that runs until {@link Session#close()}.
     *
     * @param exitCode the exit status if {@code session} is null
     * @param session the running proxy (and demo backends), or null
     * @param drainTimeout how long closing the session lets connections finish
     * @param reload what SIGHUP runs: re-reads the config file's backends; null without
     *     {@code --config} (and in demo mode, whose backends are its own)
     */
    record Result(int exitCode, Session session, Duration drainTimeout, BackendReload reload) {
        static Result exit(int code) {
            return new Result(code, null, null, null);
        }
    }

    /**
     * Does what the arguments ask without blocking and without installing a shutdown hook: the
     * seam for tests, which close the returned session themselves.
     */
    static Result start(String[] args, PrintStream out, PrintStream err) {
        LauncherCommand command = new LauncherCommand();
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        try {
            cli.parseArgs(args);
        } catch (ParameterException e) {
            return fail(err, EXIT_USAGE, e.getMessage() + " (see tcpproxy --help)");
        }
        if (cli.isUsageHelpRequested()) {
            cli.usage(out);
            return Result.exit(EXIT_OK);
        }
        if (cli.isVersionHelpRequested()) {
            cli.printVersionHelp(out);
            return Result.exit(EXIT_OK);
        }
        if (command.verbose) {
            // Before the first tcpproxy logger exists: nothing above creates one.
            System.setProperty(LOG_LEVEL_PROPERTY, "debug");
        }
        if (command.listStrategies) {
            listStrategies(out);
            return Result.exit(EXIT_OK);
        }
        try {
            Settings flags = command.toSettings();
            Settings settings = Settings.merge(command.config == null ? null : ConfigFile.read(command.config),
                    String.valueOf(command.config), flags);
            Session session = command.demo ? startDemo(settings, out) : startProxy(settings, out);
            BackendReload reload = command.config == null || command.demo ? null
                    : new BackendReload(session.proxy(), command.config, flags, settings, out, err);
            return new Result(EXIT_OK, session, settings.drainTimeoutOrDefault(), reload);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // The builder's and the config reader's messages name the bad value: pass them on.
            return fail(err, EXIT_USAGE, e.getMessage());
        } catch (TcpProxyException e) {
            return fail(err, EXIT_FAILURE, e.getMessage());
        } catch (IOException e) {
            return fail(err, EXIT_FAILURE, e.getMessage());
        } catch (RuntimeException e) {
            if (command.verbose) {
                e.printStackTrace(err);
            }
            return fail(err, EXIT_FAILURE, "unexpected failure: " + e
                    + (command.verbose ? "" : " (run with --verbose for the stack trace)"));
        }
    }

    /** Formats an address as {@code 127.0.0.1:9090} or {@code [::1]:9090}, without a name lookup. */
    static String format(InetSocketAddress address) {
        return Addresses.format(address);
    }

    private static Session startProxy(Settings settings, PrintStream out) {
        TcpProxy.Builder builder = settings.newBuilder();
        if (settings.backendsOrEmpty().isEmpty()) {
            throw new IllegalArgumentException("no backends: give at least one --backend HOST:PORT,"
                    + " a 'backends:' list in the config file, or use --demo");
        }
        builder.backends(settings.backendsOrEmpty());
        AccessLog accessLog = openAccessLog(settings, builder, out);
        RunningProxy proxy;
        try {
            proxy = builder.start();
        } catch (RuntimeException e) {
            if (accessLog != null) {
                accessLog.close();
            }
            throw e;
        }
        out.println("tcpproxy " + LauncherCommand.Version.version() + " listening on "
                + format(proxy.localAddress()) + ", strategy " + settings.strategyOrDefault() + ", backends: "
                + settings.backendsOrEmpty().stream().map(Backend::toString).collect(Collectors.joining(" ")));
        out.println("Stop with Ctrl-C (or SIGTERM).");
        out.flush();
        return new Session(proxy, List.of(), accessLog);
    }

    private static Session startDemo(Settings settings, PrintStream out) throws IOException {
        if (!settings.backendsOrEmpty().isEmpty()) {
            throw new IllegalArgumentException("--demo starts its own backends; drop --backend"
                    + " (and the config file's backends list) or drop --demo");
        }
        // Every setting is checked before a backend is started, so a mistake leaves nothing behind.
        TcpProxy.Builder builder = settings.newBuilder();
        List<EchoServer> backends = new ArrayList<>();
        AccessLog accessLog = openAccessLog(settings, builder, out);
        try {
            for (int i = 1; i <= DEMO_BACKENDS; i++) {
                EchoServer echo = EchoServer.start("backend-" + i, new InetSocketAddress("127.0.0.1", 0));
                backends.add(echo);
                builder.backend(Backend.of(echo.localAddress()));
            }
            RunningProxy proxy = builder.start();
            printDemoHelp(out, proxy, backends, settings.strategyOrDefault());
            return new Session(proxy, backends, accessLog);
        } catch (IOException | RuntimeException e) {
            for (EchoServer echo : backends) {
                echo.close();
            }
            if (accessLog != null) {
                accessLog.close();
            }
            throw e;
        }
    }

    /** Opens the access log the settings ask for and registers it with {@code builder}; null if none. */
    private static AccessLog openAccessLog(Settings settings, TcpProxy.Builder builder, PrintStream out) {
        String target = settings.hardening().accessLog();
        if (target == null) {
            return null;
        }
        AccessLog log = AccessLog.open(target, out);
        builder.connectionListener(log);
        return log;
    }

    private static void printDemoHelp(PrintStream out, RunningProxy proxy, List<EchoServer> backends,
            String strategy) {
        String where = format(proxy.localAddress());
        InetSocketAddress bound = proxy.localAddress();
        out.println("tcpproxy " + LauncherCommand.Version.version() + " demo: " + backends.size()
                + " echo backends and a proxy in front of them");
        for (EchoServer echo : backends) {
            out.println("  " + echo.name() + "  " + format(echo.localAddress()));
        }
        out.println("  proxy      " + where + "  (strategy " + strategy + ")");
        out.println();
        out.println("The backends echo line by line: each line you send comes back prefixed with the");
        out.println("backend that answered, e.g. \"[backend-2 127.0.0.1:41234] hello\".");
        out.println("Try it (each new connection may go to another backend):");
        out.println("  nc " + hostForCommand(bound) + " " + bound.getPort());
        out.println("Stop with Ctrl-C (or SIGTERM).");
        out.flush();
    }

    private static String hostForCommand(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip == null || ip.isAnyLocalAddress()) {
            // Listening on every address: the loopback one is sure to work from this machine.
            return "127.0.0.1";
        }
        return Addresses.text(ip);
    }

    private static void listStrategies(PrintStream out) {
        for (StrategyProvider p : Strategies.providers()) {
            String aliases = p.aliases().isEmpty() ? "" : " (alias " + String.join(", ", new TreeSet<>(p.aliases())) + ")";
            out.println(p.name() + aliases + ": " + p.description());
        }
    }

    private static Result fail(PrintStream err, int code, String message) {
        // One line, whatever the message holds: a script reading stderr gets exactly one.
        String line = message == null ? "unknown error" : message.replaceAll("\\s*\\R\\s*", " ").trim();
        err.println("tcpproxy: " + line);
        err.flush();
        return Result.exit(code);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
