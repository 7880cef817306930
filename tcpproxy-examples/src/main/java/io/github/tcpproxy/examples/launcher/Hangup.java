package io.github.tcpproxy.examples.launcher;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action on SIGHUP, on platforms that have it, through {@code sun.misc.Signal} (module
 * {@code jdk.unsupported}, the JDK's only way to handle a signal). Where there is no SIGHUP
 * (Windows), no {@code jdk.unsupported} (a trimmed runtime image) or the JVM keeps the signal for
 * itself, installing does nothing but log at DEBUG, and the launcher runs without reloads.
 * {@link #onSignal} does the same for SIGTERM and SIGINT, which the launcher handles to stop
 * (the first drains, a second resets at once); where it cannot, its shutdown hook drains.
 *
 * <p>The API is called by reflection on purpose: compiled directly, every build would print
 * javac's "internal proprietary API" warning, which no {@code @SuppressWarnings} silences, and
 * a missing class would fail when the launcher is linked rather than here, where it is handled.
 */
final class Hangup {
    private static final Logger log = LoggerFactory.getLogger(Hangup.class);

    private Hangup() {
    }

    /**
     * Makes SIGHUP run {@code action} instead of the JVM's default (which is to shut down), on the
     * JVM's signal thread. What the action throws is logged, never passed on.
     *
     * @return closing it puts the previous handler back; null if SIGHUP cannot be handled here
     */
    static AutoCloseable onHangup(Runnable action) {
        return onSignal("HUP", action);
    }

    /**
     * Makes the signal {@code name} ({@code HUP}, {@code TERM}, {@code INT}) run {@code action}
     * instead of the JVM's default, on the JVM's signal thread; the action must not block. What
     * it throws is logged, never passed on.
     *
     * @return closing it puts the previous handler back; null if the signal cannot be handled here
     */
    static AutoCloseable onSignal(String name, Runnable action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object hup = signalClass.getConstructor(String.class).newInstance(name);
            InvocationHandler onSignal = (self, method, args) -> {
                switch (method.getName()) {
                    case "handle":
                        try {
                            action.run();
                        } catch (RuntimeException | Error e) {
                            log.warn("the SIG{} action failed", name, e);
                        }
                        return null;
                    case "hashCode":
                        return System.identityHashCode(self);
                    case "equals":
                        return self == args[0];
                    default:
                        return "tcpproxy SIG" + name + " handler";
                }
            };
            Object handler = Proxy.newProxyInstance(Hangup.class.getClassLoader(), new Class<?>[] {handlerClass},
                    onSignal);
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            Object previous = handle.invoke(null, hup, handler);
            log.debug("SIG{} handler installed", name);
            return () -> {
                if (previous != null) {
                    handle.invoke(null, hup, previous);
                }
            };
        } catch (InvocationTargetException e) {
            // "Unknown signal: HUP" where there is none, "Signal already used by VM or OS" with -Xrs.
            log.debug("SIG{} cannot be handled here: {}", name, e.getCause().toString());
            return null;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            log.debug("SIG{} cannot be handled here (no sun.misc.Signal): {}", name, e.toString());
            return null;
        }
    }
}
