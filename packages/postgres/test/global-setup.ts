import { openTestPool } from './support.js';

/** Fails the whole run at once, with directions, when the test server is unreachable. */
export default async function checkServer(): Promise<void> {
  const pool = await openTestPool();
  await pool.end();
}
