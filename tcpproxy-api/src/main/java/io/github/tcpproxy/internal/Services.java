package io.github.tcpproxy.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;

/**
 * How the API module finds service providers (the engine, strategy providers): through the
 * thread's context class loader first, then through this module's own loader, which sees the
 * providers shipped with tcpproxy also where the context loader cannot (application servers,
 * build tools, plugin hosts). A provider that fails to load is logged and skipped.
 */
public final class Services {
    private Services() {
    }

    /**
     * Every provider of {@code service}, each provider class once.
     *
     * @param what names a provider in the message logged when one fails to load ("a strategy provider")
     * @param log where that message goes
     */
    public static <S> List<S> all(Class<S> service, String what, Logger log) {
        List<S> found = new ArrayList<>();
        forEach(service, what, log, found::add);
        return found;
    }

    /** The first provider of {@code service} that loads, if any; see {@link #all}. */
    public static <S> Optional<S> first(Class<S> service, String what, Logger log) {
        List<S> found = new ArrayList<>(1);
        forEach(service, what, log, provider -> {
            found.add(provider);
            return false;
        });
        return found.stream().findFirst();
    }

    /** Offers each provider to {@code action}, each provider class once, until it answers false. */
    private static <S> void forEach(Class<S> service, String what, Logger log, Predicate<? super S> action) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        ClassLoader own = Services.class.getClassLoader();
        Set<String> seen = new HashSet<>();
        for (ClassLoader loader : context == null || context == own
                ? new ClassLoader[] {own} : new ClassLoader[] {context, own}) {
            Iterator<S> it = ServiceLoader.load(service, loader).iterator();
            while (true) {
                S provider;
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    provider = it.next();
                } catch (ServiceConfigurationError e) {
                    log.warn("skipping {} that failed to load: {}", what, e.toString());
                    continue;
                }
                if (seen.add(provider.getClass().getName()) && !action.test(provider)) {
                    return;
                }
            }
        }
    }
}
