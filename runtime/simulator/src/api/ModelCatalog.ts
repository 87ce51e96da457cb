import type {
  ModelBehaviour,
  SimulatorConfig,
} from '../config/SimulatorConfig';

/** Looks up how a model behaves; unknown names get the configured defaults. */
export class ModelCatalog {
  private readonly models: Map<string, ModelBehaviour>;

  constructor(private readonly config: SimulatorConfig) {
    this.models = new Map(config.models.map(model => [model.id, model]));
  }

  behaviour(model: string): ModelBehaviour {
    return this.models.get(model) ?? { id: model, ...this.config.defaults };
  }

  /** Changes a model's behaviour at run time (admin API). */
  update(
    model: string,
    patch: Partial<Omit<ModelBehaviour, 'id'>>,
  ): ModelBehaviour {
    const next = { ...this.behaviour(model), ...patch, id: model };
    this.models.set(model, next);
    return next;
  }

  list(): ModelBehaviour[] {
    return [...this.models.values()];
  }
}
