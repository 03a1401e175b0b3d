/**
 * Column plans: the current lake columns of each dataset a slice of the log touches. They are
 * looked up on the main thread, from the catalog and schema services that own that knowledge (and
 * whose caches see every schema change and dataset deletion), then handed to whichever thread
 * writes the slice.
 *
 * @example
 *   const planColumns = planColumnsFromCatalog(catalog, schemas);
 *   const [plan] = await planColumns([{ sandboxId: 'sbx_1', datasetId: 'ds_2' }]);
 *   plan.columns?.map((c) => c.name); // ['_id', 'timestamp', ..., '_seq', '_ingested_at', '_batch_id', '_record_time']
 */
import { MeridianError } from '../errors.ts';
import type { LakeCatalog, LakeSchemas } from './lake-sources.ts';
import { lakeColumns, type LakeColumn } from './lake-types.ts';

export interface DatasetRef {
  sandboxId: string;
  datasetId: string;
}

export interface ColumnPlan extends DatasetRef {
  /** Null when the dataset no longer exists: its records leave the log with it and are skipped. */
  columns: LakeColumn[] | null;
}

/** Plans the columns of several datasets at once (one call per slice). */
export type ColumnPlanner = (datasets: readonly DatasetRef[]) => Promise<ColumnPlan[]>;

/** A planner reading each dataset's schema through the catalog and schema services. */
export function planColumnsFromCatalog(catalog: LakeCatalog, schemas: LakeSchemas): ColumnPlanner {
  const columnsOf = async ({ sandboxId, datasetId }: DatasetRef): Promise<LakeColumn[] | null> => {
    try {
      const dataset = await catalog.get(sandboxId, datasetId);
      return lakeColumns((await schemas.compile(sandboxId, dataset.schemaId)).tree);
    } catch (err) {
      if (err instanceof MeridianError && err.code === 'DATASET_NOT_FOUND') return null;
      throw err;
    }
  };
  return async (datasets) => {
    const plans: ColumnPlan[] = [];
    for (const dataset of datasets) plans.push({ ...dataset, columns: await columnsOf(dataset) });
    return plans;
  };
}
