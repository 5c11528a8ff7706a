import { Injectable } from '@nestjs/common';
import type { ProductView, UpsertProductRequest } from '@passo/contracts';
import { PrismaClient, type Product } from '@passo/prisma/inventory';

@Injectable()
export class ProductsRepository {
  constructor(private readonly db: PrismaClient) {}

  /** Sets price and available stock; reserved and sold belong to running sagas and are kept. */
  upsert(sku: string, { priceCents, available }: UpsertProductRequest): Promise<Product> {
    return this.db.product.upsert({
      where: { sku },
      create: { sku, priceCents, available },
      update: { priceCents, available },
    });
  }

  find(sku: string): Promise<Product | null> {
    return this.db.product.findUnique({ where: { sku } });
  }
}

export function toProductView({ sku, priceCents, available, reserved, sold }: Product): ProductView {
  return { sku, priceCents, available, reserved, sold };
}
