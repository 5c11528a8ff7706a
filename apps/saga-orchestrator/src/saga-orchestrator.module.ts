import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { appOutbox, PlatformModule } from '@passo/platform';
import { PrismaClient } from '@passo/prisma/orchestrator';
import { env } from './env';
import { AdvanceSagaHandler } from './sagas/advance-saga.handler';
import { GetSagaHandler } from './sagas/get-saga.handler';
import { COMMAND_CONTRACTS } from './sagas/saga-contracts';
import { SagaDeadlines } from './sagas/saga-deadlines.service';
import { SagaMetrics } from './sagas/saga-metrics';
import { SagasConsumer } from './sagas/sagas.consumer';
import { SagasController } from './sagas/sagas.controller';
import { SagasRepository } from './sagas/sagas.repository';

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
