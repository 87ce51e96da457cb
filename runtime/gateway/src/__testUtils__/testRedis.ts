import Redis from 'ioredis';

/** The Redis database the gateway's tests share (`CELLPORT_TEST_REDIS_URL`). */
export const TEST_REDIS_URL =
  process.env.CELLPORT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

/**
 * A client connected to the tests' Redis; without one the test fails at once, saying what it
 * needs, instead of timing out on its first command.
 */
export async function connectTestRedis(
  url: string = TEST_REDIS_URL,
): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `this test needs Redis at ${url} (set CELLPORT_TEST_REDIS_URL): ${
        (error as Error).message
      }`,
    );
  }
  return redis;
}
