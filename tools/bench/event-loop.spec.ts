import { parseEventLoop } from './event-loop';

describe('parseEventLoop', () => {
  it('reads the utilization and the p99 delay (in ms) among the other metrics', () => {
    const text = [
      '# HELP passo_nodejs_eventloop_utilization Share of the time …',
      '# TYPE passo_nodejs_eventloop_utilization gauge',
      'passo_nodejs_eventloop_utilization 0.9612',
      'passo_nodejs_eventloop_lag_p90_seconds 0.021',
      'passo_nodejs_eventloop_lag_p99_seconds{service="order"} 0.0415',
      'passo_nodejs_eventloop_lag_p99_seconds_total 7',
    ].join('\n');
    expect(parseEventLoop(text)).toEqual({ busy: 0.9612, delayP99Ms: 41.5 });
  });

  it('is undefined when a figure is missing or not a number (an app without the gauge)', () => {
    expect(parseEventLoop('passo_nodejs_eventloop_lag_p99_seconds 0.01')).toBeUndefined();
    expect(
      parseEventLoop('passo_nodejs_eventloop_utilization NaN\npasso_nodejs_eventloop_lag_p99_seconds 0.01'),
    ).toBeUndefined();
  });
});
