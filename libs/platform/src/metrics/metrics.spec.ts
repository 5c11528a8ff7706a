import { MetricsRegistry } from './metrics';

const utilization = async (registry: MetricsRegistry) => {
  const metric = await registry.getSingleMetric('passo_nodejs_eventloop_utilization')!.get();
  return metric.values[0]!.value;
};

describe('MetricsRegistry: event loop utilization', () => {
  it('reads the share of the time since the previous scrape that the loop was busy', async () => {
    const registry = new MetricsRegistry();
    await utilization(registry); // from here
    const until = Date.now() + 200;
    while (Date.now() < until); // busy: the loop runs nothing else
    expect(await utilization(registry)).toBeGreaterThan(0.8);
    await new Promise((resolve) => setTimeout(resolve, 200)); // idle
    expect(await utilization(registry)).toBeLessThan(0.3);
  });
});
