export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __PASSO_INFRA__?: { stop(): Promise<void> } }).__PASSO_INFRA__?.stop();
}
