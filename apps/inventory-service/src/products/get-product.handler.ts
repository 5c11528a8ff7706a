import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { ProductView } from '@passo/contracts';
import { notFound } from '@passo/platform';
import { ProductsRepository, toProductView } from './products.repository';

export class GetProduct {
  constructor(readonly sku: string) {}
}

@QueryHandler(GetProduct)
export class GetProductHandler implements IQueryHandler<GetProduct, ProductView> {
  constructor(private readonly products: ProductsRepository) {}

  async execute({ sku }: GetProduct): Promise<ProductView> {
    const product = await this.products.find(sku);
    if (!product) throw notFound('product', sku);
    return toProductView(product);
  }
}
