package io.github.tcpproxy;

/**
 * An I/O failure while starting or running a proxy, for example a listen address already in
 * use, or no engine on the class path. The message names the address or artifact concerned; the
 * cause, if any, is the underlying {@link java.io.IOException}.
 */
public class TcpProxyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message only. */
    public TcpProxyException(String message) {
        super(message);
    }

    /** Creates an exception with a message and the failure that caused it. */
    public TcpProxyException(String message, Throwable cause) {
        super(message, cause);
    }
}
