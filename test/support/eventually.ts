/** Polls until `probe` stops throwing (or returns a truthy value), or fails with its last error. */
export async function eventually<T>(probe: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = new Error('never ran');
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== false && value !== undefined && value !== null) return value;
      lastError = new Error(`condition still ${String(value)}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw lastError;
}
