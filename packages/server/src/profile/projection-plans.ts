/**
 * Projection plans: what the profile projector must know about each dataset a pass touches (the
 * dataset itself, its schema's identity fields, the sandbox's custom namespaces and identity
 * settings). They are looked up by the catalog, schema and identity services that own that
 * knowledge (and whose caches see every change), on the main thread, then handed to whichever
 * thread projects, so a projector in a worker never acts on a stale copy.
 *
 * @example
 *   const plan = planProjectionFromServices(catalog, schemas, identity);
 *   const [p] = await plan([{ sandboxId: 'sbx_1', datasetId: 'ds_2' }]);
 *   p.dataset?.profileEnabled; // true
 */
import type { Dataset } from '../catalog/model.ts';
import type { CatalogService } from '../catalog/service.ts';
import { MeridianError } from '../errors.ts';
import type { IdentitySettings } from '../identity/linking.ts';
import { standardNamespace, type Namespace } from '../identity/namespaces.ts';
import type { IdentityService } from '../identity/service.ts';
import type { IdentityDescriptor } from '../schema/model.ts';
import type { SchemaService } from '../schema/service.ts';

export interface DatasetRef {
  sandboxId: string;
  datasetId: string;
}

/** Everything about one sandbox the projector needs: namespaces to read identities with, and the linking rules. */
export interface SandboxPlan {
  customNamespaces: Namespace[];
  settings: IdentitySettings;
}

export interface DatasetPlan extends DatasetRef {
  /** Null when the dataset no longer exists: its records are skipped. */
  dataset: Dataset | null;
  /** The identity fields of the dataset's schema. */
  identityFields: IdentityDescriptor[];
}

export interface ProjectionPlans {
  sandboxes: Record<string, SandboxPlan>;
  datasets: DatasetPlan[];
}

/**
 * Plans every dataset of one pass at once. The projector's thread asks the main thread only for
 * plans it does not hold (`plan-cache.ts`): it keeps them until one of the services changes.
 */
export type ProjectionPlanner = (datasets: readonly DatasetRef[]) => Promise<ProjectionPlans>;

/** A namespace resolver from a sandbox plan: standard namespaces, then the sandbox's custom ones. */
export function planResolver(plan: SandboxPlan): (code: string) => Namespace | undefined {
  const custom = new Map(plan.customNamespaces.map((n) => [n.code, n]));
  return (code) => standardNamespace(code) ?? custom.get(code);
}

/** A planner asking the catalog, schema and identity services (on the thread that owns them). */
export function planProjectionFromServices(catalog: CatalogService, schemas: SchemaService, identity: IdentityService): ProjectionPlanner {
  const datasetPlan = async (ref: DatasetRef): Promise<DatasetPlan> => {
    try {
      const dataset = await catalog.get(ref.sandboxId, ref.datasetId);
      const { doc } = await schemas.compile(ref.sandboxId, dataset.schemaId);
      return { ...ref, dataset, identityFields: doc.identities };
    } catch (err) {
      if (err instanceof MeridianError && (err.code === 'DATASET_NOT_FOUND' || err.code === 'SCHEMA_NOT_FOUND')) return { ...ref, dataset: null, identityFields: [] };
      throw err;
    }
  };
  return async (refs) => {
    const sandboxes: Record<string, SandboxPlan> = {};
    const datasets: DatasetPlan[] = [];
    for (const ref of refs) {
      if (!sandboxes[ref.sandboxId]) {
        const all = await identity.namespaces(ref.sandboxId);
        sandboxes[ref.sandboxId] = { customNamespaces: all.filter((n) => n.custom), settings: await identity.settings(ref.sandboxId) };
      }
      datasets.push(await datasetPlan(ref));
    }
    return { sandboxes, datasets };
  };
}
