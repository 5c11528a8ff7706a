import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { ProductView, UpsertProductRequest } from '@passo/contracts';
import { ProductsRepository, toProductView } from './products.repository';

export class UpsertProduct {
  constructor(
    readonly sku: string,
    readonly product: UpsertProductRequest,
  ) {}
}

@CommandHandler(UpsertProduct)
export class UpsertProductHandler implements ICommandHandler<UpsertProduct, ProductView> {
  constructor(private readonly products: ProductsRepository) {}

  async execute({ sku, product }: UpsertProduct): Promise<ProductView> {
    return toProductView(await this.products.upsert(sku, product));
  }
}
