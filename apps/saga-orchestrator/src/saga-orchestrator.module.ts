import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { appOutbox, PlatformModule } from '@passo/platform';
import { PrismaClient } from '@passo/prisma/orchestrator';
import { env } from './env';
import { COMMAND_CONTRACTS } from './order-saga/saga-contracts';
import { AdvanceSagaHandler } from './runtime/advance-saga.handler';
import { GetSagaHandler } from './runtime/get-saga.handler';
import { SagaDeadlines } from './runtime/saga-deadlines.service';
import { SagaMetrics } from './runtime/saga-metrics';
import { SagasConsumer } from './runtime/sagas.consumer';
import { SagasController } from './runtime/sagas.controller';
import { SagasRepository } from './runtime/sagas.repository';

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'saga-orchestrator',
      env,
      prisma: { client: PrismaClient, urlEnv: 'ORCHESTRATOR_DATABASE_URL' },
    }),
    appOutbox('ORCHESTRATOR_DATABASE_URL', COMMAND_CONTRACTS),
    CqrsModule.forRoot(),
  ],
  controllers: [SagasController, SagasConsumer],
  providers: [SagasRepository, SagaMetrics, GetSagaHandler, AdvanceSagaHandler, SagaDeadlines],
})
export class SagaOrchestratorModule {}
