export * from './http/common';
export * from './http/orders';
export * from './http/inventory';
export * from './http/payments';
export * from './http/sagas';
export * from './messaging/contract';
export * from './messaging/envelope';
export * from './messaging/orders';
