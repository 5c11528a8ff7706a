import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { OrderPlaced } from '@passo/contracts';
import { appOutbox, PlatformModule } from '@passo/platform';
import { PrismaClient } from '@passo/prisma/order';
import { orderServiceEnv } from './env';
import { GetOrderHandler } from './orders/get-order.handler';
import { ListOrdersHandler } from './orders/list-orders.handler';
import { OrdersController } from './orders/orders.controller';
import { OrdersRepository } from './orders/orders.repository';
import { PlaceOrderHandler } from './orders/place-order.handler';
import { SagaModeController } from './saga-mode/saga-mode.controller';
import { SagaModeService } from './saga-mode/saga-mode.service';

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'order-service',
      env: orderServiceEnv,
      prisma: { client: PrismaClient, urlEnv: 'ORDER_DATABASE_URL' },
    }),
    appOutbox('ORDER_DATABASE_URL', [OrderPlaced]),
    CqrsModule.forRoot(),
  ],
  controllers: [OrdersController, SagaModeController],
  providers: [OrdersRepository, SagaModeService, PlaceOrderHandler, GetOrderHandler, ListOrdersHandler],
})
export class OrderServiceModule {}
