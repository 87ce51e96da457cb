/**
 * How often the test backends' catalogs process every entity again. Not 1 s: re-processing the
 * whole catalog each second kept new entities waiting on a loaded machine (a cell not in the
 * catalog within a minute) and took a third of these tests' CPU; new entities are processed as
 * they come, whatever this is.
 */
export const CATALOG_PROCESSING_INTERVAL = { seconds: 5 };
