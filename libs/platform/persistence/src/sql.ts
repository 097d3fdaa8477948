/**
 * The one SQL helper the services share. TypeORM answers `UPDATE`/`DELETE ... RETURNING` with
 * `[rows, affectedCount]` but `SELECT` and `INSERT ... RETURNING` with the rows alone; this gives the
 * rows either way (ADR 0018: SQL through TypeORM's pool and migrations, no entities).
 */
export function returnedRows<T = unknown>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
