/** The PostgreSQL the benchmark and the round-trip test use unless told otherwise. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The Redis the benchmark and the round-trip test use unless told otherwise. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

/** `SESSIONSTORE_POSTGRES_URL`, or the local default; only a loopback host is accepted. */
export function postgresUrl(): string {
  return loopbackUrl('SESSIONSTORE_POSTGRES_URL', DEFAULT_POSTGRES_URL);
}

/** `SESSIONSTORE_REDIS_URL`, or the local default; only a loopback host is accepted. */
export function redisUrl(): string {
  return loopbackUrl('SESSIONSTORE_REDIS_URL', DEFAULT_REDIS_URL);
}

/**
 * Reads a service URL from the environment. The benchmark loads the server hard and the
 * test writes to it, so both refuse anything but this machine.
 */
function loopbackUrl(variable: string, fallback: string): string {
  const text = process.env[variable] || fallback;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined || !isLoopback(url.hostname)) {
    throw new Error(
      `${variable} must be a URL whose host is on this machine (127.0.0.0/8, ::1 or localhost); ` +
        'the benchmarks and the round-trip test never reach another host.',
    );
  }
  return text;
}

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}
