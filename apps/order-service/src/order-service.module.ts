import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { OrderCancelled, OrderConfirmed, OrderPlaced } from '@passo/contracts';
import { participantSteps } from '@passo/outbox';
import { appOutbox, PlatformModule } from '@passo/platform';
import { PrismaClient } from '@passo/prisma/order';
import { orderServiceEnv } from './env';
import { GetOrderHandler } from './orders/get-order.handler';
import { ListOrdersHandler } from './orders/list-orders.handler';
import { OrdersController } from './orders/orders.controller';
import { OrdersRepository } from './orders/orders.repository';
import { PlaceOrderHandler } from './orders/place-order.handler';
import { CancelOrderHandler } from './saga/cancel-order.handler';
import { ConfirmOrderHandler } from './saga/confirm-order.handler';
import { OrderSagaConsumer } from './saga/order-saga.consumer';
import { OrderSagaRepository } from './saga/order-saga.repository';
import { RecordPricesHandler } from './saga/record-prices.handler';
import { SagaAuditRepository } from './saga-audit/saga-audit.repository';
import { StuckSagaAuditor } from './saga-audit/stuck-saga.auditor';
import { SagaModeController } from './saga-mode/saga-mode.controller';
import { SagaModeService } from './saga-mode/saga-mode.service';

/** The inbox's consumer name: the app's JetStream consumer group too (bootstrap's `service`). */
const INBOX_CONSUMER = 'order-service';

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'order-service',
      env: orderServiceEnv,
      prisma: { client: PrismaClient, urlEnv: 'ORDER_DATABASE_URL' },
    }),
    appOutbox('ORDER_DATABASE_URL', [OrderPlaced, OrderConfirmed, OrderCancelled]),
    CqrsModule.forRoot(),
  ],
  controllers: [OrdersController, SagaModeController, OrderSagaConsumer],
  providers: [
    participantSteps(INBOX_CONSUMER, PrismaClient),
    OrdersRepository,
    OrderSagaRepository,
    SagaModeService,
    PlaceOrderHandler,
    GetOrderHandler,
    ListOrdersHandler,
    ConfirmOrderHandler,
    CancelOrderHandler,
    RecordPricesHandler,
    SagaAuditRepository,
    StuckSagaAuditor,
  ],
})
export class OrderServiceModule {}
