import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { PlatformModule } from '@passo/platform';
import { env } from './env';
import { PrismaClient } from '@passo/prisma/inventory';
import { GetProductHandler } from './products/get-product.handler';
import { ProductsController } from './products/products.controller';
import { ProductsRepository } from './products/products.repository';
import { UpsertProductHandler } from './products/upsert-product.handler';

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'inventory-service',
      env,
      prisma: { client: PrismaClient, urlEnv: 'INVENTORY_DATABASE_URL' },
    }),
    CqrsModule.forRoot(),
  ],
  controllers: [ProductsController],
  providers: [ProductsRepository, UpsertProductHandler, GetProductHandler],
})
export class InventoryServiceModule {}
