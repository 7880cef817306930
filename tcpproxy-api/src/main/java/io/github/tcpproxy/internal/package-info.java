/**
 * Helpers shared by the API and the engine; not part of the public API (exported only to the
 * engine module) and free to change in any release.
 */
package io.github.tcpproxy.internal;
