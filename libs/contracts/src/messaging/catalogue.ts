import type { MessageContract } from './contract';
import * as inventory from './inventory';
import * as orders from './orders';
import * as payments from './payments';

const isContract = (value: unknown): value is MessageContract =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as MessageContract).subject === 'string' &&
  ((value as MessageContract).kind === 'event' || (value as MessageContract).kind === 'command');

/**
 * Every message contract of the system, found in the modules themselves so a new one cannot be
 * forgotten: what an operator tool may send (a dead letter is replayed only to one of these).
 */
export const MESSAGE_CONTRACTS: readonly MessageContract[] = Object.freeze(
  [orders, inventory, payments].flatMap((module) => Object.values(module).filter(isContract)),
);
