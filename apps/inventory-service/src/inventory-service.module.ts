import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { StockReleased, StockReservationFailed, StockReserved } from '@passo/contracts';
import { participantSteps } from '@passo/outbox';
import { appOutbox, PlatformModule } from '@passo/platform';
import { env } from './env';
import { PrismaClient } from '@passo/prisma/inventory';
import { GetProductHandler } from './products/get-product.handler';
import { ProductsController } from './products/products.controller';
import { ProductsRepository } from './products/products.repository';
import { UpsertProductHandler } from './products/upsert-product.handler';
import { ReleaseStockHandler } from './reservations/release-stock.handler';
import { ReservationsConsumer } from './reservations/reservations.consumer';
import { ReservationsRepository } from './reservations/reservations.repository';
import { ReserveStockHandler } from './reservations/reserve-stock.handler';
import { SellStockHandler } from './reservations/sell-stock.handler';

/** The inbox's consumer name: the app's JetStream consumer group too (bootstrap's `service`). */
const INBOX_CONSUMER = 'inventory-service';

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'inventory-service',
      env,
      prisma: { client: PrismaClient, urlEnv: 'INVENTORY_DATABASE_URL' },
    }),
    appOutbox('INVENTORY_DATABASE_URL', [StockReserved, StockReservationFailed, StockReleased]),
    CqrsModule.forRoot(),
  ],
  controllers: [ProductsController, ReservationsConsumer],
  providers: [
    participantSteps(INBOX_CONSUMER, PrismaClient),
    ProductsRepository,
    UpsertProductHandler,
    GetProductHandler,
    ReservationsRepository,
    ReserveStockHandler,
    ReleaseStockHandler,
    SellStockHandler,
  ],
})
export class InventoryServiceModule {}
