import {
  CancelOrder,
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  PaymentCompleted,
  PaymentFailed,
  PaymentRefunded,
  StockReleased,
  StockReservationFailed,
  StockReserved,
  ChargePayment,
  ConfirmOrder,
  RefundPayment,
  ReleaseStock,
  ReserveStock,
  SellStock,
  type MessageContract,
} from '@passo/contracts';
import type { SagaCommand, SagaCommandType } from './order-saga.transition';

/** Which contract carries each command the saga decides on: the wire side of the step table. */
const CONTRACTS = {
  ReserveStock,
  ReleaseStock,
  SellStock,
  ChargePayment,
  RefundPayment,
  ConfirmOrder,
  CancelOrder,
} satisfies Record<SagaCommandType, MessageContract>;

/** Everything the orchestrator publishes (its outbox's contracts). */
export const COMMAND_CONTRACTS: readonly MessageContract[] = Object.values(CONTRACTS);

export interface OutgoingCommand {
  contract: MessageContract<object>;
  payload: object;
}

/** A decided command as it goes on the wire: the order's mode travels with it, like on events. */
export function outgoing(command: SagaCommand): OutgoingCommand {
  const { type, ...fields } = command;
  return { contract: CONTRACTS[type] as MessageContract<object>, payload: { ...fields, sagaMode: 'orchestration' } };
}

/** Everything the orchestrator listens to: the order's placement and every participant's reply. */
export const SAGA_EVENTS: readonly MessageContract[] = [
  OrderPlaced,
  StockReserved,
  StockReservationFailed,
  StockReleased,
  PaymentCompleted,
  PaymentFailed,
  PaymentRefunded,
  OrderConfirmed,
  OrderCancelled,
];
