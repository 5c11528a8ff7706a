import { Body, Controller, Get, Put } from '@nestjs/common';
import { SagaModeBodySchema, type SagaMode } from '@passo/contracts';
import { ZodValidationPipe } from '@passo/platform';
import type { z } from 'zod';
import { SagaModeService } from './saga-mode.service';

@Controller('saga-mode')
export class SagaModeController {
  constructor(private readonly modes: SagaModeService) {}

  @Get()
  async get(): Promise<{ mode: SagaMode }> {
    return { mode: await this.modes.current() };
  }

  @Put()
  async put(@Body(new ZodValidationPipe(SagaModeBodySchema)) body: z.infer<typeof SagaModeBodySchema>) {
    return { mode: await this.modes.set(body.mode) };
  }
}
