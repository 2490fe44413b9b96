/** A service the soak needs could not be reached or was configured out of bounds. */
export class ServiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceError';
  }
}

/** The PostgreSQL server the soak uses: `SESSIONSTORE_POSTGRES_URL`, or the local default. */
export const postgresUrl = (): string =>
  process.env.SESSIONSTORE_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The Redis server the soak uses: `SESSIONSTORE_REDIS_URL`, or the local default. */
export const redisUrl = (): string =>
  process.env.SESSIONSTORE_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A real MongoDB when `SESSIONSTORE_MONGODB_URL` is set; otherwise the in-repo test server. */
export const mongodbUrl = (): string | undefined => process.env.SESSIONSTORE_MONGODB_URL;

/** How to bring each service up, for the message when it cannot be reached. */
export const START_HINTS = {
  postgres:
    'Start PostgreSQL on 127.0.0.1:5432 (for example `service postgresql start`) or set ' +
    'SESSIONSTORE_POSTGRES_URL to a loopback server.',
  redis:
    'Start Redis on 127.0.0.1:6379 (for example `redis-server --daemonize yes`) or set ' +
    'SESSIONSTORE_REDIS_URL to a loopback server.',
  mongodb:
    'Unset SESSIONSTORE_MONGODB_URL to use the in-repo MongoDB test server, or point it at a ' +
    'running loopback MongoDB.',
} as const;

/**
 * Returns `host:port` of a service URL after checking that the host is a loopback address:
 * the soak loads only servers on this machine. The URL itself is never printed, since it may
 * carry a password.
 *
 * @throws {@link ServiceError} when the URL cannot be parsed or names another host.
 */
export function loopbackAddress(url: string, variable: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new ServiceError(`soak: ${variable} is not a URL the soak can read.`, { cause: error });
  }

  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!isLoopback(host)) {
    throw new ServiceError(
      `soak: ${variable} names a host that is not loopback; the soak only loads servers on ` +
        'this machine (127.0.0.0/8, ::1, localhost).',
    );
  }
  return `${parsed.hostname}${parsed.port === '' ? '' : `:${parsed.port}`}`;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') {
    return true;
  }
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
