import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { PlatformModule } from '@passo/platform';
import { env } from './env';
import { PrismaClient } from '@passo/prisma/payment';
import { CustomersController } from './customers/customers.controller';
import { CustomersRepository } from './customers/customers.repository';
import { GetCustomerHandler } from './customers/get-customer.handler';
import { UpsertCustomerHandler } from './customers/upsert-customer.handler';
import { ListPaymentsHandler } from './payments/list-payments.handler';
import { PaymentsController } from './payments/payments.controller';
import { PaymentsRepository } from './payments/payments.repository';

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'payment-service',
      env,
      prisma: { client: PrismaClient, urlEnv: 'PAYMENT_DATABASE_URL' },
    }),
    CqrsModule.forRoot(),
  ],
  controllers: [CustomersController, PaymentsController],
  providers: [CustomersRepository, PaymentsRepository, UpsertCustomerHandler, GetCustomerHandler, ListPaymentsHandler],
})
export class PaymentServiceModule {}
