import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { OrderCancelled, OrderConfirmed, OrderPlaced } from '@passo/contracts';
import { appOutbox, PlatformModule } from '@passo/platform';
import { PrismaClient } from '@passo/prisma/order';
import { orderServiceEnv } from './env';
import { GetOrderHandler } from './orders/get-order.handler';
import { ListOrdersHandler } from './orders/list-orders.handler';
import { OrdersController } from './orders/orders.controller';
import { OrdersRepository } from './orders/orders.repository';
import { PlaceOrderHandler } from './orders/place-order.handler';
import { OrderSagaConsumer } from './saga/order-saga.consumer';
import { OrderSagaRepository } from './saga/order-saga.repository';
import { RecordPricesHandler } from './saga/record-prices.handler';
import { SettleOrderHandler } from './saga/settle-order.handler';
import { SagaAuditRepository } from './saga-audit/saga-audit.repository';
import { StuckSagaAuditor } from './saga-audit/stuck-saga.auditor';
import { SagaModeController } from './saga-mode/saga-mode.controller';
import { SagaModeService } from './saga-mode/saga-mode.service';

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
    OrdersRepository,
    OrderSagaRepository,
    SagaModeService,
    PlaceOrderHandler,
    GetOrderHandler,
    ListOrdersHandler,
    SettleOrderHandler,
    RecordPricesHandler,
    SagaAuditRepository,
    StuckSagaAuditor,
  ],
})
export class OrderServiceModule {}
