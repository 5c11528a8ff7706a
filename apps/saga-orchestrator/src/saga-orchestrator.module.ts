import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { participantSteps } from '@passo/outbox';
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

/** The inbox's consumer name: the JetStream consumer group of this app too. */
const INBOX_CONSUMER = 'saga-orchestrator';

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
  providers: [
    participantSteps(INBOX_CONSUMER, PrismaClient),
    SagasRepository,
    SagaMetrics,
    GetSagaHandler,
    AdvanceSagaHandler,
    SagaDeadlines,
  ],
})
export class SagaOrchestratorModule {}
