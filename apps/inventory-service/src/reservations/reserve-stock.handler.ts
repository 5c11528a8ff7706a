import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type OrderPlaced, StockReservationFailed, StockReserved } from '@passo/contracts';
import { type Emit, ParticipantSteps, type StepCause } from '@passo/outbox';
import type { Prisma } from '@passo/prisma/inventory';
import { ReservationsRepository } from './reservations.repository';
import { amountOf, stockLines } from './stock-lines';

export class ReserveStock {
  constructor(
    readonly order: Pick<OrderPlaced, 'orderId' | 'sagaMode' | 'customerId' | 'items'>,
    readonly cause: StepCause,
  ) {}
}

type Tx = Prisma.TransactionClient;

/** Every line or none, at the catalogue's prices; one reservation per order, whatever is re-sent. */
@CommandHandler(ReserveStock)
export class ReserveStockHandler implements ICommandHandler<ReserveStock, void> {
  constructor(
    private readonly steps: ParticipantSteps<Tx>,
    private readonly reservations: ReservationsRepository,
  ) {}

  async execute({ order, cause }: ReserveStock): Promise<void> {
    await this.steps.run(cause, (tx, emit) => this.reserve(tx, emit, order));
  }

  private async reserve(tx: Tx, emit: Emit, order: ReserveStock['order']): Promise<void> {
    const { orderId, sagaMode, customerId } = order;
    const outcome = await this.reservations.reserve(tx, orderId, stockLines(order.items));
    // The order's one reservation decides: a duplicate (even under a new message id) does nothing.
    if (!outcome.claimed) return;
    if ('refused' in outcome) {
      await emit(StockReservationFailed, { orderId, sagaMode, reason: outcome.refused, sku: outcome.sku });
      return;
    }
    const { lines } = outcome;
    await emit(StockReserved, { orderId, sagaMode, customerId, amountCents: amountOf(lines), lines });
  }
}
