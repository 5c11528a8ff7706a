import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ExternalIdSchema, UpsertProductSchema, type ProductView, type UpsertProductRequest } from '@passo/contracts';
import { ZodValidationPipe } from '@passo/platform';
import { GetProduct } from './get-product.handler';
import { UpsertProduct } from './upsert-product.handler';

@Controller('products')
export class ProductsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Put(':sku')
  upsert(
    @Param('sku', new ZodValidationPipe(ExternalIdSchema, 'sku')) sku: string,
    @Body(new ZodValidationPipe(UpsertProductSchema)) body: UpsertProductRequest,
  ): Promise<ProductView> {
    return this.commands.execute<UpsertProduct, ProductView>(new UpsertProduct(sku, body));
  }

  @Get(':sku')
  get(@Param('sku') sku: string): Promise<ProductView> {
    return this.queries.execute<GetProduct, ProductView>(new GetProduct(sku));
  }
}
