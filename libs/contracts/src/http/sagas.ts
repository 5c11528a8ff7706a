export interface SagaStepView {
  name: string;
  status: string;
  at: string;
  detail: unknown;
}

export interface SagaView {
  orderId: string;
  state: string;
  version: number;
  deadline: string;
  steps: SagaStepView[];
  createdAt: string;
  updatedAt: string;
}
