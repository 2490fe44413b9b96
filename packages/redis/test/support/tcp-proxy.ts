import { connect, createServer, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of a test server. It can make connections go silent: bytes
 * are no longer forwarded in either direction, yet neither side sees a close or a reset, as
 * when a peer vanishes behind a proxy or a NAT.
 */
export interface SilencingProxy {
  readonly port: number;
  /** How many client connections the proxy has accepted so far. */
  readonly connections: number;
  /** Silences every connection open now; later ones pass. */
  silenceOpenConnections(): void;
  /** Silences every connection, open now or later, once it has been open for `afterMs`. */
  silenceEachConnectionAfter(afterMs: number): void;
  /** Holds every reply from the server for `delayMs` before passing it on. */
  delayReplies(delayMs: number): void;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  silent: boolean;
}

/** Starts a proxy on a free loopback port that forwards to `127.0.0.1:targetPort`. */
export async function startSilencingProxy(targetPort: number): Promise<SilencingProxy> {
  const pairs = new Set<Pair>();
  const timers = new Set<NodeJS.Timeout>();
  let silenceAfterMs: number | undefined;
  let replyDelayMs = 0;
  let connections = 0;

  const silenceLater = (pair: Pair, afterMs: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      pair.silent = true;
    }, afterMs);
    timers.add(timer);
  };

  // Half-open sockets, so a silent connection does not answer the client's FIN either.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    connections += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream, silent: false };
    pairs.add(pair);
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk) => {
      if (!pair.silent) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (replyDelayMs === 0) {
        if (!pair.silent) client.write(chunk);
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!pair.silent) client.write(chunk);
      }, replyDelayMs);
      timers.add(timer);
    });
    // A silent connection passes on no end or close either: the client must not learn of it.
    client.on('end', () => {
      if (!pair.silent) upstream.end();
    });
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => {
      if (!pair.silent) client.destroy();
    });
    if (silenceAfterMs !== undefined) silenceLater(pair, silenceAfterMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('The proxy has no TCP address.');
  }

  return {
    port: address.port,
    get connections() {
      return connections;
    },
    silenceOpenConnections() {
      for (const pair of pairs) pair.silent = true;
    },
    delayReplies(delayMs) {
      replyDelayMs = delayMs;
    },
    silenceEachConnectionAfter(afterMs) {
      silenceAfterMs = afterMs;
      for (const pair of pairs) silenceLater(pair, afterMs);
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
