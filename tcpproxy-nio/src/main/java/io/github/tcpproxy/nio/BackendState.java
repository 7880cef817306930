package io.github.tcpproxy.nio;

import io.github.tcpproxy.Backend;
import io.github.tcpproxy.spi.BackendView;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's live state of one backend, shared by all reactors: connection counts change once
 * per connection event (never per read), so plain atomics are cheap enough here.
 */
final class BackendState implements BackendView {
    private final Backend backend;
    private final int index;
    private volatile int weight;
    private volatile boolean up = true;
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger inactive = new AtomicInteger();
    final AtomicLong connections = new AtomicLong();
    final AtomicLong connectFailures = new AtomicLong();

    BackendState(Backend backend, int index) {
        this.backend = backend;
        this.index = index;
        this.weight = backend.weight();
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public int weight() {
        return weight;
    }

    @Override
    public int activeConnections() {
        return active.get();
    }

    @Override
    public int inactiveConnections() {
        return inactive.get();
    }

    @Override
    public boolean isUp() {
        return up;
    }

    @Override
    public String toString() {
        return backend.name();
    }
}
