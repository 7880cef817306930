package io.github.tcpproxy.nio;

import java.nio.channels.SelectionKey;

/** What a selection key's attachment does when its channel is ready. Reactor thread only. */
interface Handler {

    /** Handles the ready operations of {@code key}; must not throw for one connection's failure. */
    void onReady(SelectionKey key);

    /** Ends whatever the key stands for, abortively: the reactor is shutting down. */
    void abort();
}
