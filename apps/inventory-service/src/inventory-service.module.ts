import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { StockReleased, StockReservationFailed, StockReserved } from '@passo/contracts';
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
