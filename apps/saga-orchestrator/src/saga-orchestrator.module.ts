import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { PlatformModule } from '@passo/platform';
import { env } from './env';
import { PrismaClient } from '@passo/prisma/orchestrator';
import { GetSagaHandler } from './sagas/get-saga.handler';
import { SagasController } from './sagas/sagas.controller';
import { SagasRepository } from './sagas/sagas.repository';

@Module({
  imports: [
    PlatformModule.forRoot({
      service: 'saga-orchestrator',
      env,
      prisma: { client: PrismaClient, urlEnv: 'ORCHESTRATOR_DATABASE_URL' },
    }),
    CqrsModule.forRoot(),
  ],
  controllers: [SagasController],
  providers: [SagasRepository, GetSagaHandler],
})
export class SagaOrchestratorModule {}
