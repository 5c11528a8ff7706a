import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import { type LabSettings, type LabSettingsPatch, LabSettingsPatchSchema, patchLabSettings } from '@passo/contracts';
import type { Lab } from '@passo/outbox';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { LAB, LabStore } from './lab.store';

/** `GET/PUT /lab` (docs/ARCHITECTURE.md, "The dual-write lab"): registered only with PASSO_LAB=on. */
@Controller('lab')
export class LabController {
  constructor(
    @Inject(LAB) private readonly lab: Lab,
    private readonly store: LabStore,
  ) {}

  @Get()
  get(): LabSettings {
    return this.lab.settings;
  }

  @Put()
  put(@Body(new ZodValidationPipe(LabSettingsPatchSchema)) patch: LabSettingsPatch): Promise<LabSettings> {
    return this.store.save(patchLabSettings(this.lab.settings, patch));
  }
}
