import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { PaymentCompleted, PaymentFailed, PaymentRefunded } from '@passo/contracts';
import { participantSteps } from '@passo/outbox';
import { appOutbox, PlatformModule } from '@passo/platform';
import { env } from './env';
import { PrismaClient } from '@passo/prisma/payment';
import { CustomersController } from './customers/customers.controller';
import { CustomersRepository } from './customers/customers.repository';
import { GetCustomerHandler } from './customers/get-customer.handler';
import { UpsertCustomerHandler } from './customers/upsert-customer.handler';
import { ChargePaymentHandler } from './payments/charge-payment.handler';
import { ListPaymentsHandler } from './payments/list-payments.handler';
import { PaymentsConsumer } from './payments/payments.consumer';
import { PaymentsController } from './payments/payments.controller';
import { PaymentsRepository } from './payments/payments.repository';
import { RefundPaymentHandler } from './payments/refund-payment.handler';

/** The inbox's consumer name: the app's JetStream consumer group too (bootstrap's `service`). */
const INBOX_CONSUMER = 'payment-service';

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'payment-service',
      env,
      prisma: { client: PrismaClient, urlEnv: 'PAYMENT_DATABASE_URL' },
    }),
    appOutbox('PAYMENT_DATABASE_URL', [PaymentCompleted, PaymentFailed, PaymentRefunded]),
    CqrsModule.forRoot(),
  ],
  controllers: [CustomersController, PaymentsController, PaymentsConsumer],
  providers: [
    participantSteps(INBOX_CONSUMER, PrismaClient),
    CustomersRepository,
    PaymentsRepository,
    UpsertCustomerHandler,
    GetCustomerHandler,
    ListPaymentsHandler,
    ChargePaymentHandler,
    RefundPaymentHandler,
  ],
})
export class PaymentServiceModule {}
