package io.github.tcpproxy;

/**
 * A failure of the proxy itself while starting or running it, for example a listen address
 * already in use, no engine on the class path, or the proxy's threads not answering a request
 * (adding a fault, listing connections) within its bound. The message names the address,
 * artifact or request concerned; the cause, if any, is the underlying exception.
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
